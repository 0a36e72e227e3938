/**
 * The typed errors of the storage boundary. Each store translates its
 * driver's errors into these in one place (`mongo-execution-store.ts`:
 * `storeError`; `sqlite-connection.ts`), so the engine never looks at a
 * driver's error names.
 *
 * - {@link StoreUnavailableError}: the backend could not do what was asked
 *   (database unreachable or closed, disk full or failing, file locked,
 *   corrupt or unopenable). The request itself was fine: retry later.
 * - {@link StoreDataLossError}: data that was written is missing or
 *   unreadable (a blob chunk gone, stored text that is not JSON). Not the
 *   user's code, and not fixed by retrying.
 * - {@link ForeignStoreFileError}: the SQLite file at the store's path is
 *   another application's database; the store left it unchanged.
 *
 * @module
 */

/** Base of the store's typed errors; the backend's own error is the `cause`. */
abstract class StoreError extends Error {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/** The store's backend is out of reach or failing; the caller may retry later. */
export class StoreUnavailableError extends StoreError {
  override readonly name = "StoreUnavailableError";
  /**
   * The database's disk (or file) is full: writes fail while reads still
   * work, until space is freed (SQLite `SQLITE_FULL`, MongoDB
   * `OutOfDiskSpace`). The runner's health reports it.
   */
  readonly diskFull: boolean;

  constructor(message: string, options?: { readonly cause?: unknown; readonly diskFull?: boolean }) {
    super(message, options);
    this.diskFull = options?.diskFull ?? false;
  }
}

/** Stored data is missing or unreadable. */
export class StoreDataLossError extends StoreError {
  override readonly name = "StoreDataLossError";
}

/**
 * The SQLite file at the store's path holds another application's tables: the
 * store refused to open it before changing anything in it (its journal mode
 * included). Not fixed by retrying: give the store a file of its own.
 */
export class ForeignStoreFileError extends StoreError {
  override readonly name = "ForeignStoreFileError";
  /** The file's absolute path. */
  readonly file: string;
  /** Some of the tables found in it (at most 5), sorted. */
  readonly tables: readonly string[];

  constructor(file: string, tables: readonly string[]) {
    super(`The SQLite file ${file} is not a kitaru database: it holds another application's tables (${tables.join(", ")}).`);
    this.file = file;
    this.tables = tables;
  }
}
