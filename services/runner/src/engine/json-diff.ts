/**
 * Differences between two JSON values, path by path: what a replay's call
 * saw compared with its source's.
 *
 * @module
 */
import type { JsonChange } from "#contract/comparison.ts";
import type { JsonValue } from "#contract/json-value.ts";

/** At most this many changes per comparison; the rest are not listed. */
const MAX_CHANGES = 50;

/** The differences from `before` to `after` (empty when equal), objects compared key by key and arrays index by index. */
export function jsonDiff(before: JsonValue | undefined, after: JsonValue | undefined, limit = MAX_CHANGES): JsonChange[] {
  const changes: JsonChange[] = [];
  walk(before, after, "", changes, limit);
  return changes;
}

/** True when two JSON values are equal (object key order does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return jsonDiff(a, b, 1).length === 0;
}

function walk(before: JsonValue | undefined, after: JsonValue | undefined, path: string, out: JsonChange[], limit: number): void {
  if (out.length >= limit) return;
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push({ path, kind: "added", after });
    return;
  }
  if (after === undefined) {
    out.push({ path, kind: "removed", before });
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length && out.length < limit; i++) walk(before[i], after[i], `${path}[${i}]`, out, limit);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of [...keys].sort()) {
      if (out.length >= limit) return;
      walk(before[key], after[key], path === "" ? key : `${path}.${key}`, out, limit);
    }
    return;
  }
  if (before !== after) out.push({ path, kind: "changed", before, after });
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
