/**
 * Writes a replay's reused-call records in batches: one insert per
 * {@link REUSED_FLUSH_SIZE} records instead of one per call. They can be
 * derived again from the replay plan, so a crash before a flush loses
 * nothing; they are flushed before the next executed call's record, so
 * watchers see calls in issue order.
 *
 * @module
 */
import type { ExecutionStore } from "../store/execution-store.ts";
import type { CallRecord } from "../store/records.ts";

/** Flush buffered reused-call records once this many accumulate. */
const REUSED_FLUSH_SIZE = 500;

/** The buffer of one run's reused-call records. */
export class ReusedCallWriter {
  readonly #store: ExecutionStore;
  #buffer: CallRecord[] = [];
  #flushed: Promise<void> = Promise.resolve();

  constructor(store: ExecutionStore) {
    this.#store = store;
  }

  /** Buffers a record; writes the buffer when it is full. */
  add(record: CallRecord): void {
    this.#buffer.push(record);
    if (this.#buffer.length >= REUSED_FLUSH_SIZE) void this.flush();
  }

  /** Writes what is buffered (after any write still in progress); resolves when all is written. */
  flush(): Promise<void> {
    const batch = this.#buffer;
    this.#buffer = [];
    if (batch.length > 0) this.#flushed = this.#flushed.then(() => this.#store.recordCalls(batch));
    return this.#flushed;
  }
}
