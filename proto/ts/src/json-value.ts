/**
 * JSON values: what flow inputs, checkpoint outputs, overrides, wait answers
 * and results are, everywhere in kitaru. The same shapes as protobuf-es's
 * `JsonValue` and `JsonObject`, so values pass to and from
 * `google.protobuf.Value` and `Struct` fields without copies.
 *
 * @module
 */
import { type FieldViolation, KitaruContextError } from "./errors/kitaru-error.ts";
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
 * Checks that `value` is JSON-able and returns it as a {@link JsonValue}: a
 * value a flow produced (the walk's "copy" mode).
 *
 * `undefined` at the top level becomes `null`; `undefined` object properties
 * are dropped (as `JSON.stringify` does). Anything that would not round-trip
 * (functions, symbols, bigint, NaN, Infinity, Date, Map, class instances,
 * cycles) throws a {@link KitaruContextError} naming the path, so the error
 * surfaces where the value was produced instead of as a corrupted record;
 * so does a value nested deeper than `VALUE_LIMITS.depth`.
 */
export function toJsonValue(value: unknown, what: string): JsonValue {
  let problem: JsonProblem | undefined;
  const copy = walkJson(value, "copy", (found) => {
    problem = found;
    return false;
  });
  if (problem === undefined) return copy as JsonValue;
  const { path, kind, found } = problem;
  if (kind === "too-deep") {
    throw new KitaruContextError(
      `${what} is nested more than ${VALUE_LIMITS.depth} levels deep${path === "" ? "" : ` at '${path}'`}; kitaru stores values nested at most ${VALUE_LIMITS.depth} levels.`,
      { metadata: { what, path, limit: String(VALUE_LIMITS.depth) } },
    );
  }
  const where = path === "" ? "" : ` at '${path}'`;
  throw new KitaruContextError(
    `${what} must be JSON-serializable, but found ${kind === "cycle" ? "a circular reference" : found}${where}. Convert it to plain objects, arrays, strings, finite numbers, booleans or null.`,
    { metadata: { what, path } },
  );
}

/**
 * Lists every place where `value` is not JSON, in document order: a value
 * from outside (replay args, override values; the walk's "check" mode).
 *
 * Paths are dotted (`items.0.title`), relative to `value` ("" for the value
 * itself). Refuses `undefined` (and holes in arrays), non-finite numbers,
 * bigints, functions, symbols, non-plain objects and cycles; any depth is
 * walked (the walk keeps its own stack).
 */
export function jsonViolations(value: unknown): FieldViolation[] {
  const violations: FieldViolation[] = [];
  walkJson(value, "check", ({ path, kind, found }) => {
    const description =
      kind === "not-finite"
        ? `must be a finite number, not ${found}`
        : kind === "cycle"
          ? "must not contain itself (a cycle)"
          : `must be a JSON value, not ${found}`;
    violations.push({ field: path, description });
    return true;
  });
  return violations;
}

/** True for `{}`-style objects (prototype `Object.prototype` or `null`), not arrays, dates or class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short noun for what a value is, for messages ("an array", "null", "a string"). */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (isPlainObject(value)) return "an object";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "a class"}`;
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
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

/** One place where a value is not JSON: its dotted path, what is wrong, and what was found there. */
interface JsonProblem {
  readonly path: string;
  readonly kind: "not-finite" | "not-json" | "cycle" | "too-deep";
  /** What the value there is: `NaN`, `a function`, `an instance of Date`, … */
  readonly found: string;
}

/**
 * The two ways a value is walked: `copy` (a value a flow produced: undefined
 * properties dropped, other undefined as null, at most `VALUE_LIMITS.depth`
 * levels, a JSON copy returned) and `check` (a value from outside: undefined
 * refused, any depth).
 */
type JsonWalkMode = "copy" | "check";

/** A place still to visit: the value, where it is (its container's visit and key) and where its copy goes (`into[key]`); or the end of a container's visit. */
interface Visit {
  readonly value: unknown;
  readonly parent: Visit | undefined;
  readonly key: string | number;
  readonly depth: number;
  readonly into: Record<string, JsonValue> | JsonValue[];
  /** Set on the frame that ends the visit of this container (its children are done). */
  readonly leave?: object;
}

/** The dotted path of a visit ("" for the value itself), built only for a problem. */
function pathOf(visit: Visit): string {
  const keys: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.parent !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse().join(".");
}

/**
 * Walks `value` in document order with a stack of its own (so no depth
 * overflows the call stack), telling `onProblem` of every place that is not
 * JSON; the walk stops when `onProblem` answers false. Returns the copy
 * (`copy` mode; in `check` mode, or after a problem, do not use it).
 */
function walkJson(value: unknown, mode: JsonWalkMode, onProblem: (problem: JsonProblem) => boolean): JsonValue | undefined {
  const copying = mode === "copy";
  const root: JsonValue[] = [null];
  const onPath = new Set<object>();
  const stack: Visit[] = [{ value, parent: undefined, key: 0, depth: 0, into: root }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    if (visit.leave !== undefined) {
      onPath.delete(visit.leave);
      continue;
    }
    const { value: v, into, key } = visit;
    let problem: JsonProblem["kind"] | undefined;
    let found = "";
    if (v === null || typeof v === "string" || typeof v === "boolean") {
      put(into, key, v);
    } else if (typeof v === "number") {
      if (Number.isFinite(v)) put(into, key, v);
      else [problem, found] = ["not-finite", String(v)];
    } else if (v === undefined && copying) {
      put(into, key, null);
    } else if (!Array.isArray(v) && !isPlainObject(v)) {
      [problem, found] = ["not-json", describeJsonType(v)];
    } else if (onPath.has(v)) {
      [problem, found] = ["cycle", "a cycle"];
    } else if (copying && visit.depth >= VALUE_LIMITS.depth) {
      [problem, found] = ["too-deep", `more than ${VALUE_LIMITS.depth} levels`];
    } else {
      pushChildren(visit, v, copying, onPath, stack);
    }
    if (problem !== undefined && !onProblem({ path: pathOf(visit), kind: problem, found })) return undefined;
  }
  return root[0];
}

/**
 * Puts `value` at `key` of a copy. Defined, not assigned: `copy["__proto__"] =
 * x` would set the copy's prototype and lose the key (issue 19).
 */
function put(into: Record<string, JsonValue> | JsonValue[], key: string | number, value: JsonValue): void {
  if (key === "__proto__") Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else (into as Record<string, JsonValue>)[key] = value;
}

/** Opens a container: its copy put in place, the end of its visit and then its children (last first) pushed. */
function pushChildren(visit: Visit, container: object, copying: boolean, onPath: Set<object>, stack: Visit[]): void {
  const { into, key } = visit;
  const depth = visit.depth + 1;
  onPath.add(container);
  stack.push({ value: undefined, parent: undefined, key, depth, into, leave: container });
  if (Array.isArray(container)) {
    const copy = new Array<JsonValue>(container.length);
    put(into, key, copy);
    for (let i = container.length - 1; i >= 0; i--) stack.push({ value: container[i], parent: visit, key: i, depth, into: copy });
    return;
  }
  const copy: Record<string, JsonValue> = {};
  put(into, key, copy);
  const keys = Object.keys(container);
  for (let i = keys.length - 1; i >= 0; i--) {
    const name = keys[i] as string;
    const child = (container as Record<string, unknown>)[name];
    // Dropped as JSON.stringify drops it; checked values refuse it.
    if (child === undefined && copying) continue;
    stack.push({ value: child, parent: visit, key: name, depth, into: copy });
  }
}
