/**
 * JSON values: what flow inputs, checkpoint outputs, overrides, wait answers
 * and results are, everywhere in kitaru. The same shapes as protobuf-es's
 * `JsonValue` and `JsonObject`, so values pass to and from
 * `google.protobuf.Value` and `Struct` fields without copies.
 *
 * @module
 */
import { KitaruContextError } from "./errors/kitaru-error.ts";
import { VALUE_LIMITS } from "./value-limits.ts";

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (flow inputs, wait metadata, overrides). */
export type JsonObject = { [key: string]: JsonValue };

/** The six JSON types. */
export type JsonType = "string" | "number" | "boolean" | "null" | "array" | "object";

/** The JSON type of a value. */
export function jsonTypeOf(value: JsonValue): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as "string" | "number" | "boolean" | "object";
}

/**
 * The JSON type of a value's JSON text, from its first character (the text
 * need not be whole: the first chunk of a large value is enough).
 */
export function jsonTypeOfText(text: string): JsonType {
  const first = text.trimStart()[0];
  switch (first) {
    case '"':
      return "string";
    case "{":
      return "object";
    case "[":
      return "array";
    case "t":
    case "f":
      return "boolean";
    case "n":
      return "null";
    default:
      return "number";
  }
}

/** Bytes of a varint holding `n` (a non-negative length). */
function varintBytes(n: number): number {
  let bytes = 1;
  for (let rest = n; rest > 0x7f; rest = Math.floor(rest / 128)) bytes++;
  return bytes;
}

/** Bytes of a length-delimited field of `length` bytes with a one-byte tag. */
function delimited(length: number): number {
  return 1 + varintBytes(length) + length;
}

/**
 * The size of `value` encoded as a `google.protobuf.Value`, in bytes: what
 * it costs in a response, where a number takes 9 bytes (11 in a list) and
 * an object key its UTF-8 bytes plus 4 to 6, whatever its JSON text took.
 * Exact for what protobuf-es writes; a `Struct` field (a flow input) is the
 * same less its 2 to 6 bytes of `Value` wrapping.
 */
export function valueWireBytes(value: JsonValue): number {
  if (value === null || typeof value === "boolean") return 2;
  if (typeof value === "number") return 9;
  if (typeof value === "string") return delimited(Buffer.byteLength(value, "utf8"));
  let content = 0;
  if (Array.isArray(value)) {
    for (const item of value) content += delimited(valueWireBytes(item));
  } else {
    for (const key of Object.keys(value)) {
      const entry = delimited(Buffer.byteLength(key, "utf8")) + delimited(valueWireBytes(value[key] as JsonValue));
      content += delimited(entry);
    }
  }
  return delimited(content);
}

/**
 * Checks that `value` is JSON-able and returns it as a {@link JsonValue}.
 *
 * `undefined` at the top level becomes `null`; `undefined` object properties
 * are dropped (as `JSON.stringify` does). Anything that would not round-trip
 * (functions, symbols, bigint, NaN, Infinity, Date, Map, class instances,
 * cycles) throws a {@link KitaruContextError} naming the path, so the error
 * surfaces where the value was produced instead of as a corrupted record;
 * so does a value nested deeper than `VALUE_LIMITS.depth`.
 */
export function toJsonValue(value: unknown, what: string): JsonValue {
  return convert(value, what, "", new Set());
}

/**
 * The JSON text of a value about to be stored; a value larger than
 * `VALUE_LIMITS.bytes` throws a {@link KitaruContextError}.
 */
export function storableJson(value: JsonValue, what: string): string {
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > VALUE_LIMITS.bytes) {
    throw new KitaruContextError(
      `${what} is ${bytes} bytes as JSON; kitaru stores values of at most ${VALUE_LIMITS.bytes} bytes. Store large data elsewhere and return a reference to it.`,
      { metadata: { what, bytes: String(bytes), limit: String(VALUE_LIMITS.bytes) } },
    );
  }
  return json;
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
      if (seen.size >= VALUE_LIMITS.depth) {
        throw new KitaruContextError(
          `${what} is nested more than ${VALUE_LIMITS.depth} levels deep${path === "" ? "" : ` at '${path}'`}; kitaru stores values nested at most ${VALUE_LIMITS.depth} levels.`,
          { metadata: { what, path, limit: String(VALUE_LIMITS.depth) } },
        );
      }
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
          // Defined, not assigned: `out["__proto__"] = x` would set the prototype and lose the key.
          Object.defineProperty(out, key, { value: convert(item, what, join(path, key), seen), enumerable: true, writable: true, configurable: true });
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
