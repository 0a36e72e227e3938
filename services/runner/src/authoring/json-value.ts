import { KitaruContextError } from "../../../../clients/ts/src/errors/index.ts";

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (flow inputs, wait metadata). */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Checks that `value` is JSON-able and returns it as a {@link JsonValue}.
 *
 * `undefined` at the top level becomes `null`; `undefined` object properties
 * are dropped (as `JSON.stringify` does). Anything that would not round-trip
 * (functions, symbols, bigint, NaN, Infinity, Date, Map, class instances,
 * cycles) throws a {@link KitaruContextError} naming the path, so the error
 * surfaces where the value was produced instead of as a corrupted record.
 */
export function toJsonValue(value: unknown, what: string): JsonValue {
  return convert(value, what, "", new Set());
}

function convert(value: unknown, what: string, path: string, seen: Set<object>): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw notJson(what, path, String(value));
      return value;
    case "object": {
      if (seen.has(value)) throw notJson(what, path, "a circular reference");
      seen.add(value);
      try {
        if (Array.isArray(value)) return value.map((item, i) => convert(item, what, join(path, String(i)), seen));
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          throw notJson(what, path, `an instance of ${value.constructor?.name ?? "a class"}`);
        }
        const out: { [key: string]: JsonValue } = {};
        for (const [key, item] of Object.entries(value)) {
          if (item === undefined) continue;
          out[key] = convert(item, what, join(path, key), seen);
        }
        return out;
      } finally {
        seen.delete(value);
      }
    }
    default:
      throw notJson(what, path, `a ${typeof value}`);
  }
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function notJson(what: string, path: string, found: string): KitaruContextError {
  const where = path === "" ? "" : ` at '${path}'`;
  return new KitaruContextError(
    `${what} must be JSON-serializable, but found ${found}${where}. Convert it to plain objects, arrays, strings, finite numbers, booleans or null.`,
    { metadata: { what, path } },
  );
}
