/**
 * A flow input checked against the flow's schema before anything is stored:
 * the input of a start, and the merged input of a replay
 * (docs/replay-contract.md §2 item 8). A field the schema does not know,
 * which zod would drop without a word, is refused like any other violation,
 * naming the fields the schema does know: a typo in an input never goes
 * unnoticed.
 *
 * @module
 */
import { toJSONSchema } from "zod";
import { KitaruUsageError, type FieldViolation } from "#contract/errors/index.ts";
import type { JsonObject } from "#contract/json-value.ts";
import type { RegisteredFlow } from "./flow-registry.ts";
import { parseWithSchema } from "./schema-violations.ts";
import { formatViolations } from "#contract/errors/kitaru-error.ts";

/** What a check reports besides the violations: how the error starts, and metadata. */
export interface FlowInputCheck {
  /** The message's start, e.g. "Invalid input for flow 'content_pipeline'". */
  readonly what: string;
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Which unknown fields to refuse, by their top-level key: a replay refuses
   * only the fields its caller sent (`args`), not those its source input
   * carried from older code. Default: all.
   */
  readonly sentByCaller?: (topLevelKey: string) => boolean;
}

/**
 * Validates `input` with the flow's input schema; throws a
 * {@link KitaruUsageError} with one field violation per problem: zod's
 * ("topic: is required (string)") and every field the schema would drop
 * ("topc: unknown field (known fields: depth, topic)").
 */
export function checkFlowInput(flow: RegisteredFlow, input: JsonObject, check: FlowInputCheck): void {
  const parsed = parseWithSchema(flow.inputSchema, input);
  const violations: FieldViolation[] = parsed.ok ? [] : [...parsed.violations];
  if (parsed.ok) {
    const dropped = droppedFields(input, parsed.data, []).filter((path) => check.sentByCaller?.(path[0] ?? "") ?? true);
    for (const path of dropped) violations.push({ field: path.join("."), description: unknownFieldDescription(flow, path) });
  }
  if (violations.length === 0) return;
  throw new KitaruUsageError(`${check.what}: ${formatViolations(violations)}.`, { violations, metadata: { ...check.metadata } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Paths of the object keys present in `raw` and absent from `parsed` (what the schema dropped). */
function droppedFields(raw: unknown, parsed: unknown, path: readonly string[]): string[][] {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    return raw.flatMap((item, index) => droppedFields(item, parsed[index], [...path, String(index)]));
  }
  if (!isPlainObject(raw) || !isPlainObject(parsed)) return [];
  return Object.keys(raw).flatMap((key) => (Object.hasOwn(parsed, key) ? droppedFields(raw[key], parsed[key], [...path, key]) : [[...path, key]]));
}

/** "unknown field (known fields: a, b)", the known fields read from the schema at the field's parent. */
function unknownFieldDescription(flow: RegisteredFlow, path: readonly string[]): string {
  const known = knownFields(flow, path.slice(0, -1));
  return known === undefined ? "unknown field" : `unknown field (known fields: ${known.length === 0 ? "none" : known.join(", ")})`;
}

type JsonSchemaNode = { readonly properties?: Record<string, JsonSchemaNode>; readonly items?: JsonSchemaNode };

const inputSchemas = new WeakMap<RegisteredFlow, JsonSchemaNode | null>();

/** The property names the flow's input schema declares at `path` (sorted); undefined when it cannot say. */
function knownFields(flow: RegisteredFlow, path: readonly string[]): string[] | undefined {
  let node = inputSchemas.get(flow);
  if (node === undefined) {
    try {
      node = toJSONSchema(flow.inputSchema, { unrepresentable: "any", io: "input" }) as JsonSchemaNode;
    } catch {
      node = null;
    }
    inputSchemas.set(flow, node);
  }
  for (const segment of path) {
    if (node === null || node === undefined) return undefined;
    const properties: Record<string, JsonSchemaNode> = node.properties ?? {};
    node = /^\d+$/.test(segment) && node.items !== undefined ? node.items : Object.hasOwn(properties, segment) ? (properties[segment] ?? null) : null;
  }
  return node?.properties === undefined ? undefined : Object.keys(node.properties).sort();
}
