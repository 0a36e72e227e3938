/**
 * Responses encoded by their handler, and the protobuf wire-format writing
 * that hand-written encoders of large messages use.
 *
 * A handler normally returns a message (or its init shape) and the adapter
 * encodes it with protobuf-es. For a message of thousands of elements (the
 * runner's call graph, the planner's plan) that costs a message object per
 * element and a generic encoder walking each; a handler may instead return an
 * {@link EncodedMessage}: the bytes, written directly from its own records.
 * Its encoder must write exactly what protobuf-es writes for the same message
 * (tests compare the two), so nothing on the wire changes.
 *
 * @module
 */
import type { DescMessage } from "@bufbuild/protobuf";

/** A response already in the protobuf binary format, of the message `schema` describes. */
export class EncodedMessage<Desc extends DescMessage = DescMessage> {
  constructor(
    readonly schema: Desc,
    readonly bytes: Uint8Array,
  ) {}
}

/** Wire types (protobuf encoding spec). */
export const WireType = { varint: 0, lengthDelimited: 2 } as const;

const DEFAULT_BYTES = 64 * 1024;
/** A larger estimate starts at this size (and grows as needed). */
const MAX_INITIAL_BYTES = 256 * 1024 * 1024;

/** Strings shorter than this many UTF-16 units are at most 127 bytes in UTF-8 (3 bytes per unit): a 1-byte length prefix. */
const ONE_BYTE_LENGTH_UNITS = 43;

/**
 * Writes protobuf wire format into one growing buffer, as protobuf-es's
 * `BinaryWriter` does (same varints, same UTF-8: ill-formed UTF-16 becomes
 * U+FFFD), without its per-field overhead: a length-delimited submessage gets
 * a 1-byte length placeholder that is widened in place when it is longer.
 */
export class WireWriter {
  #buf: Buffer;
  #pos = 0;

  /** `initialBytes`: an estimate of the size (the buffer grows past it); one that is no size (NaN, negative) is ignored. */
  constructor(initialBytes = DEFAULT_BYTES) {
    this.#buf = Buffer.allocUnsafe(initialBytes >= 1 && initialBytes <= MAX_INITIAL_BYTES ? Math.ceil(initialBytes) : DEFAULT_BYTES);
  }

  #ensure(bytes: number): Buffer {
    if (this.#pos + bytes > this.#buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + bytes));
      this.#buf.copy(next, 0, 0, this.#pos);
      this.#buf = next;
    }
    return this.#buf;
  }

  /** A field's tag. */
  tag(fieldNo: number, wireType: number): this {
    return this.uint(fieldNo * 8 + wireType);
  }

  /** An unsigned varint of a non-negative safe integer (uint32, or a uint64 held as a number). */
  uint(value: number): this {
    const buf = this.#ensure(10);
    let pos = this.#pos;
    let rest = value;
    while (rest > 0x7f) {
      buf[pos++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    buf[pos++] = rest;
    this.#pos = pos;
    return this;
  }

  /** A string's UTF-8 bytes, length-prefixed. */
  string(value: string): this {
    const units = value.length;
    const buf = this.#ensure(units * 3 + 5);
    const start = this.#pos;
    if (units < 128) {
      // ASCII: one byte per unit, the length known up front.
      let pos = start + 1;
      let i = 0;
      for (; i < units; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buf[pos++] = code;
      }
      if (i === units) {
        buf[start] = units;
        this.#pos = pos;
        return this;
      }
    }
    if (units < ONE_BYTE_LENGTH_UNITS) {
      const written = buf.write(value, start + 1, "utf8");
      buf[start] = written;
      this.#pos = start + 1 + written;
      return this;
    }
    this.uint(Buffer.byteLength(value, "utf8"));
    this.#pos += buf.write(value, this.#pos, "utf8");
    return this;
  }

  /** Bytes as they are (an encoded field or fields). */
  raw(bytes: Uint8Array): this {
    const buf = this.#ensure(bytes.length);
    buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }

  /** Starts a length-delimited value (after its tag); {@link join} ends it. Returns where its length goes. */
  fork(): number {
    this.#ensure(1);
    return this.#pos++;
  }

  /** Ends the length-delimited value started at `at`: writes its length there, widening the prefix if needed. */
  join(at: number): this {
    const length = this.#pos - at - 1;
    if (length < 128) {
      (this.#buf as Uint8Array)[at] = length;
      return this;
    }
    let size = 1;
    for (let rest = length; rest > 0x7f; rest = Math.floor(rest / 128)) size++;
    const buf = this.#ensure(size - 1);
    buf.copyWithin(at + size, at + 1, this.#pos);
    this.#pos += size - 1;
    let pos = at;
    let rest = length;
    while (rest > 0x7f) {
      buf[pos++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    buf[pos] = rest;
    return this;
  }

  /** The bytes written (a view of the buffer). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }
}
