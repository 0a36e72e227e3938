/**
 * StoreUnavailableError: the store's backend could not do what was asked
 * (database unreachable or closed, disk full or failing, file corrupt or
 * unopenable). The request itself was fine: a caller may retry later.
 *
 * Both stores throw it for infrastructure failures and keep the backend's
 * own error as `cause`; everything else (a bug, a bad argument) propagates
 * unchanged. The engine treats it as a backend error (`isBackendError`).
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}
