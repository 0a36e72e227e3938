/**
 * How every durable value is stored: flow inputs, checkpoint outputs,
 * override values, wait answers, results (as {@link Payload}s) and metadata
 * (as text inside records). The one module that encodes and decodes them:
 * adding compression or encryption of stored values means changing this file.
 *
 * A value is checked before it is stored (JSON only, nested at most
 * `VALUE_LIMITS.depth` levels, at most `VALUE_LIMITS.bytes` as JSON text:
 * beyond, `KitaruContextError`), kept inline in its record up to
 * {@link INLINE_LIMIT_BYTES}, and beyond that written first as numbered blob
 * chunks (under MongoDB's 16 MiB document limit) that the record names.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { jsonTypeOfText, storableJson, toJsonValue, type JsonType, type JsonValue } from "#contract/json-value.ts";
import { KitaruContextError } from "#contract/errors/index.ts";
import type { ExecutionStore, StoreCallOptions } from "./execution-store.ts";
import type { Payload } from "./records.ts";
import { StoreDataLossError } from "./store-errors.ts";

/** JSON up to this many bytes (UTF-8) is stored inline in its record. */
const INLINE_LIMIT_BYTES = 4 * 1024 * 1024;
/** Larger JSON is split into chunks of this size. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/** The raw blob storage a store provides to the codec. */
export type BlobStore = Pick<ExecutionStore, "writeBlob" | "readBlob">;

/** A value checked and serialized, ready to store. */
export interface EncodedValue {
  /** The value as JSON (what code receives: undefined properties dropped). */
  readonly value: JsonValue;
  /** Its JSON text. */
  readonly text: string;
}

/** Encodes, stores, loads and decodes durable values. */
export class ValueCodec {
  readonly #blobs: BlobStore;

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  /**
   * Checks a value (produced by user code or sent by a caller) and serializes
   * it, without storing it; `what` names it in errors ("The output of
   * checkpoint 'research'"). Beyond the limits → `KitaruContextError`.
   */
  encode(value: unknown, what: string): EncodedValue {
    const checked = toJsonValue(value, what);
    return { value: checked, text: storableJson(checked, what) };
  }

  /** Stores an encoded value: inline when small, else its blob chunks first. */
  async store(encoded: EncodedValue, options?: StoreCallOptions): Promise<Payload> {
    const bytes = Buffer.byteLength(encoded.text, "utf8");
    if (bytes <= INLINE_LIMIT_BYTES) return { kind: "inline", json: encoded.text };
    const buffer = Buffer.from(encoded.text, "utf8");
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < buffer.length; offset += CHUNK_BYTES) chunks.push(buffer.subarray(offset, offset + CHUNK_BYTES));
    // A fresh random ID: chunks of two values never collide, and a blob whose record was never written is only garbage.
    const blobId = `blob-${randomBytes(12).toString("hex")}`;
    await this.#blobs.writeBlob(blobId, chunks, options);
    return { kind: "blob", blobId, bytes, chunks: chunks.length };
  }

  /** {@link encode} then {@link store}. */
  async save(value: unknown, what: string, options?: StoreCallOptions): Promise<Payload> {
    return this.store(this.encode(value, what), options);
  }

  /** The JSON text of a stored value. A missing or unreadable part is a {@link StoreDataLossError}. */
  async loadText(payload: Payload, options?: StoreCallOptions): Promise<string> {
    if (payload.kind === "inline") return payload.json;
    const chunks = await this.#blobs.readBlob(payload.blobId, payload.chunks, options);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < payload.chunks; i++) {
      const chunk = chunks[i];
      if (chunk === undefined) throw new StoreDataLossError(`Chunk ${i} of stored value ${payload.blobId} is missing.`);
      parts.push(chunk);
    }
    const text = Buffer.concat(parts).toString("utf8");
    if (Buffer.byteLength(text, "utf8") !== payload.bytes) {
      throw new StoreDataLossError(`Stored value ${payload.blobId} has ${Buffer.byteLength(text, "utf8")} bytes; its record says ${payload.bytes}.`);
    }
    return text;
  }

  /** A stored value. */
  async load(payload: Payload, options?: StoreCallOptions): Promise<JsonValue> {
    if (payload.kind === "inline") return this.loadInline(payload);
    return parse(await this.loadText(payload, options), payload.blobId);
  }

  /** A value stored inline, at once. */
  loadInline(payload: Extract<Payload, { kind: "inline" }>): JsonValue {
    return parse(payload.json, "an inline value");
  }

  /** A stored value, or undefined for none. */
  async loadOptional(payload: Payload | undefined, options?: StoreCallOptions): Promise<JsonValue | undefined> {
    return payload === undefined ? undefined : this.load(payload, options);
  }

  /** The JSON type of a stored value, read from its start (a large value's first chunk only). */
  async jsonType(payload: Payload, options?: StoreCallOptions): Promise<JsonType> {
    if (payload.kind === "inline") return jsonTypeOfText(payload.json);
    const [first] = await this.#blobs.readBlob(payload.blobId, 1, options);
    if (first === undefined) throw new StoreDataLossError(`Chunk 0 of stored value ${payload.blobId} is missing.`);
    return jsonTypeOfText(Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, 64)).toString("utf8"));
  }

  /** The size of a stored value's JSON text, known without loading it. */
  bytes(payload: Payload): number {
    return payload.kind === "inline" ? Buffer.byteLength(payload.json, "utf8") : payload.bytes;
  }

  /**
   * A small value kept inside a record (metadata): checked, serialized, at
   * most `maxBytes`; beyond → `KitaruContextError` naming `what`.
   */
  encodeInline(value: unknown, what: string, maxBytes: number): string {
    const { text } = this.encode(value, what);
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > maxBytes) {
      throw new KitaruContextError(`${what} would be ${bytes} bytes; kitaru keeps at most ${maxBytes} bytes of it.`, {
        metadata: { what, bytes: String(bytes), limit: String(maxBytes) },
      });
    }
    return text;
  }

  /**
   * A value {@link encodeInline} wrote; undefined for none (`undefined` or
   * `""`); text that is not JSON → `StoreDataLossError`. Static: reading one
   * needs nothing but its text, so the gRPC layer's converters read metadata
   * here too (a codec that encrypted values would make this an instance
   * method and hand the engine's codec to them).
   */
  static decodeInline(text: string | undefined): JsonValue | undefined {
    return text === undefined || text === "" ? undefined : parse(text, "an inline value");
  }
}

function parse(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new StoreDataLossError(`The stored text of ${what} is not JSON (${(error as Error).message}).`, { cause: error });
  }
}
