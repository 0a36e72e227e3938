import { randomBytes } from "node:crypto";
import type { Payload } from "./records.ts";

// How both stores turn JSON text into a payload: inline up to a limit,
// otherwise a blob written as numbered chunks before the record that names it.

/** JSON up to this many bytes (UTF-8) is stored inline in its record. */
const INLINE_LIMIT_BYTES = 4 * 1024 * 1024;
/** Larger JSON is split into chunks of this size (well under MongoDB's 16 MiB document limit). */
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * A JSON text prepared for storage: the payload to record, and the blob
 * chunks to write before it. Inline payloads have no chunks; a blob gets a
 * fresh random ID, so chunks of two payloads never collide.
 */
export function splitPayload(json: string): { readonly payload: Payload; readonly chunks: readonly Buffer[] } {
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes <= INLINE_LIMIT_BYTES) return { payload: { kind: "inline", json }, chunks: [] };
  const buffer = Buffer.from(json, "utf8");
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < buffer.length; offset += CHUNK_BYTES) chunks.push(buffer.subarray(offset, offset + CHUNK_BYTES));
  const blobId = `blob-${randomBytes(12).toString("hex")}`;
  return { payload: { kind: "blob", blobId, bytes, chunks: chunks.length }, chunks };
}

/**
 * The JSON text of a blob payload from its chunks, read in index order.
 * Throws when a chunk is missing (`undefined`), naming the first one.
 */
export function joinChunks(payload: Extract<Payload, { kind: "blob" }>, chunks: readonly (Uint8Array | undefined)[]): string {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < payload.chunks; i++) {
    const chunk = chunks[i];
    if (chunk === undefined) throw new Error(`Blob chunk ${payload.blobId}:${i} is missing.`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString("utf8");
}
