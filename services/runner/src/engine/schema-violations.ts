import { z } from "zod";
import type { FieldViolation } from "#contract/errors/index.ts";

/** Field violations of a failed zod parse, with dotted paths ("" for the root). */
function violationsOf(error: z.ZodError): FieldViolation[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join("."), description: issue.message }));
}

/**
 * zod's words for a field that is absent ("Invalid input: expected string,
 * received undefined") said as a person would: "is required (a string)".
 * Messages a schema gives itself win over this map.
 */
const missingFieldMessages: z.core.$ZodErrorMap = (issue) =>
  issue.code === "invalid_type" && issue.input === undefined ? `is required (${issue.expected})` : undefined;

/** The outcome of {@link parseWithSchema}. */
export type SchemaParse = { readonly ok: true; readonly data: unknown } | { readonly ok: false; readonly violations: FieldViolation[] };

/** Parses `value` with a zod schema; a missing field reads "is required (<type>)", not zod's "received undefined". */
export function parseWithSchema(schema: z.ZodType, value: unknown): SchemaParse {
  const parsed = schema.safeParse(value, { error: missingFieldMessages });
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, violations: violationsOf(parsed.error) };
}

/**
 * Validates `value` against a stored JSON Schema (as JSON text; empty accepts
 * anything). Returns the violations; none means valid. The schema came from
 * the flow's zod schema, so checks JSON Schema cannot express (refinements)
 * are applied again when the flow body receives the value.
 */
export function jsonSchemaViolations(schemaText: string, value: unknown): FieldViolation[] {
  if (schemaText === "") return [];
  const schema = z.fromJSONSchema(JSON.parse(schemaText) as Parameters<typeof z.fromJSONSchema>[0]);
  const parsed = parseWithSchema(schema, value);
  return parsed.ok ? [] : parsed.violations;
}
