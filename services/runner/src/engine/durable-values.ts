import type { z } from "zod";
import { KitaruContextError, KitaruUsageError } from "#contract/errors/index.ts";
import type { CheckpointDefinition } from "../authoring/checkpoint.ts";
import type { JsonValue } from "../authoring/json-value.ts";
import { parseWithSchema } from "./schema-violations.ts";
import { formatViolations } from "#contract/errors/kitaru-error.ts";

// Checks on values crossing the durable boundary: checkpoint outputs before
// they are recorded, wait values when the flow body receives them.

/**
 * Checks what a checkpoint returned: a value its `outputSchema` accepts, and
 * for a multi-output checkpoint exactly its declared outputs.
 */
export function checkOutputs(definition: CheckpointDefinition, value: JsonValue): JsonValue {
  if (definition.outputSchema !== undefined) {
    const parsed = parseWithSchema(definition.outputSchema, value);
    if (!parsed.ok) {
      throw new KitaruContextError(
        `Checkpoint '${definition.name}' returned a value its outputSchema does not accept: ${formatViolations(parsed.violations)}.`,
        { metadata: { checkpoint: definition.name } },
      );
    }
  }
  if (definition.outputs.length === 0) return value;
  const keys = value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value).sort() : undefined;
  const expected = [...definition.outputs].sort();
  if (keys === undefined || keys.join("\u0000") !== expected.join("\u0000")) {
    throw new KitaruContextError(`Checkpoint '${definition.name}' declares outputs ${expected.join(", ")} and must return an object with exactly those keys.`, {
      metadata: { checkpoint: definition.name },
    });
  }
  return value;
}

/** Parses an accepted wait value with the wait's zod schema (refinements JSON Schema could not check). */
export function parseWaitValue(value: JsonValue, schema: z.ZodType | undefined, name: string): JsonValue {
  if (schema === undefined) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new KitaruUsageError(`The accepted input of wait '${name}' no longer matches its schema: ${parsed.error.message}`, {
      metadata: { wait: name },
    });
  }
  return parsed.data as JsonValue;
}
