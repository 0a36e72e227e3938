import type { CheckpointDefinition } from "../authoring/checkpoint.ts";
import { KitaruContextError } from "#contract/errors/index.ts";
import { NonRetryableError } from "../authoring/non-retryable-error.ts";
import type { AttemptRecord } from "../store/records.ts";
import { thrownRecord } from "./run-failures.ts";

/** The outcome of running a checkpoint function with its retry policy. */
export type AttemptsOutcome =
  | { readonly ok: true; readonly value: unknown; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number };

/**
 * Runs `attempt` up to `1 + retries` times with exponential backoff
 * (`retryDelayMs * backoffFactor^(n-1)`, capped at `maxRetryDelayMs`).
 *
 * Stops early when `signal` aborts (the run was fenced or cancelled), after
 * a {@link NonRetryableError}, and after a `KitaruContextError`. Each finished attempt is appended to
 * `history` as it ends, so a caller that gives up mid-way still has every
 * earlier attempt with its error.
 */
export async function runAttempts(
  definition: CheckpointDefinition,
  attempt: (number: number) => Promise<unknown>,
  signal: AbortSignal,
  history: AttemptRecord[],
): Promise<AttemptsOutcome> {
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const startedAt = new Date();
    try {
      const value = await attempt(attempts);
      history.push({ number: attempts, status: "completed", startedAt, endedAt: new Date() });
      return { ok: true, value, attempts };
    } catch (error) {
      history.push({ number: attempts, status: "failed", startedAt, endedAt: new Date(), failure: thrownRecord(error) });
      // A KitaruContextError is the runtime refusing what the code did (an output that is not JSON
      // or beyond the value limits, checkpoint() inside a checkpoint): another attempt does the same.
      if (attempts > definition.retries || signal.aborted || NonRetryableError.isNonRetryable(error) || error instanceof KitaruContextError) {
        return { ok: false, error, attempts };
      }
      const delayMs = Math.min(definition.maxRetryDelayMs, definition.retryDelayMs * definition.backoffFactor ** (attempts - 1));
      await sleep(delayMs, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
