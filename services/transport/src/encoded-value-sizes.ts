/**
 * A look at a large request's bytes before they are decoded: every
 * `google.protobuf.Value` or `Struct` field in it is measured as JSON text
 * straight from the wire format, without building a message, and a request
 * holding one larger than `REQUEST_LIMITS.valueBytes` is refused at once.
 * Decoding a value of millions of small elements only to refuse it took
 * seconds of the one thread that serves every call: a few such requests at
 * once kept every other call waiting (bench/large-requests.ts).
 *
 * The sizes are lower bounds of the JSON text (a string's escapes, a
 * number's digits beyond one, are not counted), so what passes here is
 * still checked exactly once decoded (`request-limits.ts`). Bytes that are
 * not well-formed end the look: the decoder says what is wrong with them.
 * Nothing is allocated per element (a value may hold millions of them): the
 * readers below share one read position.
 *
 * @module
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { KitaruUsageError } from "#contract/errors/index.ts";

const STRUCT = "google.protobuf.Struct";
const VALUE = "google.protobuf.Value";

/** Deeper than any value may be (40 levels, two messages each): the decoder refuses those; stop looking. */
const MAX_DEPTH = 100;

const LENGTH_DELIMITED = 2;

class Malformed extends Error {}

/** The bytes being read, and where: one look at a time (JavaScript runs it to its end without interleaving). */
let bytes: Uint8Array = new Uint8Array(0);
let at = 0;

function varint(end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw new Malformed();
    const byte = bytes[at++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  throw new Malformed();
}

/** Skips a field's value of `wireType`; returns the length of a length-delimited one (it then starts at `at - length`), else -1. */
function skip(wireType: number, end: number): number {
  let length = -1;
  switch (wireType) {
    case 0:
      varint(end);
      return -1;
    case 1:
      at += 8;
      break;
    case LENGTH_DELIMITED:
      length = varint(end);
      at += length;
      break;
    case 5:
      at += 4;
      break;
    default:
      throw new Malformed();
  }
  if (at > end) throw new Malformed();
  return length;
}

/**
 * Throws a {@link KitaruUsageError} (with a field violation naming the
 * field) when a JSON value in the encoded request `request` of type
 * `schema` is more than `maxBytes` as JSON text.
 */
export function refuseOversizedValues(schema: DescMessage, request: Uint8Array, maxBytes: number): void {
  let found: { field: string; bytes: number } | undefined;
  bytes = request;
  at = 0;
  try {
    found = scanMessage(schema, request.length, "", maxBytes, 0);
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
  } finally {
    bytes = new Uint8Array(0); // not kept alive past the look
  }
  if (found === undefined) return;
  const description = `must be at most ${maxBytes} bytes as JSON; got at least ${found.bytes}`;
  throw new KitaruUsageError(`The ${schema.typeName} request is beyond kitaru's limits: ${found.field} ${description}.`, {
    violations: [{ field: found.field, description }],
    metadata: { requestType: schema.typeName, field: found.field },
  });
}

function scanMessage(schema: DescMessage, end: number, prefix: string, maxBytes: number, depth: number): { field: string; bytes: number } | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const counts = new Map<number, number>();
  while (at < end) {
    const tag = varint(end);
    const length = skip(tag % 8, end);
    const field = length < 0 ? undefined : schema.fields.find((f) => f.number === Math.floor(tag / 8));
    const message = field === undefined ? undefined : messageOf(field);
    if (field === undefined || message === undefined) continue;
    const index = counts.get(field.number) ?? 0;
    counts.set(field.number, index + 1);
    const path = `${prefix === "" ? "" : `${prefix}.`}${field.name}${field.fieldKind === "list" ? `[${index}]` : ""}`;
    const after = at;
    at -= length;
    if (message.typeName === STRUCT || message.typeName === VALUE) {
      const size = message.typeName === STRUCT ? structJson(after, depth) : valueJson(after, depth);
      if (size > maxBytes) return { field: path, bytes: size };
    } else {
      const found = scanMessage(message, after, path, maxBytes, depth + 1);
      if (found !== undefined) return found;
    }
    at = after;
  }
  return undefined;
}

/** The message type of a singular or repeated message field. */
function messageOf(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  return undefined;
}

/** At least how many bytes of JSON the `google.protobuf.Value` from `at` to `end` is; leaves `at` at `end`. */
function valueJson(end: number, depth: number): number {
  let size = 4; // a Value without a kind: refused once decoded; "null" meanwhile
  while (at < end) {
    const tag = varint(end);
    const length = skip(tag % 8, end);
    switch (Math.floor(tag / 8)) {
      case 1:
        size = 4; // null
        break;
      case 2:
        size = 1; // a number: at least one digit
        break;
      case 3:
        size = length < 0 ? 2 : 2 + length; // quotes; escapes only add
        break;
      case 4:
        size = 4; // true (false is 5)
        break;
      case 5:
      case 6: {
        if (length < 0 || depth > MAX_DEPTH) {
          size = 2;
          break;
        }
        const after = at;
        at -= length;
        size = tag >>> 3 === 5 ? structJson(after, depth + 1) : listJson(after, depth + 1);
        at = after;
        break;
      }
    }
  }
  return size;
}

/** At least how many bytes of JSON a `google.protobuf.Struct` is: braces, each `"key":value`, commas. */
function structJson(end: number, depth: number): number {
  let size = 2;
  let entries = 0;
  while (at < end) {
    const tag = varint(end);
    const length = skip(tag % 8, end);
    if (tag >>> 3 !== 1 || length < 0) continue;
    const entryEnd = at;
    at -= length;
    let key = 0;
    let value = 4;
    while (at < entryEnd) {
      const entryTag = varint(entryEnd);
      const partLength = skip(entryTag % 8, entryEnd);
      if (partLength < 0) continue;
      if (entryTag >>> 3 === 1) key = partLength;
      else if (entryTag >>> 3 === 2 && depth <= MAX_DEPTH) {
        const partEnd = at;
        at -= partLength;
        value = valueJson(partEnd, depth + 1);
        at = partEnd;
      }
    }
    size += key + 3 + value;
    entries++;
  }
  return size + Math.max(0, entries - 1);
}

/** At least how many bytes of JSON a `google.protobuf.ListValue` is: brackets, values, commas. */
function listJson(end: number, depth: number): number {
  let size = 2;
  let items = 0;
  while (at < end) {
    const tag = varint(end);
    const length = skip(tag % 8, end);
    if (tag >>> 3 !== 1 || length < 0) continue;
    const itemEnd = at;
    at -= length;
    size += depth > MAX_DEPTH ? 4 : valueJson(itemEnd, depth + 1);
    at = itemEnd;
    items++;
  }
  return size + Math.max(0, items - 1);
}
