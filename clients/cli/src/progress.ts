/**
 * Live progress lines for long operations (`watch`, `replay --wait`,
 * `flows run --wait`), one per event.
 *
 * @module
 */
import type { ExecutionEvent, ExecutionFailure } from "../../ts/src/index.ts";

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;

/** `TypeError: boom` or `boom`. */
export function failureSummary(failure: ExecutionFailure | undefined): string {
  if (failure === undefined) return "no failure recorded";
  return failure.exceptionType ? `${failure.exceptionType}: ${failure.message}` : failure.message;
}

/** Options of {@link progressLine}. */
export interface ProgressOptions {
  /** Also render status changes (the watch command); `--wait` commands print a final status instead. */
  readonly statusLines: boolean;
}

/**
 * The text line for one event, or `undefined` when it is not shown.
 *
 * @example `  ✓ research (reused from c-1a2b)`, `  ⏸ wait approve pending: Publish?`
 */
export function progressLine(event: ExecutionEvent, options: ProgressOptions): string | undefined {
  switch (event.kind) {
    case "callStarted":
      return `  … ${event.call.invocationId} started`;
    case "callCompleted": {
      const overridden = event.call.overridden ? ", output overridden" : "";
      return `  ✓ ${event.call.invocationId} completed (${plural(event.call.attempts, "attempt")}${overridden})`;
    }
    case "callReused": {
      const overridden = event.call.overridden ? ", output overridden" : "";
      return `  ✓ ${event.call.invocationId} (reused from ${event.call.reusedFromCallId || "source"}${overridden})`;
    }
    case "callFailed":
      return `  ✗ ${event.call.invocationId} failed after ${plural(event.call.attempts, "attempt")}: ${failureSummary(event.call.failure)}`;
    case "callCancelled":
      return `  ■ ${event.call.invocationId} cancelled while running`;
    case "waitPending":
      return `  ⏸ wait ${event.wait.name} pending${event.wait.question ? `: ${event.wait.question}` : ""}`;
    case "waitResolved":
      return event.wait.status === "aborted" ? `  ■ wait ${event.wait.name} aborted` : `  ▶ wait ${event.wait.name} resolved`;
    case "statusChanged":
      if (!options.statusLines) return undefined;
      return event.status === "failed" ? `Status: failed (${event.failure?.origin ?? "unknown"}: ${failureSummary(event.failure)})` : `Status: ${event.status}`;
  }
}
