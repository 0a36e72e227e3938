/**
 * The plain `ExecutionEvent` union and its conversion from protobuf.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { ExecutionFailure } from "#contract/errors/kitaru-error.ts";
import type { ExecutionEvent as ExecutionEventPb, StatusChange as StatusChangePb } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { checkpointCallFromProto, type CheckpointCall } from "./checkpoint-call.ts";
import { failureFromProto } from "#contract/failure.ts";
import { dateFromTimestamp, jsonFromValue, objectFromStruct } from "./json.ts";
import { executionStatusFromProto, type ExecutionStatus } from "#contract/status.ts";
import { waitFromProto, type Wait } from "./wait.ts";
import { type VersionHold, versionHoldFromProto } from "./execution.ts";

interface EventBase {
  readonly execId: string;
  /** When it happened (the time of receipt if the server sent none). */
  readonly time: Date;
}

/** A checkpoint call started (best effort), completed, was reused by a replay, failed, or was cancelled. */
export interface CallEvent extends EventBase {
  readonly kind: "callStarted" | "callCompleted" | "callReused" | "callFailed" | "callCancelled";
  readonly call: CheckpointCall;
}

/** A wait became pending, or was resolved or aborted (see `wait.status`). */
export interface WaitEvent extends EventBase {
  readonly kind: "waitPending" | "waitResolved";
  readonly wait: Wait;
}

/** The execution's status changed; `result` is set when completed, `failure` when failed. */
export interface StatusChangedEvent extends EventBase {
  readonly kind: "statusChanged";
  readonly status: ExecutionStatus;
  readonly result: JsonValue | undefined;
  readonly failure?: ExecutionFailure | undefined;
  /** The execution's metadata (from `log()` in the flow body) as of this change. */
  readonly metadata: JsonObject;
  /** The flow version that ran (or runs) the body as of this change; absent when unknown. */
  readonly flowVersion?: string | undefined;
  /** Set when the execution is held for runners of one flow version. */
  readonly versionHold?: VersionHold | undefined;
}

/**
 * One thing that happened to an execution, as streamed by `watch()`.
 *
 * Discriminated on `kind`. Durable events are always delivered;
 * `callStarted` is best effort.
 */
export type ExecutionEvent = CallEvent | WaitEvent | StatusChangedEvent;

/** Every {@link ExecutionEvent} kind. */
export type ExecutionEventKind = ExecutionEvent["kind"];

/** The plain status change of a `kitaru.runner.v1.StatusChange` (a watch event's or a log follower's). */
export function statusChangeFromProto(change: StatusChangePb): Omit<StatusChangedEvent, "execId" | "time"> {
  const failure = failureFromProto(change.failure);
  return {
    kind: "statusChanged",
    status: executionStatusFromProto(change.status),
    result: jsonFromValue(change.result),
    ...(failure === undefined ? {} : { failure }),
    metadata: objectFromStruct(change.metadata),
    ...(change.flowVersion === "" ? {} : { flowVersion: change.flowVersion }),
    ...(change.versionHold === undefined ? {} : { versionHold: versionHoldFromProto(change.versionHold) }),
  };
}

/**
 * The plain {@link ExecutionEvent} of a `kitaru.runner.v1.ExecutionEvent`;
 * `undefined` for an event kind this client does not know (a newer server).
 */
export function executionEventFromProto(event: ExecutionEventPb): ExecutionEvent | undefined {
  const base: EventBase = { execId: event.execId, time: dateFromTimestamp(event.time) ?? new Date() };
  const kind = event.kind;
  switch (kind.case) {
    case "callStarted":
    case "callCompleted":
    case "callReused":
    case "callFailed":
    case "callCancelled":
      return { ...base, kind: kind.case, call: checkpointCallFromProto(kind.value) };
    case "waitPending":
    case "waitResolved":
      return { ...base, kind: kind.case, wait: waitFromProto(kind.value) };
    case "statusChanged":
      return { ...base, ...statusChangeFromProto(kind.value) };
    case undefined:
      return undefined;
  }
}
