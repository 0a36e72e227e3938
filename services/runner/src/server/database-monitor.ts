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
}

/**
 * Pings the runner's database in the background and says whether it can be
 * reached: health reports it (NOT_SERVING while it cannot), and calls fail
 * at once with UNAVAILABLE instead of waiting for the driver's own timeout.
 * One ping at a time; a ping that hangs counts as failed after `timeoutMs`.
 */
export class DatabaseMonitor {
  readonly #options: Required<DatabaseMonitorOptions>;
  #outage: DatabaseOutage | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(options: DatabaseMonitorOptions) {
    this.#options = { intervalMs: 2000, timeoutMs: 2000, ...options };
  }

  /** The current outage; undefined while the database answers. */
  get outage(): DatabaseOutage | undefined {
    return this.#outage;
  }

  /** Starts pinging (the first ping at once). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#tick();
  }

  /** Stops pinging. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
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
      this.#set(this.#outage ?? { since: new Date(), reason: error instanceof Error ? error.message : String(error) });
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

  #set(outage: DatabaseOutage | undefined): void {
    const changed = (outage === undefined) !== (this.#outage === undefined);
    this.#outage = outage;
    if (changed) this.#options.onChange(outage);
  }
}

/**
 * Fails a call at once with `KitaruBackendError` (UNAVAILABLE, with when and
 * why in its metadata) while the monitor says the database cannot be reached.
 */
export function failFastWhileDatabaseDown(monitor: DatabaseMonitor): Interceptor {
  return (next) =>
    async function* (input, ctx) {
      const outage = monitor.outage;
      if (outage !== undefined) {
        throw new KitaruBackendError(
          `The runner's database cannot be reached (since ${outage.since.toISOString()}: ${outage.reason.slice(0, 300)}). Retry later.`,
          { metadata: { method: ctx.method.name, databaseDownSince: outage.since.toISOString() } },
        );
      }
      yield* next(input, ctx);
    };
}
