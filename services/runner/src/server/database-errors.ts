import { KitaruBackendError } from "#contract/errors/index.ts";
import type { Interceptor } from "../../../transport/src/index.ts";
import { isBackendError } from "../engine/run-failures.ts";

/**
 * Turns database driver errors (server unreachable, connection lost, write
 * failed) into `KitaruBackendError`, sent as UNAVAILABLE with details: the
 * request was fine, the database was not, and the caller may retry.
 */
export const databaseErrors: Interceptor = (next) =>
  async function* (input, ctx) {
    try {
      yield* next(input, ctx);
    } catch (error) {
      if (!isBackendError(error)) throw error;
      const cause = error as Error;
      throw new KitaruBackendError(`The runner's database is unavailable (${cause.name}: ${cause.message}). Retry later.`, {
        cause,
        metadata: { method: ctx.method.name, databaseError: cause.name },
      });
    }
  };
