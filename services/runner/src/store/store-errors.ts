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
}

/** Stored data is missing or unreadable. */
export class StoreDataLossError extends StoreError {
  override readonly name = "StoreDataLossError";
}
