import { EventEmitter } from "node:events";
import type { RecordedCall } from "#contract/recorded-call.ts";
import type { CallRecord, ExecutionState, LogChunkRecord, LogLineRecord, WaitRecord } from "../store/records.ts";

/** A call that started executing (not persisted: the call is written once, when it ends). */
export interface StartedCall extends Omit<RecordedCall, "status"> {
  readonly execId: string;
  readonly startedAt: Date;
}

/** One log line with the call and attempt it belongs to. */
export interface LogEntry {
  readonly call: Omit<LogChunkRecord, "chunk" | "lines">;
  readonly line: LogLineRecord;
}

/** The event kind of a recorded call, by its status. */
export type CallEventKind = "call_completed" | "call_reused" | "call_failed" | "call_cancelled";

/** The event that announces a recorded call. */
export function callEventKind(call: CallRecord): CallEventKind {
  switch (call.status) {
    case "completed":
      return "call_completed";
    case "reused":
      return "call_reused";
    case "failed":
      return "call_failed";
    case "cancelled":
      return "call_cancelled";
  }
}

/** Something that happened to an execution. */
export type ExecutionEvent =
  | { readonly kind: "call_started"; readonly execId: string; readonly at: Date; readonly call: StartedCall }
  | { readonly kind: CallEventKind; readonly execId: string; readonly at: Date; readonly call: CallRecord }
  | { readonly kind: "wait_pending" | "wait_resolved"; readonly execId: string; readonly at: Date; readonly wait: WaitRecord }
  | { readonly kind: "status_changed"; readonly execId: string; readonly at: Date; readonly state: ExecutionState }
  /** A line checkpoint code wrote (live only; stored in chunks, see `CallLog`). */
  | { readonly kind: "log_line"; readonly execId: string; readonly at: Date; readonly entry: LogEntry };

/**
 * In-process fan-out of execution events, for watchers and for waking the
 * scheduler. Events of executions run by other runner processes are found by
 * polling the store; this bus only makes local ones immediate.
 */
export class ExecutionEventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  /** Delivers an event to the execution's subscribers. */
  publish(event: ExecutionEvent): void {
    this.#emitter.emit(event.execId, event);
    this.#emitter.emit("*", event);
  }

  /** Subscribes to one execution's events; returns the unsubscribe function. */
  subscribe(execId: string, listener: (event: ExecutionEvent) => void): () => void {
    this.#emitter.on(execId, listener);
    return () => this.#emitter.off(execId, listener);
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribeAll(listener: (event: ExecutionEvent) => void): () => void {
    this.#emitter.on("*", listener);
    return () => this.#emitter.off("*", listener);
  }
}
