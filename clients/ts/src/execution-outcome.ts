/**
 * How a settled execution maps to a result or a typed error.
 *
 * @module
 */
import type { Execution } from "./convert/execution.ts";
import { isTerminalStatus } from "#contract/status.ts";
import {
  KitaruDivergenceError,
  KitaruExecutionError,
  KitaruUserCodeError,
  type DivergenceDetail,
  type ExecutionFailure,
  type KitaruError,
} from "#contract/errors/kitaru-error.ts";
import { KitaruPendingWaitError } from "./pending-wait-error.ts";

/**
 * True once waiting on the execution has an answer: it reached a terminal
 * status, or it is waiting with at least one pending wait.
 */
export function isSettled(execution: Execution): boolean {
  return isTerminalStatus(execution.status) || (execution.status === "waiting" && execution.pendingWaits.length > 0);
}

function failureText(failure: ExecutionFailure | undefined): string {
  if (failure === undefined) return "no failure metadata was recorded";
  const type = failure.exceptionType ? `${failure.exceptionType}: ` : "";
  const at = failure.invocationId ? ` (checkpoint '${failure.invocationId}')` : "";
  return `${type}${failure.message}${at}`;
}

/** Divergence evidence; synthesized from the failure when a server left the detail out. */
function divergenceOf(execution: Execution, failure: ExecutionFailure): DivergenceDetail {
  return (
    failure.divergence ?? {
      execId: execution.execId,
      sourceExecId: execution.originalExecId,
      invocationId: failure.invocationId,
      kind: "dependencies_changed",
      recorded: "",
      seen: "",
      recordedDependencies: [],
      seenDependencies: [],
    }
  );
}

/**
 * The error that waiting on `execution` raises, or `undefined` when it
 * completed (or has not settled yet).
 *
 * - failed, origin `divergence` → {@link KitaruDivergenceError} with `detail`
 * - failed, origin `user_code` → {@link KitaruUserCodeError}
 * - failed otherwise → {@link KitaruExecutionError}
 * - cancelled → {@link KitaruExecutionError} with status `cancelled`
 * - waiting with pending waits → {@link KitaruPendingWaitError}
 */
export function executionOutcomeError(execution: Execution): KitaruError | undefined {
  const execId = execution.execId;
  switch (execution.status) {
    case "completed":
    case "running":
      return undefined;
    case "waiting":
      return execution.pendingWaits.length > 0 ? new KitaruPendingWaitError({ execId, pendingWaits: execution.pendingWaits }) : undefined;
    case "cancelled":
      return new KitaruExecutionError(`Execution '${execId}' was cancelled.`, {
        execId,
        status: "cancelled",
        failure: execution.failure,
        metadata: { execId, status: "cancelled" },
      });
    case "failed": {
      const failure = execution.failure;
      const metadata = { execId, status: "failed", origin: failure?.origin ?? "unknown" };
      if (failure?.origin === "divergence") {
        const detail = divergenceOf(execution, failure);
        return new KitaruDivergenceError(
          `Execution '${execId}' diverged from its recorded call sequence at '${detail.invocationId}': ` +
            `${failure.message} Check that the flow still issues reused checkpoints in the same order ` +
            `with the same inputs, or replay from an earlier checkpoint.`,
          { execId, status: "failed", failure, detail, metadata: { ...metadata, invocationId: detail.invocationId } },
        );
      }
      const message = `Execution '${execId}' failed: ${failureText(failure)}.`;
      return failure?.origin === "user_code"
        ? new KitaruUserCodeError(message, { execId, status: "failed", failure, metadata })
        : new KitaruExecutionError(message, { execId, status: "failed", failure, metadata });
    }
  }
}
