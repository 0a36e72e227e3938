/**
 * Bounds on what a request may carry, checked once for every call before any
 * handler runs: identifiers and other strings, JSON values (set, finite,
 * nested at most so deep, at most so large) and the request itself.
 *
 * A request beyond a bound is refused with `INVALID_ARGUMENT`
 * (`KITARU_USAGE_ERROR`) and a field violation naming the field and the
 * bound. The offending value is never echoed back: a 16 KiB execution ID
 * must not be copied into the error.
 *
 * @module
 */
import type { DescField, DescMessage, JsonObject, JsonValue, Message } from "@bufbuild/protobuf";
import type { Value } from "@bufbuild/protobuf/wkt";
import { KitaruUsageError, type FieldViolation } from "#contract/errors/index.ts";
import { VALUE_LIMITS } from "#contract/value-limits.ts";

/** The documented limits (docs/limits.md). */
export const REQUEST_LIMITS = {
  /** Characters of any string field of a request: IDs, selectors, tokens, keys. */
  stringChars: 1024,
  /** Nesting depth of one JSON value (an input, an override, a wait answer): `VALUE_LIMITS.depth`. */
  valueDepth: VALUE_LIMITS.depth,
  /** UTF-8 bytes of one JSON value as JSON text: `VALUE_LIMITS.bytes`. */
  valueBytes: VALUE_LIMITS.bytes,
  /** Bytes of one request message; the transport refuses larger ones before decoding them. */
  messageBytes: 64 * 1024 * 1024,
  /** Bytes of a call's request headers (metadata), each header counted as HTTP/2 does: name + value + 32. */
  headerBytes: 16 * 1024,
} as const;

/** The request header whose value is the call's request ID (`HandlerContext.requestId`): bounded like the `request_id` fields. */
const REQUEST_ID_HEADER = "x-request-id";

/**
 * Throws {@link KitaruUsageError} when a call's request headers are larger
 * than `REQUEST_LIMITS.headerBytes` together, or its `x-request-id` header is
 * longer than `REQUEST_LIMITS.stringChars` (the bound of the `request_id`
 * field it stands in for). `headers` are the call's metadata as HTTP/2
 * headers (binary values base64-encoded, as sent).
 */
export function checkRequestHeaders(requestType: string, headers: Readonly<Record<string, string | number | string[] | undefined>>): void {
  const violations: FieldViolation[] = [];
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [String(value)]) {
      bytes += name.length + item.length + 32;
      if (name === REQUEST_ID_HEADER && item.length > REQUEST_LIMITS.stringChars) {
        violations.push({ field: `${REQUEST_ID_HEADER} header`, description: `must be at most ${REQUEST_LIMITS.stringChars} characters; got ${item.length}` });
      }
    }
  }
  if (bytes > REQUEST_LIMITS.headerBytes) {
    violations.unshift({ field: "request headers", description: `must be at most ${REQUEST_LIMITS.headerBytes} bytes together; got ${bytes}` });
  }
  if (violations.length === 0) return;
  const first = violations[0] as FieldViolation;
  throw new KitaruUsageError(`The ${requestType} call is beyond kitaru's limits: ${first.field} ${first.description}.`, {
    violations,
    metadata: { requestType, field: first.field },
  });
}

const STRUCT = "google.protobuf.Struct";
const VALUE = "google.protobuf.Value";

/**
 * Throws {@link KitaruUsageError} with one violation per field beyond a
 * bound (at most a few: the first ones found). `message` is a decoded
 * request of type `schema`.
 */
export function checkRequestLimits(schema: DescMessage, message: Message): void {
  const violations: FieldViolation[] = [];
  walkMessage(schema, message as unknown as Record<string, unknown>, "", violations);
  if (violations.length === 0) return;
  const first = violations[0] as FieldViolation;
  throw new KitaruUsageError(
    `The ${schema.typeName} request is beyond kitaru's limits: ${first.field} ${first.description}` +
      (violations.length > 1 ? ` (and ${violations.length - 1} more)` : "") +
      ".",
    { violations, metadata: { requestType: schema.typeName, field: first.field } },
  );
}

/** Stop collecting after this many violations: enough to fix a request, bounded for the response. */
const MAX_VIOLATIONS = 10;

function walkMessage(schema: DescMessage, message: Record<string, unknown>, prefix: string, out: FieldViolation[]): void {
  for (const field of schema.fields) {
    if (out.length >= MAX_VIOLATIONS) return;
    const path = prefix === "" ? field.name : `${prefix}.${field.name}`;
    const value = fieldValue(field, message);
    if (value === undefined) continue;
    checkField(field, value, path, out);
  }
}

