/**
 * The plain `CheckpointCall` model and its conversion from protobuf.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { ExecutionFailure } from "#contract/errors/kitaru-error.ts";
import {
  CallAttemptStatus as CallAttemptStatusPb,
  type CallAttempt as CallAttemptPb,
  type CheckpointCall as CheckpointCallPb,
} from "#gen/kitaru/runner/v1/execution_pb.ts";
import { failureFromProto } from "#contract/failure.ts";
import type { RecordedCall } from "#contract/recorded-call.ts";
import { dateFromTimestamp, jsonFromValue, objectFromStruct } from "./json.ts";
import { callStatusFromProto, type CheckpointCallStatus } from "#contract/status.ts";

/** One run of a checkpoint function. */
export interface CallAttempt {
  /** 1 for the first attempt, then 2, 3, ... */
  readonly number: number;
  readonly status: "completed" | "failed" | "cancelled";
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
  /** What it threw, when failed. */
  readonly failure?: ExecutionFailure | undefined;
}

/**
 * One recorded call of a checkpoint.
 *
 * A call reused by a replay has status `reused`, zero attempts and names the
 * source call in `reusedFromCallId`.
 */
export interface CheckpointCall extends RecordedCall<CheckpointCallStatus> {
  /** Attempts made (1 without retries); 0 for a reused call. */
  readonly attempts: number;
  /**
   * The call's own output: what it returned, or for a reused call what its
   * source recorded. `undefined` when not recorded yet or not requested.
   */
  readonly output: JsonValue | undefined;
  /** For a reused call, the call ID in the source execution; `""` otherwise. */
  readonly reusedFromCallId: string;
  /**
   * True when a replay override replaced this call's output as the flow body
   * and the call's consumers saw it; they saw `overrideValue`.
   */
  readonly overridden: boolean;
  /** The value the flow and the consumers saw instead of `output`, when `overridden`. */
  readonly overrideValue: JsonValue | undefined;
  /** Metadata the checkpoint attached with `log()`; `{}` when none. */
  readonly metadata: JsonObject;
  /** Every attempt, oldest first, each with its own failure; empty for reused calls. */
  readonly attemptHistory: readonly CallAttempt[];
  /** Why it failed, when failed. */
  readonly failure?: ExecutionFailure | undefined;
  /** When it started (or was reused). */
  readonly startTime: Date | undefined;
  /** When it ended; `undefined` while running. */
  readonly endTime: Date | undefined;
}

/** The plain {@link CheckpointCall} of a `kitaru.runner.v1.CheckpointCall`. */
export function checkpointCallFromProto(call: CheckpointCallPb): CheckpointCall {
  const failure = failureFromProto(call.failure);
  return {
    callId: call.callId,
    invocationId: call.invocationId,
    name: call.name,
    status: callStatusFromProto(call.status),
    attempts: call.attempts,
    // uint64 arrives as bigint; issue order stays far below 2^53.
    sequence: Number(call.sequence),
    dataDependencies: [...call.dataDependencies],
    loadDependencies: [...call.loadDependencies],
    outputNames: [...call.outputNames],
    output: jsonFromValue(call.output),
    reusedFromCallId: call.reusedFromCallId,
    overridden: call.overridden,
    overrideValue: jsonFromValue(call.overrideValue),
    metadata: objectFromStruct(call.metadata),
    attemptHistory: call.attemptHistory.map(callAttemptFromProto),
    ...(failure === undefined ? {} : { failure }),
    startTime: dateFromTimestamp(call.startTime),
    endTime: dateFromTimestamp(call.endTime),
  };
}

const attemptStatusByPb: Record<CallAttemptStatusPb, CallAttempt["status"]> = {
  [CallAttemptStatusPb.UNSPECIFIED]: "failed",
  [CallAttemptStatusPb.COMPLETED]: "completed",
  [CallAttemptStatusPb.FAILED]: "failed",
  [CallAttemptStatusPb.CANCELLED]: "cancelled",
};

function callAttemptFromProto(attempt: CallAttemptPb): CallAttempt {
  const failure = failureFromProto(attempt.failure);
  return {
    number: attempt.number,
    status: attemptStatusByPb[attempt.status] ?? "failed",
    startTime: dateFromTimestamp(attempt.startTime),
    endTime: dateFromTimestamp(attempt.endTime),
    ...(failure === undefined ? {} : { failure }),
  };
}
