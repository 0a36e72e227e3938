/**
 * One execution's page without the page: which panel tab and which call are
 * shown, what a new reading of the execution must redraw, and what its
 * header says and offers.
 */
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type ExecutionStatus, executionStatusFromProto, isTerminalStatus } from "#contract/status.ts";

/** The panel's tabs: the selected call (or the execution), the pending waits, the replay composer. */
export type Tab = "call" | "waits" | "replay";

/**
 * What the call panel shows of `execution`: the selected call's state, or the
 * execution's own when no call is selected. Equal keys, same panel.
 */
export function callPanelKey(execution: Execution, selected: string | undefined): string {
  const call = execution.checkpoints.find((c) => c.invocationId === selected);
  if (call === undefined) return `execution:${execution.status}:${execution.updateTime?.seconds ?? ""}:${execution.updateTime?.nanos ?? ""}`;
  return `call:${call.callId}:${call.status}:${call.attempts}:${call.attemptHistory.length}:${call.endTime?.seconds ?? ""}:${call.endTime?.nanos ?? ""}`;
}

/** Where an execution comes from, as its header says. */
export type Origin =
  | { readonly kind: "replay"; readonly source: string; readonly from: string }
  | { readonly kind: "retried"; readonly times: number }
  | { readonly kind: "original" };

/** What the header says of an execution and which actions it offers. */
export interface Header {
  readonly status: ExecutionStatus;
  readonly origin: Origin;
  /** Retry is offered for a failed or cancelled execution. */
  readonly canRetry: boolean;
  /** Cancel is offered until the execution ends. */
  readonly canCancel: boolean;
  /** The waits tab's label, with the number pending. */
  readonly waitsLabel: string;
}

/** The header of `execution`. */
export function header(execution: Execution): Header {
  const status = executionStatusFromProto(execution.status);
  const origin: Origin = execution.replay?.from
    ? { kind: "replay", source: execution.originalExecId, from: execution.replay.from }
    : execution.retryCount
      ? { kind: "retried", times: execution.retryCount }
      : { kind: "original" };
  return {
    status,
    origin,
    canRetry: status === "failed" || status === "cancelled",
    canCancel: !isTerminalStatus(status),
    waitsLabel: `Waits (${execution.pendingWaits.length})`,
  };
}

/** What a new reading of the execution redraws. */
export interface Redraw {
  /** The panel: the call tab when what it shows changed, the waits tab when the waits did. Never the replay tab (a form being filled in). */
  readonly panel: boolean;
  /** The lineage and diff: when the status or the pending waits changed. */
  readonly lineage: boolean;
}

/** The tab and the call shown, and what was drawn of the execution last. */
export class ExecutionPageState {
  tab: Tab = "call";
  /** The selected call's invocation ID; none: the execution itself. */
  selected: string | undefined;
  /** The status and pending waits the page last showed. */
  #lastStatus = "";
  /** {@link callPanelKey} of the call panel last drawn. */
  #lastCallPanel = "";

  /** A call clicked on the graph: on the replay tab it becomes the replay's `from`; otherwise it is selected and shown. */
  graphClick(invocationId: string): "replay-from" | "selected" {
    if (this.tab === "replay") return "replay-from";
    this.selected = invocationId;
    this.tab = "call";
    return "selected";
  }

  /** The call panel was drawn for `execution`. */
  callPanelDrawn(execution: Execution): void {
    this.#lastCallPanel = callPanelKey(execution, this.selected);
  }

  /** A new reading of the execution: what to redraw. */
  received(execution: Execution): Redraw {
    const status = `${execution.status}:${execution.pendingWaits.map((w) => w.waitId).join(",")}`;
    const statusChanged = status !== this.#lastStatus;
    this.#lastStatus = status;
    const panel = (this.tab === "call" && callPanelKey(execution, this.selected) !== this.#lastCallPanel) || (this.tab === "waits" && statusChanged);
    return { panel, lineage: statusChanged };
  }
}

/** Whether following `execution` can stop: it ended. */
export function ended(execution: Execution): boolean {
  return isTerminalStatus(executionStatusFromProto(execution.status));
}

/** The steps of following an execution: the page supplies them (its RPCs, its drawing, its clock). */
export interface FollowSteps {
  /** A WatchExecution stream of the execution; it ends or fails when the connection does. */
  watch(): AsyncIterable<unknown>;
  /** A watch event arrived: the execution changed (read it again, batched). */
  changed(): void;
  /** Reads the execution now (and draws it). */
  read(): Promise<void>;
  /** Whether the execution last read has ended. */
  ended(): boolean;
  /** Waits before watching again. */
  pause(): Promise<void>;
}

/**
 * Follows an execution until it ends or `signal` aborts: a watch while one
 * is possible; when it ends or fails, one read, and unless the execution
 * ended, a pause and a new watch (polling, when watches keep failing).
 */
export async function followExecution(steps: FollowSteps, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const _event of steps.watch()) steps.changed();
    } catch {
      if (signal.aborted) return;
    }
    await steps.read();
    if (steps.ended()) return;
    await steps.pause();
  }
}
