/**
 * How many large requests a service works on at once. Decoding, checking
 * and handling a request of tens of MiB takes the one thread that serves
 * every call for a second or more; several at once left small calls
 * unanswered for over 20 s. Requests above `LARGE_REQUEST_BYTES` take a
 * slot (two by default) for their decoding and their handler, and wait
 * for one in arrival order; small requests never wait here, so they are
 * served between the large ones.
 *
 * @module
 */

/** Requests larger than this (bytes on the wire) take a slot. */
export const LARGE_REQUEST_BYTES = 1024 * 1024;

/** Large requests worked on at once. */
const SLOTS = 2;

/** A FIFO of slots; one per process serves every service it hosts. */
export class LargeRequestGate {
  readonly #slots: number;
  #busy = 0;
  readonly #queue: (() => void)[] = [];

  constructor(slots = SLOTS) {
    this.#slots = slots;
  }

  /**
   * Resolves with the function that gives the slot back, once one is free;
   * rejects with `signal`'s reason if the call ends while it waits.
   */
  enter(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next();
      else this.#busy--;
    };
    if (this.#busy < this.#slots) {
      this.#busy++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", abandon);
        resolve(release);
      };
      const abandon = () => {
        const index = this.#queue.indexOf(grant);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal.reason);
      };
      this.#queue.push(grant);
      signal.addEventListener("abort", abandon, { once: true });
    });
  }
}
