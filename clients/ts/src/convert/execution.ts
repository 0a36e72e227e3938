/**
 * The plain `Execution` model and its conversion from protobuf.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { DivergenceDetail, ExecutionFailure } from "#contract/errors/kitaru-error.ts";
import type { Execution as ExecutionPb, ReplayOrigin as ReplayOriginPb, VersionHold as VersionHoldPb } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { checkpointCallFromProto, type CheckpointCall } from "./checkpoint-call.ts";
import { divergenceDetailFromProto, failureFromProto } from "#contract/failure.ts";
import { dateFromTimestamp, jsonFromValue, objectFromStruct } from "./json.ts";
import { executionStatusFromProto, type ExecutionStatus } from "#contract/status.ts";
import { waitFromProto, type Wait } from "./wait.ts";

/** What the replay that created an execution asked for. */
export interface ReplayOrigin {
  /** The `from` selector as given. */
  readonly from: string;
  /** Invocation IDs of the replay roots. */
  readonly roots: readonly string[];
  /** Override keys as given, e.g. `checkpoint.research`. */
  readonly overrideKeys: readonly string[];
  /** The flow version that had last run the source when the replay was created; absent when unknown. */
  readonly sourceFlowVersion?: string | undefined;
  /** Wait names the replay answers from the source's recorded answers; absent when every wait asks again. */
  readonly answerWaitsFromSource?: readonly string[] | undefined;
}

/** One flow version that ran an execution's body, from when it took the body over. */
export interface FlowVersionRun {
  readonly flowVersion: string;
  readonly startTime: Date;
}

/**
 * An execution kept for runners of one flow version: code of another version
 * resumed it and does not issue the recorded calls the recorded way.
 */
export interface VersionHold {
  /** Only a runner serving this flow version continues the execution. */
  readonly requiredFlowVersion: string;
  /** Where the other version's code diverged; `replayCommand` continues the work on that code. */
  readonly divergence: DivergenceDetail | undefined;
  readonly createTime: Date;
}

/** A value a response left out to stay small; read it with `executions.readValue()`. */
export interface OmittedValue {
  /** `input`, `result`, `checkpoints/<invocation_id>/output` or `checkpoints/<invocation_id>/override_value`. */
  readonly path: string;
  /** Its size as JSON text, in bytes. */
  readonly bytes: number;
}

/**
 * One run of a flow.
 *
 * `checkpoints` is filled by `executions.get()` and empty in `list()` results;
 * `checkpointCount` is always set.
 */
export interface Execution {
  /** The execution ID, `kr-` followed by lowercase base32 characters. */
  readonly execId: string;
  readonly flowName: string;
  readonly status: ExecutionStatus;
  /** The validated flow input. */
  readonly input: JsonObject;
  /** The flow's return value once completed; `undefined` before. */
  readonly result: JsonValue | undefined;
  /** Why it failed, when failed. */
  readonly failure?: ExecutionFailure | undefined;
  /** The execution this one was replayed from; `""` when it was not replayed. */
  readonly originalExecId: string;
  /** How many times `retry()` restarted it. */
  readonly retryCount: number;
  /** Waits pending now, oldest first. */
  readonly pendingWaits: readonly Wait[];
  /** Checkpoint calls in issue order (only from `get()`). */
  readonly checkpoints: readonly CheckpointCall[];
  /** Number of recorded checkpoint calls. */
  readonly checkpointCount: number;
  /** What the replay that created it asked for; unset otherwise. */
  readonly replay?: ReplayOrigin | undefined;
  readonly createTime: Date;
  /** When its status last changed. */
  readonly updateTime: Date;
  /** When it reached a terminal status. */
  readonly endTime?: Date | undefined;
  /** Metadata the flow body attached with `log()`; `{}` when none. */
  readonly metadata: JsonObject;
  /**
   * Values this response left out (a response carries at most 8 MiB of
   * values): empty from `get()`, which reads them; in `list()` results their
   * fields read as unset (`input` as `{}`).
   */
  readonly omittedValues: readonly OmittedValue[];
  /** The flow version of the code that created it; `""` for executions recorded before flow versions. */
  readonly flowVersion: string;
  /** The flow versions that ran its body, in the order they took it over; the last ran it most recently. */
  readonly flowVersionRuns: readonly FlowVersionRun[];
  /** Set while it waits for a runner of one flow version (`status` stays `running`). */
  readonly versionHold?: VersionHold | undefined;
  /** Every wait the body reached, with its status and answer (only from `get()`). */
  readonly waits: readonly Wait[];
}

/** The plain {@link ReplayOrigin} of a `kitaru.runner.v1.ReplayOrigin`. */
export function replayOriginFromProto(replay: ReplayOriginPb): ReplayOrigin {
  return {
    from: replay.from,
    roots: [...replay.roots],
    overrideKeys: [...replay.overrideKeys],
    ...(replay.sourceFlowVersion === "" ? {} : { sourceFlowVersion: replay.sourceFlowVersion }),
    ...(replay.answerWaitsFromSource.length === 0 ? {} : { answerWaitsFromSource: [...replay.answerWaitsFromSource] }),
  };
}

/** The plain {@link VersionHold} of a `kitaru.runner.v1.VersionHold`. */
export function versionHoldFromProto(hold: VersionHoldPb): VersionHold {
  return {
    requiredFlowVersion: hold.requiredFlowVersion,
    divergence: hold.divergence === undefined ? undefined : divergenceDetailFromProto(hold.divergence),
    createTime: dateFromTimestamp(hold.createTime) ?? new Date(0),
  };
}

/** The plain {@link Execution} of a `kitaru.runner.v1.Execution`. */
export function executionFromProto(execution: ExecutionPb): Execution {
  // The runner always sets create/update times; the epoch only stands in for
  // a message built without them (tests, validate-only responses).
  const createTime = dateFromTimestamp(execution.createTime) ?? new Date(0);
  const failure = failureFromProto(execution.failure);
  const endTime = dateFromTimestamp(execution.endTime);
  return {
    execId: execution.execId,
    flowName: execution.flowName,
    status: executionStatusFromProto(execution.status),
    input: objectFromStruct(execution.input),
    result: jsonFromValue(execution.result),
    ...(failure === undefined ? {} : { failure }),
    originalExecId: execution.originalExecId,
    retryCount: execution.retryCount,
    pendingWaits: execution.pendingWaits.map(waitFromProto),
    checkpoints: execution.checkpoints.map(checkpointCallFromProto),
    checkpointCount: execution.checkpointCount,
    ...(execution.replay === undefined ? {} : { replay: replayOriginFromProto(execution.replay) }),
    createTime,
    updateTime: dateFromTimestamp(execution.updateTime) ?? createTime,
    ...(endTime === undefined ? {} : { endTime }),
    metadata: objectFromStruct(execution.metadata),
    omittedValues: execution.omittedValues.map((value) => ({ path: value.path, bytes: Number(value.bytes) })),
    flowVersion: execution.flowVersion,
    flowVersionRuns: execution.flowVersionRuns.map((run) => ({ flowVersion: run.flowVersion, startTime: dateFromTimestamp(run.startTime) ?? createTime })),
    ...(execution.versionHold === undefined ? {} : { versionHold: versionHoldFromProto(execution.versionHold) }),
    waits: execution.waits.map(waitFromProto),
  };
}
