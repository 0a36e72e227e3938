import { KitaruBackendError } from "#contract/errors/index.ts";
import type { Interceptor } from "../../../transport/src/index.ts";

/** Why the database is considered down, and since when. */
export interface DatabaseOutage {
  readonly since: Date;
  readonly reason: string;
}

/** Options of {@link DatabaseMonitor}. */
export interface DatabaseMonitorOptions {
  /** Resolves when the database answers; rejects when it does not. */
  readonly ping: () => Promise<void>;
  /** Time between pings; default 2000 ms. */
  readonly intervalMs?: number;
  /** A ping not answered in this long counts as failed; default 2000 ms. */
  readonly timeoutMs?: number;
  /** Called when the database goes down or comes back. */
  readonly onChange: (outage: DatabaseOutage | undefined) => void;
  /**
   * Called every `stillDownEveryMs` of an outage, with why the latest ping
   * failed (the outage keeps the first reason): how a long outage shows in
   * the log.
   */
  readonly onStillDown?: ((outage: DatabaseOutage, latestReason: string) => void) | undefined;
  /** Time between two {@link onStillDown} calls; default 10000 ms. */
  readonly stillDownEveryMs?: number;
  /**
   * Called with each {@link onStillDown} (one at a time): the store's
   * `reconnectIfStuck`, for a client that cannot reach a database that is
   * back. When it says what it did, the database is pinged again at once.
   */
  readonly reconnect?: (() => Promise<string | undefined>) | undefined;
  /** Told what a {@link reconnect} did, or why it failed. */
  readonly onReconnect?: ((what: string) => void) | undefined;
  /**
   * The store's own, immediate view (`ExecutionStore.watchAvailability`),
   * when it has one: a problem it reports is an outage at once; when it
   * reports none, a ping confirms before the outage ends.
   */
  readonly watch?: ((listener: (problem: string | undefined) => void) => () => void) | undefined;
}

/**
 * Pings the runner's database in the background and says whether it can be
 * reached: health reports it (NOT_SERVING while it cannot), and calls fail
 * at once with UNAVAILABLE instead of waiting for the driver's own timeout.
 * One ping at a time; a ping that hangs counts as failed after `timeoutMs`.
 */
export class DatabaseMonitor {
  readonly #options: Required<Pick<DatabaseMonitorOptions, "ping" | "intervalMs" | "timeoutMs" | "onChange" | "stillDownEveryMs">> &
    Pick<DatabaseMonitorOptions, "watch" | "onStillDown" | "reconnect" | "onReconnect">;
  /** The running {@link DatabaseMonitorOptions.reconnect}, if any. */
  #reconnecting: Promise<void> | undefined;
  #outage: DatabaseOutage | undefined;
  /** When {@link DatabaseMonitorOptions.onStillDown} was last called in this outage (or when it started). */
  #stillDownSaidAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #unwatch: (() => void) | undefined;
  /** Told when an outage starts (calls in flight waiting on the database). */
  readonly #outageListeners = new Set<(outage: DatabaseOutage) => void>();

  constructor(options: DatabaseMonitorOptions) {
    this.#options = { intervalMs: 2000, timeoutMs: 2000, stillDownEveryMs: 10_000, ...options };
  }

  /** The current outage; undefined while the database answers. */
  get outage(): DatabaseOutage | undefined {
    return this.#outage;
  }

  /** Starts pinging (the first ping at once), and watching the store's own view when it has one. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#unwatch = this.#options.watch?.((problem) => {
      if (problem !== undefined) this.#set(this.#outage ?? { since: new Date(), reason: problem });
      else void this.check();
    });
    void this.#tick();
  }

  /** Stops pinging and watching. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** Calls `listener` when the next outage starts (once); returns the unsubscribe function. */
  onNextOutage(listener: (outage: DatabaseOutage) => void): () => void {
    const once = (outage: DatabaseOutage) => {
      this.#outageListeners.delete(once);
      listener(outage);
    };
    this.#outageListeners.add(once);
    return () => this.#outageListeners.delete(once);
  }

  /** Pings once now and updates the state; resolves with the outage, if any. */
  async check(): Promise<DatabaseOutage | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.#options.timeoutMs} ms`)), this.#options.timeoutMs);
    });
    try {
      await Promise.race([this.#options.ping(), timeout]);
      this.#set(undefined);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#set(this.#outage ?? { since: new Date(), reason });
      this.#sayStillDown(reason);
    } finally {
      clearTimeout(timer);
    }
    return this.#outage;
  }

  async #tick(): Promise<void> {
    await this.check();
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  #sayStillDown(latestReason: string): void {
    const outage = this.#outage;
    if (outage === undefined || Date.now() - this.#stillDownSaidAt < this.#options.stillDownEveryMs) return;
    this.#stillDownSaidAt = Date.now();
    this.#options.onStillDown?.(outage, latestReason);
    const { reconnect } = this.#options;
    if (reconnect === undefined || this.#reconnecting !== undefined) return;
    this.#reconnecting = (async () => {
      try {
        const what = await reconnect();
        if (what === undefined) return;
        this.#options.onReconnect?.(what);
        if (!this.#stopped) await this.check();
      } catch (error) {
        // The outage goes on, and the next report tries again.
        this.#options.onReconnect?.(`reconnecting to the database failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.#reconnecting = undefined;
      }
    })();
  }

  #set(outage: DatabaseOutage | undefined): void {
    const changed = (outage === undefined) !== (this.#outage === undefined);
    this.#outage = outage;
    if (!changed) return;
    if (outage !== undefined) this.#stillDownSaidAt = Date.now();
    this.#options.onChange(outage);
    if (outage !== undefined) for (const listener of [...this.#outageListeners]) listener(outage);
  }
}

function unavailable(outage: DatabaseOutage, method: string): KitaruBackendError {
  return new KitaruBackendError(`The runner's database cannot be reached (since ${outage.since.toISOString()}: ${outage.reason.slice(0, 300)}). Retry later.`, {
    metadata: { method, databaseDownSince: outage.since.toISOString() },
  });
}

/**
 * Fails a call at once with `KitaruBackendError` (UNAVAILABLE, with when and
 * why in its metadata) while the monitor says the database cannot be
 * reached, and a call in flight as soon as it says so: a call that was
 * waiting on the database would otherwise wait out the driver's own timeout
 * (MongoDB's server selection, 5 s). What the abandoned handler does next is
 * discarded, as for any UNAVAILABLE answer (retry with the same request ID).
 */
export function failFastWhileDatabaseDown(monitor: DatabaseMonitor): Interceptor {
  return (next) =>
    async function* (input, ctx) {
      const current = monitor.outage;
      if (current !== undefined) throw unavailable(current, ctx.method.name);
      let stopWaiting: () => void = () => undefined;
      const down = new Promise<DatabaseOutage>((resolve) => {
        stopWaiting = monitor.onNextOutage(resolve);
      });
      const iterator = next(input, ctx)[Symbol.asyncIterator]();
      try {
        for (;;) {
          const step = await Promise.race([iterator.next(), down.then((outage) => ({ outage }))]);
          if ("outage" in step) {
            void iterator.return?.(undefined).catch(() => undefined); // the handler's own error, if any, is moot now
            throw unavailable(step.outage, ctx.method.name);
          }
          if (step.done) return;
          yield step.value;
        }
      } finally {
        stopWaiting();
      }
    };
}
