/**
 * Parses replay override keys (`checkpoint.<selector>`) and checks their values.
 *
 * Contract §2 item 5: keys are checked in the order given and the first bad
 * one is reported. Only checkpoint outputs can be overridden; waits never are.
 *
 * @module
 */
import { formatViolations, KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import { jsonViolations } from "#contract/json-value.ts";
import type { JsonValue } from "./source-execution.ts";

/** The only accepted key prefix. */
const CHECKPOINT_PREFIX = "checkpoint.";

const WAIT_PREFIX = "wait.";

/** One override whose key and value passed the syntactic checks; its selector is not resolved yet. */
export interface ParsedOverride {
  /** The key as given. */
  readonly key: string;
  /** The selector part of the key, trimmed; never empty. */
  readonly selector: string;
  readonly value: JsonValue;
}

/**
 * Returns the trimmed selector of a `checkpoint.<selector>` key.
 *
 * Throws {@link KitaruUsageError} for a blank selector, for a `wait.` key
 * (waits are resolved through `kitaru executions input`, never overridden)
 * and for any other prefix. The prefix itself is case-sensitive.
 */
export function parseOverrideKey(key: string): string {
  if (key.startsWith(CHECKPOINT_PREFIX)) {
    const selector = key.slice(CHECKPOINT_PREFIX.length).trim();
    if (selector === "") {
      throw new KitaruUsageError(
        `Override key '${key}' has an empty checkpoint selector. ` +
          "Use `checkpoint.<selector>`, where the selector is a checkpoint name, invocation ID or call ID.",
        { metadata: { key } },
      );
    }
    return selector;
  }
  if (key.startsWith(WAIT_PREFIX)) {
    const waitName = key.slice(WAIT_PREFIX.length).trim();
    throw new KitaruUsageError(
      `Override key '${key}' targets a wait, and waits cannot be overridden or pre-populated on replay. ` +
        "Every wait the replayed execution reaches is a new pending wait: resolve it with " +
        "`kitaru executions input <exec_id> --value ...` (client: `client.executions.input(execId, { wait, value })`).",
      { metadata: { key, waitName } },
    );
  }
  throw new KitaruUsageError(`Override keys must start with \`checkpoint.\`. Received: '${key}'.`, {
    metadata: { key },
  });
}

/**
 * Parses every override, in the order given (object insertion order).
 *
 * For each entry the key is checked first, then the value must be JSON;
 * the first failure is thrown as a {@link KitaruUsageError}.
 */
export function parseOverrides(overrides: Readonly<Record<string, unknown>> | undefined): ParsedOverride[] {
  const parsed: ParsedOverride[] = [];
  for (const [key, value] of Object.entries(overrides ?? {})) {
    const selector = parseOverrideKey(key);
    const violations = jsonViolations(value);
    if (violations.length > 0) {
      throw new KitaruUsageError(`The value of override '${key}' must be a JSON value: ${formatViolations(violations)}.`, {
        metadata: { key, selector },
        violations,
      });
    }
    parsed.push({ key, selector, value: value as JsonValue });
  }
  return parsed;
}
