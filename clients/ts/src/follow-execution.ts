/**
 * Following an execution until it settles, over the watch stream.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JsonValue } from "@bufbuild/protobuf";
import type { ExecutionEvent } from "./convert/event.ts";
import type { Execution } from "./convert/execution.ts";
import { isSettled } from "./execution-outcome.ts";

/** The two reads following needs; `ExecutionsClient` provides them. */
export interface ExecutionReader {
  get(execId: string, options?: { view?: "basic" | "full"; signal?: AbortSignal }): Promise<Execution>;
  watch(execId: string, options?: { followWaits?: boolean; statusOnly?: boolean; afterSequence?: number; signal?: AbortSignal }): AsyncIterable<ExecutionEvent>;
}

/** Options of {@link followExecution}. */
export interface FollowOptions {
  /** Called once per distinct event, in stream order; awaited before the next one. */
  readonly onEvent?: ((event: ExecutionEvent) => void | Promise<void>) | undefined;
  /** Which view of the settled execution to return; default `basic`. */
  readonly view?: "basic" | "full" | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Identifies an event across re-watches, which replay the history first. */
function eventKey(event: ExecutionEvent): string {
  switch (event.kind) {
    case "callStarted":
    case "callCompleted":
    case "callReused":
    case "callFailed":
    case "callCancelled":
      return `${event.kind}:${event.call.callId || event.call.invocationId}:${event.call.attempts}`;
    case "waitPending":
    case "waitResolved":
      return `${event.kind}:${event.wait.waitId}:${event.wait.status}`;
    case "statusChanged":
      return `${event.kind}:${event.status}:${event.time.getTime()}`;
  }
}

/**
 * Watches `execId` until it settles (terminal, or waiting with pending
 * waits) and returns it as last read.
 *
 * A watch stream that ends early (a restarted runner, a proxy timeout) is
 * re-opened from where it broke off (after the calls whose ends it saw);
 * events already delivered are not delivered again. Without `onEvent` the
 * stream carries status changes only.
 */
export async function followExecution(reader: ExecutionReader, execId: string, options: FollowOptions = {}): Promise<Execution> {
  const end = await follow(reader, execId, options, false);
  if (end.kind === "completed") throw new Error("unreachable: completion is read back when not accepted from the stream");
  return end.execution;
}

/**
 * How following an execution ended: completed, with the result its last
 * status change carried (nothing read back), or settled otherwise, as read.
 */
export type FollowEnd = { readonly kind: "completed"; readonly result: JsonValue | undefined } | { readonly kind: "settled"; readonly execution: Execution };

/** {@link followExecution}, except that a completion seen on the stream ends it without reading the execution back. */
export function followToEnd(reader: ExecutionReader, execId: string, options: FollowOptions = {}): Promise<FollowEnd> {
  return follow(reader, execId, options, true);
}

async function follow(reader: ExecutionReader, execId: string, options: FollowOptions, acceptCompleted: boolean): Promise<FollowEnd> {
  const { signal, onEvent } = options;
  const seen = new Set<string>();
  // The highest sequence up to which every call's end was seen: a re-opened watch starts after it.
  const ended = new Set<number>();
  let settled = 0;
  let quietRounds = 0;
  for (;;) {
    let fresh = 0;
    const watchOptions = { statusOnly: onEvent === undefined, afterSequence: settled, ...(signal === undefined ? {} : { signal }) };
    for await (const event of reader.watch(execId, watchOptions)) {
      const key = eventKey(event);
      if (seen.has(key)) continue;
      seen.add(key);
      fresh += 1;
      if ("call" in event && event.kind !== "callStarted" && event.call.sequence > settled) {
        ended.add(event.call.sequence);
        while (ended.delete(settled + 1)) settled += 1;
      }
      await onEvent?.(event);
      if (acceptCompleted && event.kind === "statusChanged" && event.status === "completed") return { kind: "completed", result: event.result };
    }
    const execution = await reader.get(execId, { view: options.view ?? "basic", ...(signal ? { signal } : {}) });
    if (isSettled(execution)) return { kind: "settled", execution };
    // The stream ended while the execution still runs: back off so a server
    // that keeps closing streams is not hammered.
    quietRounds = fresh === 0 ? quietRounds + 1 : 0;
    if (quietRounds > 0) await sleep(Math.min(2000, 50 * 2 ** quietRounds), undefined, signal ? { signal } : {});
  }
}
