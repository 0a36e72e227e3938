/**
 * A full disk under the runner's database: every write fails while reads
 * still work, so the database monitor's ping keeps answering. This watch
 * learns of it from the failed writes themselves (a `StoreUnavailableError`
 * with `diskFull`, from a call or from a run in the background), says so
 * once, counts the failures that follow instead of logging each, and checks
 * every `intervalMs` whether a write goes through again. Health reports it
 * (NOT_SERVING) for as long as it lasts.
 *
 * @module
 */
import { StoreUnavailableError } from "../store/store-errors.ts";

/** A full disk: since when, why, and how many writes failed so far. */
export interface DiskFull {
  readonly since: Date;
  readonly reason: string;
  readonly failedWrites: number;
}

/** Options of {@link DiskFullWatch}. */
export interface DiskFullWatchOptions {
  /** Resolves when a write that needs new space goes through (`ExecutionStore.checkWritable`). */
  readonly checkWritable: () => Promise<void>;
  /** Time between checks while the disk is full; default 2000 ms. */
  readonly intervalMs?: number;
  /** Called when the disk fills (with the new state) and when writes go through again (undefined, and the state that ended). */
  readonly onChange: (full: DiskFull | undefined, ended: DiskFull | undefined) => void;
}

/** The store error a failure comes from, when it is a write refused for lack of space (also as a cause). */
function diskFullError(error: unknown): StoreUnavailableError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof StoreUnavailableError && current.diskFull) return current;
  }
  return undefined;
}

/** Whether the runner's database disk is full now; see the module doc. */
export class DiskFullWatch {
  readonly #options: DiskFullWatchOptions;
  #full: DiskFull | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: DiskFullWatchOptions) {
    this.#options = options;
  }

  /** The current episode; undefined while writes go through. */
  get state(): DiskFull | undefined {
    return this.#full;
  }

  /**
   * Counts `error` when it is a write refused for lack of space and returns
   * true (the caller need not log it: the first one was said, the rest are
   * counted); false for any other error.
   */
  report(error: unknown): boolean {
    const full = diskFullError(error);
    if (full === undefined) return false;
    if (this.#full !== undefined) {
      this.#full = { ...this.#full, failedWrites: this.#full.failedWrites + 1 };
      return true;
    }
    this.#full = { since: new Date(), reason: full.message, failedWrites: 1 };
    this.#options.onChange(this.#full, undefined);
    this.#schedule();
    return true;
  }

  /** Stops checking. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#check(), this.#options.intervalMs ?? 2000);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    try {
      await this.#options.checkWritable();
    } catch {
      // Still full (or failing otherwise, which the database monitor reports): check again later.
      this.#schedule();
      return;
    }
    const ended = this.#full;
    this.#full = undefined;
    if (ended !== undefined) this.#options.onChange(undefined, ended);
  }
}
