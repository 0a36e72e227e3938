import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

function base32(bytes: Uint8Array, length: number): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** A new random execution ID: `kr-` and 16 base32 characters (80 bits). */
export function newExecId(): string {
  return `kr-${base32(randomBytes(10), 16)}`;
}

/**
 * The execution ID a request ID maps to. Deterministic, so the insert of the
 * execution document is itself the idempotency check: a second request with
 * the same ID collides on `_id` and gets the first execution back.
 */
export function execIdForRequest(scope: "start" | "replay", namespace: string, requestId: string): string {
  // The namespace is part of it: two namespaces may use the same request ID for unrelated requests.
  return `kr-${base32(createHash("sha256").update(`${scope}\u0000${namespace}\u0000${requestId}`).digest(), 20)}`;
}

/**
 * Random bytes handed out from a pool refilled 4 KiB at a time: a replay
 * gives thousands of reused calls new IDs at once, and one `randomBytes`
 * call per ID would cost more than the rest of recording the call.
 */
class RandomPool {
  #pool = Buffer.alloc(0);
  #offset = 0;

  take(length: number): Uint8Array {
    if (this.#offset + length > this.#pool.length) {
      this.#pool = randomBytes(4096);
      this.#offset = 0;
    }
    const bytes = this.#pool.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }
}

const callIdRandomness = new RandomPool();

/** A new globally unique call ID (80 random bits). */
export function newCallId(): string {
  return `call-${base32(callIdRandomness.take(10), 16)}`;
}

/** The wait ID of a wait; deterministic so that re-running a body records the same wait. */
export function waitIdFor(execId: string, waitName: string): string {
  return `wait-${base32(createHash("sha256").update(`${execId}\u0000${waitName}`).digest(), 16)}`;
}

/** A new runner instance ID. */
export function newRunnerId(): string {
  return `runner-${base32(randomBytes(5), 8)}`;
}
