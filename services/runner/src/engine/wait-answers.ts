/**
 * Records an answer to a wait: the one path an input (`ResolveWait`) and a
 * replay's copy of its source's answer (`answer_waits_from_source`) both take.
 *
 * The value is checked against the wait's JSON Schema before anything is
 * written; the resolution is an insert keyed by the wait, so of concurrent
 * answers exactly one wins, whoever sent them.
 *
 * @module
 */
import { KitaruWaitValidationError } from "#contract/errors/index.ts";
import { formatViolations } from "#contract/errors/kitaru-error.ts";
import type { JsonValue } from "#contract/json-value.ts";
import type { WaitRecord, WaitResolution } from "../store/records.ts";
import type { EngineContext } from "./engine-context.ts";
import { jsonSchemaViolations } from "./schema-violations.ts";

/** How a wait's answer was recorded: `won` when it is the one answer, `resolved` the wait with it. */
export interface RecordedAnswer {
  readonly won: boolean;
  readonly resolved: WaitRecord;
}

/** Options of {@link recordWaitAnswer}. */
export interface WaitAnswerOptions {
  readonly signal?: AbortSignal | undefined;
  /** The execution whose recorded answer this is a copy of (a replay's source); absent for an input. */
  readonly copiedFromExecId?: string | undefined;
}

/**
 * Checks `value` against the wait's schema (a {@link KitaruWaitValidationError}
 * with field paths when it does not fit), stores it and inserts the wait's
 * resolution. `won` is false when another answer was recorded first: the wait
 * is settled all the same, by that answer.
 */
export async function recordWaitAnswer(
  context: Pick<EngineContext, "store" | "values">,
  wait: WaitRecord,
  value: JsonValue,
  options: WaitAnswerOptions = {},
): Promise<RecordedAnswer> {
  const { execId } = wait;
  const encoded = context.values.encode(value, "The wait value");
  const violations = jsonSchemaViolations(wait.schema, encoded.value);
  if (violations.length > 0) {
    throw new KitaruWaitValidationError(`Wait input failed validation for '${wait.name}' on execution '${execId}': ${formatViolations(violations)}.`, {
      execId,
      waitName: wait.name,
      waitId: wait.waitId,
      violations,
      metadata: { execId, wait: wait.name, waitId: wait.waitId },
    });
  }
  const stored = await context.values.store(encoded, { signal: options.signal });
  const resolution: WaitResolution = {
    kind: "value",
    value: stored,
    at: new Date(),
    ...(options.copiedFromExecId === undefined ? {} : { copiedFromExecId: options.copiedFromExecId }),
  };
  const won = await context.store.resolveWait(execId, wait.name, resolution, { signal: options.signal });
  return { won, resolved: { ...wait, resolution } };
}
