import { KitaruBackendError, KitaruInternalError } from "#contract/errors/index.ts";
import type { Interceptor } from "../../../transport/src/index.ts";
import { StoreDataLossError, StoreUnavailableError } from "../store/store-errors.ts";

/**
 * Turns the store's typed errors into kitaru errors, in one place: an
 * unavailable store is `KitaruBackendError` (UNAVAILABLE: the request was
 * fine, the database was not, retry later); lost data is
 * `KitaruInternalError` (retrying will not bring it back; the operator must
 * look).
 */
export const databaseErrors: Interceptor = (next) =>
  async function* (input, ctx) {
    try {
      yield* next(input, ctx);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        throw new KitaruBackendError(`The runner's database is unavailable (${error.message}). Retry later.`, {
          cause: error,
          metadata: { method: ctx.method.name, databaseError: error.cause instanceof Error ? error.cause.name : error.name },
        });
      }
      if (error instanceof StoreDataLossError) {
        throw new KitaruInternalError(`Stored data is missing or unreadable: ${error.message}`, { cause: error, metadata: { method: ctx.method.name } });
      }
      throw error;
    }
  };

/** Shows `observe` every error a call fails with (the runner counts a full disk's failed writes), then passes it on. */
export function observeCallErrors(observe: (error: unknown) => void): Interceptor {
  return (next) =>
    async function* (input, ctx) {
      try {
        yield* next(input, ctx);
      } catch (error) {
        observe(error);
        throw error;
      }
    };
}
