import { mkdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { applySchema, configureConnection, foreignTables } from "./sqlite-schema.ts";
import { ForeignStoreFileError, StoreUnavailableError } from "./store-errors.ts";

/** Timing of a {@link SqliteConnection}'s lock handling. */
export interface SqliteLockOptions {
  /**
   * How long SQLite itself waits for a lock held by another connection
   * before reporting busy (default 200 ms). better-sqlite3 is synchronous,
   * so this wait blocks the event loop: keep it short.
   */
  readonly busyTimeoutMs?: number;
  /**
   * How long the store keeps retrying a busy database, asynchronously and
   * with backoff, before it gives up with {@link StoreUnavailableError}
   * (default 30000 ms).
   */
  readonly lockRetryMs?: number;
}

/** SQLite result codes (extended codes start with these) that mean the backend failed, not the request. */
const INFRASTRUCTURE = /^SQLITE_(IOERR|FULL|CORRUPT|CANTOPEN|NOTADB|READONLY|PROTOCOL|NOMEM|PERM|NOLFS|AUTH)/;
/** Another connection holds the lock: worth waiting for. */
const BUSY = /^SQLITE_(BUSY|LOCKED)/;

function sqliteCode(error: unknown): string {
  return error instanceof Database.SqliteError ? error.code : "";
}

/**
 * One SQLite database file, opened in this process, with the store's lock
 * handling: every operation runs through {@link read} or {@link write},
 * which retry while another process holds the lock (callers never see a busy
 * error) and turn infrastructure failures into {@link StoreUnavailableError}.
 */
export class SqliteConnection {
  /** The database; use it only inside `read`/`write`. */
  readonly db: Database.Database;
  readonly #file: string;
  readonly #lockRetryMs: number;
  /** One transaction function for every write (better-sqlite3 builds its BEGIN/COMMIT wrappers once). */
  readonly #transaction: Database.Transaction<(work: () => unknown) => unknown>;

  private constructor(db: Database.Database, file: string, lockRetryMs: number) {
    this.db = db;
    this.#file = file;
    this.#lockRetryMs = lockRetryMs;
    this.#transaction = db.transaction((work: () => unknown) => work());
  }

  /**
   * Opens (creating the file and its parent directory when missing)
   * `file`, applies the durability settings and creates the schema.
   * An unopenable file or directory is a {@link StoreUnavailableError}.
   */
  static async open(file: string, options: SqliteLockOptions = {}): Promise<SqliteConnection> {
    const absolute = path.resolve(file);
    let db: Database.Database;
    try {
      mkdirSync(path.dirname(absolute), { recursive: true });
      db = new Database(absolute, { timeout: options.busyTimeoutMs ?? 200 });
    } catch (error) {
      throw new StoreUnavailableError(`Cannot open the SQLite database ${absolute} (${describe(error)})`, { cause: error });
    }
    const connection = new SqliteConnection(db, absolute, options.lockRetryMs ?? 30_000);
    try {
      // Another application's file is refused before anything in it changes (WAL would be the first change).
      const foreign = await connection.#attempt(undefined, () => foreignTables(db));
      if (foreign !== undefined) throw new ForeignStoreFileError(absolute, foreign);
      await connection.#attempt(undefined, () => configureConnection(db));
      await connection.#attempt(undefined, () => applySchema(db));
    } catch (error) {
      db.close();
      throw error;
    }
    return connection;
  }

  /** The absolute path of the database file. */
  get file(): string {
    return this.#file;
  }

  /** Runs `work` (reads only); retries while the database is locked, until `signal` aborts. */
  read<T>(signal: AbortSignal | undefined, work: () => T): Promise<T> {
    return this.#attempt(signal, work);
  }

  /**
   * Runs `work` in one write transaction (`BEGIN IMMEDIATE`: the write lock
   * is taken first, so the transaction never fails half-way for a lock);
   * rolled back when `work` throws, retried as a whole while the database
   * is locked, until `signal` aborts.
   */
  write<T>(signal: AbortSignal | undefined, work: () => T): Promise<T> {
    return this.#attempt(signal, () => this.#transaction.immediate(work) as T);
  }

  /**
   * What a driver error of a write made elsewhere (the group-commit writer's
   * thread, which retries a lock for `lockRetryMs` itself) means for the
   * caller: {@link StoreUnavailableError} for infrastructure failures and a
   * lock held too long, the error itself otherwise.
   */
  writeFailure(error: Error): Error {
    const code = sqliteCode(error);
    if (INFRASTRUCTURE.test(code)) {
      return new StoreUnavailableError(`The SQLite database ${this.#file} failed (${describe(error)})`, {
        cause: error,
        diskFull: code.startsWith("SQLITE_FULL"),
      });
    }
    if (BUSY.test(code)) {
      return new StoreUnavailableError(`The SQLite database ${this.#file} stayed locked for ${this.#lockRetryMs} ms (${describe(error)})`, { cause: error });
    }
    return error;
  }

  /** How long a write keeps trying for a lock another process holds. */
  get lockRetryMs(): number {
    return this.#lockRetryMs;
  }

  /**
   * Caps the file at about `bytes` (`PRAGMA max_page_count` of this
   * connection), or lifts the cap (undefined): beyond it, writes fail as on a
   * full disk. For operators who want a bound on the file, and for tests of
   * a full disk. Returns the cap in pages now in force.
   */
  capFileSize(bytes: number | undefined): number {
    const pageSize = this.db.pragma("page_size", { simple: true }) as number;
    const pages = bytes === undefined ? 0xfffffffe : Math.max(1, Math.floor(bytes / pageSize));
    return this.db.pragma(`max_page_count = ${pages}`, { simple: true }) as number;
  }

  /** Closes the database; later operations fail with {@link StoreUnavailableError}. Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  async #attempt<T>(signal: AbortSignal | undefined, work: () => T): Promise<T> {
    const giveUpAt = Date.now() + this.#lockRetryMs;
    for (let attempt = 0; ; attempt++) {
      // better-sqlite3 runs each statement synchronously (and briefly): a caller that
      // gave up is honoured before each attempt and during the waits between them.
      signal?.throwIfAborted();
      if (!this.db.open) throw new StoreUnavailableError(`The SQLite database ${this.#file} is closed.`);
      try {
        return work();
      } catch (error) {
        const code = sqliteCode(error);
        if (INFRASTRUCTURE.test(code)) {
          throw new StoreUnavailableError(`The SQLite database ${this.#file} failed (${describe(error)})`, {
            cause: error,
            diskFull: code.startsWith("SQLITE_FULL"),
          });
        }
        if (!BUSY.test(code)) throw error;
        if (Date.now() >= giveUpAt) {
          throw new StoreUnavailableError(`The SQLite database ${this.#file} stayed locked for ${this.#lockRetryMs} ms (${describe(error)})`, { cause: error });
        }
        // Off the event loop: exponential from 2 ms up to 100 ms, with jitter so contenders spread out.
        const delay = Math.min(100, 2 ** Math.min(attempt + 1, 7)) * (0.5 + Math.random());
        await sleep(delay, undefined, signal ? { signal } : undefined);
      }
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = sqliteCode(error) || (error as NodeJS.ErrnoException).code;
  return code ? `${code}: ${error.message}` : error.message;
}
