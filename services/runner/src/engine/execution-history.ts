import type { CallRecord, WaitRecord } from "../store/records.ts";
import { callEventKind, type ExecutionEvent } from "./execution-events.ts";

/** An event with its dedup key: the same event read from the store or from the bus has the same key. */
export interface KeyedEvent {
  readonly key: string;
  readonly event: ExecutionEvent;
}

const callKey = (invocationId: string, what: string) => `call:${what}:${invocationId}`;

/** The dedup keys of events. */
export const eventKey = {
  of(event: ExecutionEvent): string {
    switch (event.kind) {
      case "call_started":
        return callKey(event.call.invocationId, `started:${event.call.callId}`);
      case "call_completed":
      case "call_reused":
      case "call_failed":
      case "call_cancelled":
        return callKey(event.call.invocationId, `${event.call.status}:${event.call.generation}`);
      case "wait_pending":
        return `wait:pending:${event.wait.name}`;
      case "wait_resolved":
        return `wait:resolved:${event.wait.name}`;
      case "status_changed":
        return eventKey.status(event.state.seq);
      case "log_line":
        return `log:${event.entry.call.callId}:${event.entry.call.attempt}:${event.entry.line.index}`;
    }
  },
  /** The key of the state after transition `seq`. */
  status: (seq: number) => `status:${seq}`,
  /** A marker that a call has ended, so that a late `call_started` of it is dropped. */
  callEnded: (invocationId: string) => callKey(invocationId, "ended"),
};

/** True for the event that records how a call ended. */
export function isCallEnd(event: ExecutionEvent): event is Extract<ExecutionEvent, { call: CallRecord }> {
  return event.kind === "call_completed" || event.kind === "call_reused" || event.kind === "call_failed" || event.kind === "call_cancelled";
}

/**
 * The events an execution's records imply, in the order they happened: calls
 * by when they were issued (reused calls are recorded in batches, so their
 * write time says nothing), waits by when they were reached and resolved.
 */
export function durableEvents(execId: string, calls: readonly CallRecord[], waits: readonly WaitRecord[]): KeyedEvent[] {
  const events: { at: number; order: number; entry: KeyedEvent }[] = [];
  const keyed = (event: ExecutionEvent): KeyedEvent => ({ key: eventKey.of(event), event });
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
