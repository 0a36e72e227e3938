/**
 * Retrying a call whose failure may be temporary, for calls that are safe to
 * repeat (reads, and writes carrying a request ID).
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { KitaruBackendError } from "#contract/errors/kitaru-error.ts";

/** How {@link retryOnBackendError} retries. */
export interface RetryPolicy {
  /** Attempts in all, the first included; default 3. */
  readonly attempts?: number | undefined;
  /** Delay before the second attempt; each further one doubles it. Default 200 ms. */
  readonly delayMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `call`; when it fails with a {@link KitaruBackendError} (UNAVAILABLE or
 * DEADLINE_EXCEEDED: a service or the database did not answer), runs it again
 * after a backoff, up to `attempts` times. Any other error, and the last
 * backend error, is thrown as is. Only for calls that are safe to repeat:
 * reads, and writes that carry the same request ID every time.
 */
async function retryOnBackendError<T>(call: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const attempts = policy.attempts ?? 3;
  let delayMs = policy.delayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof KitaruBackendError) || attempt >= attempts || policy.signal?.aborted) throw error;
    }
    await sleep(delayMs, undefined, policy.signal ? { signal: policy.signal } : {});
    delayMs *= 2;
  }
}

/**
 * {@link retryOnBackendError} for a write that carries `requestId`. When it
 * still fails with a {@link KitaruBackendError} (say the service died after
 * creating the execution, and is not back yet), the error names the request
 * ID in its `requestId` metadata and its message, so the caller can repeat
 * the request later under the same ID, also when the client generated it:
 * the same ID never creates a second execution. Not when the error is a
 * setup problem (it has `problem` metadata): then no service got the request.
 */
export async function retryUnderRequestId<T>(requestId: string, call: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  try {
    return await retryOnBackendError(call, policy);
  } catch (error) {
    // A setup problem (`problem`: nothing there, TLS mixed up, another service at the URL) means no
    // service acted on the request: the hint would only mislead.
    if (!(error instanceof KitaruBackendError) || error.metadata["requestId"] === requestId || error.metadata["problem"] !== undefined) throw error;
    throw new KitaruBackendError(
      `${error.message} It may have been done: repeat the request with request ID '${requestId}' to get the result; the same ID never creates a second execution.`,
      { metadata: { ...error.metadata, requestId }, cause: error },
    );
  }
}
