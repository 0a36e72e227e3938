import type { CheckpointDefinition } from "../authoring/checkpoint.ts";

/** The outcome of running a checkpoint function with its retry policy. */
export type AttemptsOutcome =
  | { readonly ok: true; readonly value: unknown; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number };

/**
 * Runs `attempt` up to `1 + retries` times with exponential backoff
 * (`retryDelayMs * backoffFactor^(n-1)`, capped at `maxRetryDelayMs`).
 * Stops early when `signal` aborts (the run was fenced or cancelled).
 */
export async function runAttempts(
  definition: CheckpointDefinition,
  attempt: () => Promise<unknown>,
  signal: AbortSignal,
  onRetry: (attempts: number, error: unknown, delayMs: number) => void = () => undefined,
): Promise<AttemptsOutcome> {
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      return { ok: true, value: await attempt(), attempts };
    } catch (error) {
      if (attempts > definition.retries || signal.aborted) return { ok: false, error, attempts };
      const delayMs = Math.min(
        definition.maxRetryDelayMs,
        definition.retryDelayMs * definition.backoffFactor ** (attempts - 1),
      );
      onRetry(attempts, error, delayMs);
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
