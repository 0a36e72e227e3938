/**
 * The pause between two reads of a stream that polls the store: it ends
 * after `ms`, at once when something calls {@link PollPause.wake} (an
 * in-process event arrived), or when the stream's signal aborts.
 */
export class PollPause {
  #wake: () => void = () => undefined;

  /** Ends the current pause early; a wake with no pause running is dropped (the next read sees its cause anyway). */
  wake(): void {
    this.#wake();
  }

  /** Waits up to `ms`; resolves early on {@link wake} or when `signal` aborts. */
  pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.#wake = done;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
      if (signal.aborted) done();
    });
  }
}
