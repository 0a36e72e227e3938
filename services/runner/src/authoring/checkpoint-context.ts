import { KitaruContextError } from "#contract/errors/index.ts";
import { currentCheckpointAttempt } from "./flow-runtime.ts";

/** What checkpoint code can know about the attempt it runs in. */
export interface CheckpointContext {
  /** The execution running the checkpoint. */
  readonly execId: string;
  /** The checkpoint name. */
  readonly name: string;
  /** The call's invocation ID (`name`, `name_2`, ... or the explicit `id`). */
  readonly invocationId: string;
  /** 1 for the first attempt, then 2, 3, ... after retries. */
  readonly attempt: number;
  /**
   * Aborted when the execution is cancelled, or when the runner shuts down or
   * loses its claim. Pass it to `fetch`, model clients and timers so the work
   * stops: a cancelled execution records the call as cancelled either way, but
   * code that ignores the signal keeps running in the background until it
   * returns, and its result is then discarded.
   */
  readonly signal: AbortSignal;
}

/**
 * The context of the checkpoint attempt running now: its cancellation signal,
 * attempt number and IDs.
 *
 * Call it from inside a checkpoint function (anywhere in its async call
 * tree); elsewhere it throws `KitaruContextError`.
 *
 * @example
 * ```ts
 * const fetchPage = checkpoint("fetch_page", async (url: string) => {
 *   const { signal } = checkpointContext();
 *   return (await fetch(url, { signal })).text();
 * });
 * ```
 */
export function checkpointContext(): CheckpointContext {
  const attempt = currentCheckpointAttempt();
  if (attempt === undefined) {
    throw new KitaruContextError("checkpointContext() can only be called inside a checkpoint function.");
  }
  return { execId: attempt.execId, name: attempt.name, invocationId: attempt.invocationId, attempt: attempt.attempt, signal: attempt.signal };
}
