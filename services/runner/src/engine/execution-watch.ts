import type { ExecutionStore } from "../store/execution-store.ts";
import type { CallRecord, ExecutionRecord, ExecutionStatus, WaitRecord } from "../store/records.ts";
import type { ExecutionCommands, ExecutionRef } from "./execution-commands.ts";
import { callEventKind, type ExecutionEvent, type ExecutionEventBus } from "./execution-events.ts";
import { PollPause } from "./poll-pause.ts";

/** How a watch behaves. */
export interface WatchOptions {
  /** Keep watching while the execution waits for input (default: end the stream at `waiting`). */
  readonly followWaits?: boolean;
  /** Ends the stream when aborted (client went away, deadline). */
  readonly signal: AbortSignal;
  /** How often the store is re-read for changes made by other runners. Default 500 ms. */
  readonly pollMs?: number;
}

const TERMINAL: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled"]);

/**
 * Streams an execution's events: its recorded history first, then new events
 * until it reaches a terminal status (or `waiting`, unless `followWaits`).
 *
 * Durable events (calls completed, reused or failed; waits pending or
 * resolved; status changes) are derived from the store, so they are complete
 * whichever runner runs the execution. `call_started` events are only known
 * to the runner executing the call and are passed through live when that is
 * this process.
 */
export async function* watchExecution(
  deps: { store: ExecutionStore; bus: ExecutionEventBus; commands: ExecutionCommands },
  ref: ExecutionRef,
  options: WatchOptions,
): AsyncGenerator<ExecutionEvent> {
  const { execId } = await deps.commands.require(ref);
  const live: ExecutionEvent[] = [];
  const pause = new PollPause();
  const unsubscribe = deps.bus.subscribe(execId, (event) => {
    if (event.kind === "log_line") return; // logs have a stream of their own
    if (event.kind !== "status_changed") live.push(event);
    pause.wake();
  });
  const sent = new Set<string>();
  let lastStatus: ExecutionStatus | undefined;
  try {
    for (;;) {
      const execution = await deps.commands.require(ref);
      const [calls, waits] = await Promise.all([deps.store.listCalls(execId), deps.store.listWaits(execId)]);
      // History first (in issue order), then what happened since in this process.
      const fresh = [...durableEvents(execution, calls, waits), ...live.splice(0).map(keyed)];
      for (const { key, event } of fresh) {
        if (sent.has(key)) continue;
        if (event.kind === "call_started" && sent.has(callKey(event.call.invocationId, "ended"))) continue;
        sent.add(key);
        if (event.kind === "call_completed" || event.kind === "call_reused" || event.kind === "call_failed" || event.kind === "call_cancelled") {
          sent.add(callKey(event.call.invocationId, "ended"));
        }
        yield event;
      }
      const status = execution.state.status;
      if (status !== lastStatus) {
        lastStatus = status;
        yield { kind: "status_changed", execId, at: execution.state.at, state: execution.state };
      }
      if (TERMINAL.has(status) || (status === "waiting" && !options.followWaits)) return;
      if (options.signal.aborted) return;
      await pause.pause(options.pollMs ?? 500, options.signal);
      if (options.signal.aborted) return;
    }
  } finally {
    unsubscribe();
  }
}

function callKey(invocationId: string, what: string): string {
  return `call:${what}:${invocationId}`;
}

/** The dedup key of an event: the same event read from the store or the bus gets the same key. */
function keyed(event: ExecutionEvent): { key: string; event: ExecutionEvent } {
  switch (event.kind) {
    case "call_started":
      return { key: callKey(event.call.invocationId, `started:${event.call.callId}`), event };
    case "call_completed":
    case "call_reused":
    case "call_failed":
    case "call_cancelled":
      return { key: callKey(event.call.invocationId, `${event.call.status}:${event.call.generation}`), event };
    case "wait_pending":
      return { key: `wait:pending:${event.wait.name}`, event };
    case "wait_resolved":
      return { key: `wait:resolved:${event.wait.name}`, event };
    case "status_changed":
      return { key: `status:${event.state.seq}`, event };
    case "log_line":
      return { key: `log:${event.entry.call.callId}:${event.entry.call.attempt}:${event.entry.line.index}`, event };
  }
}

/**
 * The events the store's records imply, in the order they happened: calls by
 * when they were issued (reused calls are recorded in batches, so their write
 * time says nothing), waits by when they were reached and resolved.
 */
function durableEvents(execution: ExecutionRecord, calls: readonly CallRecord[], waits: readonly WaitRecord[]) {
  const { execId } = execution;
  const events: { at: number; order: number; entry: { key: string; event: ExecutionEvent } }[] = [];
  for (const call of calls) {
    events.push({ at: call.startedAt.getTime(), order: call.sequence, entry: keyed({ kind: callEventKind(call), execId, at: call.endedAt, call }) });
  }
  // A wait reached in the same millisecond as a call started comes after it: the body issues the
  // calls before it awaits the wait (on a fast store both land in one millisecond).
  for (const wait of waits) {
    events.push({ at: wait.createdAt.getTime(), order: Number.MAX_SAFE_INTEGER, entry: keyed({ kind: "wait_pending", execId, at: wait.createdAt, wait }) });
    if (wait.resolution) {
      const at = wait.resolution.at;
      events.push({ at: at.getTime(), order: Number.MAX_SAFE_INTEGER, entry: keyed({ kind: "wait_resolved", execId, at, wait }) });
    }
  }
  return events.sort((a, b) => a.at - b.at || a.order - b.order).map((e) => e.entry);
}
