/**
 * How the CLI shows differences between two JSON values (a comparison's
 * `JsonChange`s): as snake_case JSON items and as short text lines.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { JsonChange } from "../../ts/src/index.ts";

/** A change as a JSON item. */
export const changeItem = (change: JsonChange): JsonObject => ({
  path: change.path,
  kind: change.kind,
  before: change.before ?? null,
  after: change.after ?? null,
});

/** A value as one short line of JSON. */
function short(value: JsonValue | undefined): string {
  if (value === undefined) return "∅";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** A change as one line: `path: before → after`, `path: + added`, `path: - removed`. */
export function changeLine(change: JsonChange): string {
  const where = change.path === "" ? "" : `${change.path}: `;
  if (change.kind === "added") return `${where}+ ${short(change.after)}`;
  if (change.kind === "removed") return `${where}- ${short(change.before)}`;
  return `${where}${short(change.before)} → ${short(change.after)}`;
}
