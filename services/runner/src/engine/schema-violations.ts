import { z } from "zod";
import type { FieldViolation } from "#contract/errors/index.ts";

/** Field violations of a failed zod parse, with dotted paths ("" for the root). */
export function violationsOf(error: z.ZodError): FieldViolation[] {
  return error.issues.map((issue) => ({ field: issue.path.map(String).join("."), description: issue.message }));
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
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : violationsOf(parsed.error);
}
