/**
 * A look at a large request's bytes before they are decoded: every
 * `google.protobuf.Value` or `Struct` field in it is measured as JSON text
 * straight from the wire format, without building a message, and a request
 * holding one larger than `REQUEST_LIMITS.valueBytes` is refused at once.
 * Decoding a 33 MiB value only to refuse it took 1.6 s of the one thread
 * that serves every call (and JSON.stringify as much again): a few such
 * requests at once kept every other call waiting for seconds.
 *
 * The sizes are lower bounds of the JSON text (a string's escapes, a
 * number's digits beyond one, are not counted), so what passes here is
 * still checked exactly once decoded (`request-limits.ts`). Bytes that are
 * not well-formed end the look: the decoder says what is wrong with them.
 *
 * @module
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { KitaruUsageError } from "#contract/errors/index.ts";

const STRUCT = "google.protobuf.Struct";
const VALUE = "google.protobuf.Value";

/** Deeper than any value may be (40 levels, two messages each): the decoder refuses those; stop looking. */
const MAX_DEPTH = 100;

class Malformed extends Error {}

/** A bounded view of protobuf wire bytes. */
class Wire {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed();
      const byte = this.bytes[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Malformed();
  }

  /** Skips a field's value of `wireType`; returns [start, end) of a length-delimited one. */
  skip(wireType: number): [number, number] | undefined {
    switch (wireType) {
      case 0:
        this.varint();
        return undefined;
      case 1:
        return this.advance(8);
      case 2: {
        const length = this.varint();
        return this.advance(length);
      }
      case 5:
        return this.advance(4);
      default:
        throw new Malformed();
    }
  }

  advance(bytes: number): [number, number] {
    const start = this.pos;
    if (start + bytes > this.end) throw new Malformed();
    this.pos += bytes;
    return [start, this.pos];
  }
}

/**
 * Throws a {@link KitaruUsageError} (with a field violation naming the
 * field) when a JSON value in the encoded request `bytes` of type `schema`
 * is more than `maxBytes` as JSON text.
 */
export function refuseOversizedValues(schema: DescMessage, bytes: Uint8Array, maxBytes: number): void {
  let found: { field: string; bytes: number } | undefined;
  try {
    found = scanMessage(schema, new Wire(bytes, 0, bytes.length), "", maxBytes, 0);
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
  }
  if (found === undefined) return;
  const description = `must be at most ${maxBytes} bytes as JSON; got at least ${found.bytes}`;
  throw new KitaruUsageError(`The ${schema.typeName} request is beyond kitaru's limits: ${found.field} ${description}.`, {
    violations: [{ field: found.field, description }],
    metadata: { requestType: schema.typeName, field: found.field },
  });
}

function scanMessage(schema: DescMessage, wire: Wire, prefix: string, maxBytes: number, depth: number): { field: string; bytes: number } | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const counts = new Map<number, number>();
  while (wire.pos < wire.end) {
    const tag = wire.varint();
    const fieldNo = Math.floor(tag / 8);
    const span = wire.skip(tag % 8);
    const field = schema.fields.find((f) => f.number === fieldNo);
    const message = field === undefined || span === undefined ? undefined : messageOf(field);
    if (field === undefined || span === undefined || message === undefined) continue;
    const index = counts.get(fieldNo) ?? 0;
    counts.set(fieldNo, index + 1);
    const path = `${prefix === "" ? "" : `${prefix}.`}${field.name}${field.fieldKind === "list" ? `[${index}]` : ""}`;
    const inner = new Wire(wire.bytes, span[0], span[1]);
    if (message.typeName === STRUCT || message.typeName === VALUE) {
      const size = message.typeName === STRUCT ? structJson(inner, depth) : valueJson(inner, depth);
      if (size > maxBytes) return { field: path, bytes: size };
    } else {
      const found = scanMessage(message, inner, path, maxBytes, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The message type of a singular or repeated message field. */
function messageOf(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  return undefined;
}

/** At least how many bytes of JSON a `google.protobuf.Value` is. */
function valueJson(wire: Wire, depth: number): number {
  let size = 4; // a Value without a kind: refused once decoded; "null" meanwhile
  while (wire.pos < wire.end) {
    const tag = wire.varint();
    const span = wire.skip(tag % 8);
    switch (Math.floor(tag / 8)) {
      case 1:
        size = 4; // null
        break;
      case 2:
        size = 1; // a number: at least one digit
        break;
      case 3:
        size = span === undefined ? 2 : 2 + (span[1] - span[0]); // quotes; escapes only add
        break;
      case 4:
        size = 4; // true (false is 5)
        break;
      case 5:
        size = span === undefined || depth > MAX_DEPTH ? 2 : structJson(new Wire(wire.bytes, span[0], span[1]), depth + 1);
        break;
      case 6:
        size = span === undefined || depth > MAX_DEPTH ? 2 : listJson(new Wire(wire.bytes, span[0], span[1]), depth + 1);
        break;
    }
  }
  return size;
}

/** At least how many bytes of JSON a `google.protobuf.Struct` is: braces, each `"key":value`, commas. */
function structJson(wire: Wire, depth: number): number {
  let size = 2;
  let entries = 0;
  while (wire.pos < wire.end) {
    const tag = wire.varint();
    const span = wire.skip(tag % 8);
    if (Math.floor(tag / 8) !== 1 || span === undefined) continue;
    const entry = new Wire(wire.bytes, span[0], span[1]);
    let key = 0;
    let value = 4;
    while (entry.pos < entry.end) {
      const entryTag = entry.varint();
      const part = entry.skip(entryTag % 8);
      if (part === undefined) continue;
      if (Math.floor(entryTag / 8) === 1) key = part[1] - part[0];
      else if (Math.floor(entryTag / 8) === 2) value = depth > MAX_DEPTH ? 4 : valueJson(new Wire(wire.bytes, part[0], part[1]), depth + 1);
    }
    size += key + 3 + value;
    entries++;
  }
  return size + Math.max(0, entries - 1);
}

/** At least how many bytes of JSON a `google.protobuf.ListValue` is: brackets, values, commas. */
function listJson(wire: Wire, depth: number): number {
  let size = 2;
  let items = 0;
  while (wire.pos < wire.end) {
    const tag = wire.varint();
    const span = wire.skip(tag % 8);
    if (Math.floor(tag / 8) !== 1 || span === undefined) continue;
    size += depth > MAX_DEPTH ? 4 : valueJson(new Wire(wire.bytes, span[0], span[1]), depth + 1);
    items++;
  }
  return size + Math.max(0, items - 1);
}
