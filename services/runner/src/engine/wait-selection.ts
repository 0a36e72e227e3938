import { KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import type { ExecutionRecord, WaitRecord } from "../store/records.ts";

/** The waits of an execution that can take input now. */
export function pendingWaits(execution: ExecutionRecord, waits: readonly WaitRecord[]): WaitRecord[] {
  if (execution.state.status !== "waiting" && execution.state.status !== "running") return [];
  return waits.filter((wait) => wait.resolution === undefined);
}

/**
 * Picks the pending wait a selector names (docs/replay-contract.md §5): by name first (the
 * name given to `wait()`, or its numbered invocation name), then by wait ID.
 */
export function selectPendingWait(execution: ExecutionRecord, waits: readonly WaitRecord[], selector: string): WaitRecord {
  const { execId } = execution;
  const pending = pendingWaits(execution, waits);
  if (pending.length === 0) {
    throw new KitaruStateError(`Execution '${execId}' has no pending waits to resolve.`, {
      state: { execId, status: execution.state.status, operation: "input" },
      metadata: { execId, status: execution.state.status },
    });
  }
  const trimmed = typeof selector === "string" ? selector.trim() : "";
  if (trimmed === "") throw new KitaruUsageError("`wait` must be a non-empty string.", { metadata: { execId } });
  const available = [...new Set(pending.map((w) => w.name))].sort();
  const byName = pending.filter((w) => w.baseName === trimmed || w.name === trimmed);
  if (byName.length > 1) {
    throw new KitaruStateError(
      `Multiple pending waits match '${trimmed}' for execution '${execId}': ${byName.map((w) => `${w.name} (${w.waitId})`).join(", ")}. Select one by wait ID.`,
      {
        waitSelection: { execId, selector: trimmed, availableWaitNames: available, matchingWaitIds: byName.map((w) => w.waitId) },
        metadata: { execId, selector: trimmed, waitIds: byName.map((w) => w.waitId).join(",") },
      },
    );
  }
  const match = byName[0] ?? pending.find((w) => w.waitId === trimmed);
  if (match === undefined) {
    throw new KitaruStateError(`Execution '${execId}' has no pending wait '${trimmed}'. Available waits: ${available.join(", ")}.`, {
      waitSelection: { execId, selector: trimmed, availableWaitNames: available, matchingWaitIds: [] },
      metadata: { execId, selector: trimmed, availableWaits: available.join(",") },
    });
  }
  return match;
}
