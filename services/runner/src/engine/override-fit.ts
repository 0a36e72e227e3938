/**
 * Does a replay's override value fit what the overridden checkpoint's
 * consumers expect (docs/replay-contract.md §2 item 9)? The value must be
 * accepted by the checkpoint's declared output schema
 * (`checkpoint(name, fn, { outputSchema })`) when it has one, else have the
 * JSON type of the output recorded for the call in the source (what its
 * consumers saw there). A misfit is refused before anything is created,
 * naming the override key, the expected and the given type; the request's
 * `allow_override_type_change` lets a deliberate change of type through.
 *
 * The one place this is decided: every replay path (a single replay, its dry
 * run, a bulk replay's sources) goes through `startReplay`, which calls it.
 *
 * @module
 */
import { toJSONSchema, type z } from "zod";
import { KitaruUsageError, type FieldViolation } from "#contract/errors/index.ts";
import { jsonTypeOf, type JsonType, type JsonValue } from "#contract/json-value.ts";
import { declaredOutputSchemas } from "../authoring/checkpoint.ts";
import type { ValueCodec } from "../store/value-codec.ts";
import { seenOutput, type CallRecord } from "../store/records.ts";
import { latestCalls } from "./execution-queries.ts";
import { parseWithSchema } from "./schema-violations.ts";
import { formatViolations } from "#contract/errors/kitaru-error.ts";

/** One override of a replay request, resolved to the call it overrides. */
export interface OverrideToFit {
  readonly key: string;
  readonly invocationId: string;
  readonly value: JsonValue;
}

/** The hint every refusal ends with. */
const OPT_IN =
  "To replace it with a value of another type on purpose, repeat the request with allow_override_type_change " +
  "(CLI: --allow-override-type-change; TypeScript: allowOverrideTypeChange: true).";

/**
 * Throws a {@link KitaruUsageError} for the first override whose value does
 * not fit. `calls` are the source's calls as listed (the latest record of
 * each invocation ID is used); an override of a call with no recorded output
 * (it failed) has nothing to compare with and fits.
 */
export async function checkOverridesFit(
  overrides: readonly OverrideToFit[],
  calls: readonly CallRecord[],
  values: ValueCodec,
  options: { readonly signal?: AbortSignal | undefined },
): Promise<void> {
  if (overrides.length === 0) return;
  const byInvocation = new Map(latestCalls(calls).map((call) => [call.invocationId, call]));
  for (const override of overrides) {
    const call = byInvocation.get(override.invocationId);
    if (call === undefined) continue;
    const given = jsonTypeOf(override.value);
    const schemas = declaredOutputSchemas(call.name);
    if (schemas.length > 0) {
      for (const schema of schemas) {
        const parsed = parseWithSchema(schema, override.value);
        if (!parsed.ok) throw misfit(override, call, { expected: schemaType(schema), given, violations: parsed.violations });
      }
      continue;
    }
    const recorded = seenOutput(call);
    if (recorded === undefined) continue;
    const expected = await values.jsonType(recorded, { signal: options.signal });
    if (expected !== given) throw misfit(override, call, { expected, given, violations: [] });
  }
}

/** The JSON type a zod schema declares, as JSON Schema names it ("string", "object", "string or null"), or "its outputSchema". */
function schemaType(schema: z.ZodType): string {
  try {
    const json = toJSONSchema(schema, { unrepresentable: "any", io: "input" }) as { type?: string | string[]; anyOf?: { type?: string }[] };
    if (typeof json.type === "string") return json.type;
    if (Array.isArray(json.type)) return json.type.join(" or ");
    const types = (json.anyOf ?? []).map((member) => member.type);
    if (types.length > 0 && types.every((type) => typeof type === "string")) return types.join(" or ");
  } catch {
    // A schema JSON Schema cannot express: say what it is by name below.
  }
  return "what its outputSchema accepts";
}

function article(type: string): string {
  return type === "null" || type.startsWith("what ") ? type : `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function misfit(
  override: OverrideToFit,
  call: CallRecord,
  found: { readonly expected: JsonType | string; readonly given: JsonType; readonly violations: readonly FieldViolation[] },
): KitaruUsageError {
  const source = found.violations.length > 0 ? `its outputSchema (${formatViolations(found.violations)})` : "the output recorded for it";
  return new KitaruUsageError(
    `Override '${override.key}' does not fit checkpoint '${call.name}': it expects ${article(found.expected)} (${source}), and the value given is ${article(found.given)}. ${OPT_IN}`,
    {
      metadata: { overrideKey: override.key, checkpoint: call.name, invocationId: call.invocationId, expected: found.expected, given: found.given },
      violations: [{ field: override.key, description: `expected ${article(found.expected)}, got ${article(found.given)}` }],
    },
  );
}