/** A field's value, also when it is a member of a oneof. */
function fieldValue(field: DescField, message: Record<string, unknown>): unknown {
  if (field.oneof === undefined) return message[field.localName];
  const group = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return group?.case === field.localName ? group.value : undefined;
}

function checkField(field: DescField, value: unknown, path: string, out: FieldViolation[]): void {
  switch (field.fieldKind) {
    case "scalar":
      checkScalar(value, path, out);
      return;
    case "enum":
      return;
    case "message":
      checkMessageValue(field.message, value, path, out);
      return;
    case "list":
      (value as unknown[]).forEach((item, i) => {
        if (field.listKind === "message") checkMessageValue(field.message, item, `${path}[${i}]`, out);
        else if (field.listKind === "scalar") checkScalar(item, `${path}[${i}]`, out);
      });
      return;
    case "map":
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        checkScalar(key, `${path} key`, out);
        if (field.mapKind === "message") checkMessageValue(field.message, item, `${path}[${quoteKey(key)}]`, out);
        else if (field.mapKind === "scalar") checkScalar(item, `${path}[${quoteKey(key)}]`, out);
      }
  }
}

function checkScalar(value: unknown, path: string, out: FieldViolation[]): void {
  if (typeof value === "string" && value.length > REQUEST_LIMITS.stringChars) {
    out.push({ field: path, description: `must be at most ${REQUEST_LIMITS.stringChars} characters; got ${value.length}` });
  }
}

function checkMessageValue(schema: DescMessage, value: unknown, path: string, out: FieldViolation[]): void {
  if (schema.typeName === STRUCT) checkJson(value as JsonObject, path, out);
  else if (schema.typeName === VALUE) checkJson(jsonOfValue(value as Value, path, out), path, out);
  else walkMessage(schema, value as Record<string, unknown>, path, out);
}

/**
 * The JSON of a `google.protobuf.Value` message tree, or undefined (with a
 * violation) when a value in it has no kind set: such a value has no JSON form.
 */
function jsonOfValue(value: Value, path: string, out: FieldViolation[]): JsonValue | undefined {
  // Iterative: a hostile value may be nested far deeper than the JS stack allows.
  const root: { value?: JsonValue } = {};
  const stack: { source: Value; assign: (v: JsonValue) => void; depth: number }[] = [{ source: value, assign: (v) => (root.value = v), depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { source, assign, depth } = item;
    if (depth > REQUEST_LIMITS.valueDepth) {
      out.push({ field: path, description: `must be nested at most ${REQUEST_LIMITS.valueDepth} levels deep` });
      return undefined;
    }
    const kind = source.kind;
    switch (kind.case) {
      case "nullValue":
        assign(null);
        break;
      case "numberValue":
      case "stringValue":
      case "boolValue":
        assign(kind.value);
        break;
      case "structValue": {
        const object: JsonObject = {};
        assign(object);
        for (const [key, child] of Object.entries(kind.value.fields)) {
          // Defined, not assigned: a "__proto__" key is data like any other.
          const assign = (v: JsonValue) => Object.defineProperty(object, key, { value: v, enumerable: true, writable: true, configurable: true });
          stack.push({ source: child, assign, depth: depth + 1 });
        }
        break;
      }
      case "listValue": {
        const list: JsonValue[] = new Array<JsonValue>(kind.value.values.length).fill(null);
        assign(list);
        for (const [i, child] of kind.value.values.entries()) stack.push({ source: child, assign: (v) => (list[i] = v), depth: depth + 1 });
        break;
      }
      case undefined:
        out.push({ field: path, description: "must be a JSON value: a google.protobuf.Value in it has no kind set" });
        return undefined;
    }
  }
  return root.value;
}

/** Checks a JSON value: finite numbers, bounded depth, bounded size as JSON text. */
function checkJson(value: JsonValue | undefined, path: string, out: FieldViolation[]): void {
  if (value === undefined) return;
  const stack: { value: JsonValue; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: current, depth } = item;
    if (typeof current === "number" && !Number.isFinite(current)) {
      out.push({ field: path, description: `must hold finite numbers only, not ${current}` });
      return;
    }
    if (current === null || typeof current !== "object") continue;
    if (depth >= REQUEST_LIMITS.valueDepth) {
      out.push({ field: path, description: `must be nested at most ${REQUEST_LIMITS.valueDepth} levels deep` });
      return;
    }
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
  if (bytes > REQUEST_LIMITS.valueBytes) {
    out.push({ field: path, description: `must be at most ${REQUEST_LIMITS.valueBytes} bytes as JSON; got ${bytes}` });
  }
}

function quoteKey(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 63)}…` : key);
}
