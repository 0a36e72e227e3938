/**
 * The runner's durable records, as the engine sees them. The store maps them
 * to MongoDB documents; nothing here knows about MongoDB.
 */

import type { DivergenceDetail, ExecutionFailure } from "#contract/failure.ts";
import type { RecordedCall } from "#contract/recorded-call.ts";
import type { CheckpointCallStatus, ExecutionStatus } from "#contract/status.ts";

export type { ExecutionStatus } from "#contract/status.ts";
import type { LogLevel } from "#contract/log-level.ts";

/** A persisted JSON value: inline, or split into blob chunks when large. */
export type Payload =
  | { readonly kind: "inline"; readonly json: string }
  | { readonly kind: "blob"; readonly blobId: string; readonly bytes: number; readonly chunks: number };

/** Why an execution (or a call) failed, as recorded: the contract's failure shape. */
export type FailureRecord = ExecutionFailure;

/** What one attempt of a checkpoint call threw. */
export interface ThrownRecord {
  readonly message: string;
  readonly exceptionType: string;
  readonly traceback?: string | undefined;
}

/** The runner holding an execution: the claim is the transition that granted it. */
export interface ClaimRecord {
  /** The sequence number of the `claimed` transition; doubles as the fencing epoch. */
  readonly epoch: number;
  readonly runnerId: string;
  readonly at: Date;
  /** When the claim lapses unless the holder renews its lease. */
  readonly expiresAt: Date;
}

/** One flow version that ran an execution's body, from when code of that version took the body over. */
export interface FlowVersionRun {
  readonly flowVersion: string;
  readonly at: Date;
}

/**
 * An execution kept for runners of one flow version: code of another version
 * resumed it and diverged from the record before running anything new.
 */
export interface VersionHoldRecord {
  /** Only a runner serving this version may claim the execution. */
  readonly requiredFlowVersion: string;
  /** Where the other version's code diverged (both versions, the replay that would move it on). */
  readonly divergence: DivergenceDetail;
  readonly at: Date;
}

/** What a state transition did. */
export type TransitionKind = "created" | "claimed" | "waiting" | "resumed" | "held" | "completed" | "failed" | "cancelled" | "retried";

/**
 * The folded state of an execution after its latest transition. Every
 * transition stores the complete state, so the latest one is enough.
 */
export interface ExecutionState {
  readonly seq: number;
  readonly kind: TransitionKind;
  readonly status: ExecutionStatus;
  /** Retry generation: 0, then +1 per retry. */
  readonly generation: number;
  readonly claim?: ClaimRecord | undefined;
  readonly result?: Payload | undefined;
  readonly failure?: FailureRecord | undefined;
  readonly at: Date;
  readonly endedAt?: Date | undefined;
  /** Metadata the flow body logged, as JSON text; carried from state to state. */
  readonly metadata?: string | undefined;
  /**
   * The flow versions that ran the body, in the order they took it over (a
   * claim by code of another version than the last one adds an entry); the
   * last one ran it most recently. Carried from state to state; absent before
   * the first run and on executions recorded before flow versions.
   */
  readonly flowVersionRuns?: readonly FlowVersionRun[] | undefined;
  /** Set while only runners of one flow version may claim the execution; carried while it is running. */
  readonly versionHold?: VersionHoldRecord | undefined;
}

/**
 * The flow version of an execution's code as recorded: the version that ran
 * its body most recently, else the one that created it; undefined when unknown.
 */
export function recordedFlowVersion(execution: Pick<ExecutionRecord, "flowVersion" | "state">): string | undefined {
  return lastFlowVersion(execution.state) ?? execution.flowVersion;
}

/** The flow version that ran the body most recently; undefined before the first run (or when unknown). */
export function lastFlowVersion(state: Pick<ExecutionState, "flowVersionRuns">): string | undefined {
  return state.flowVersionRuns?.at(-1)?.flowVersion;
}

/** How a replayed execution was planned; the runtime half of the plan. */
export interface ReplayRecord {
  readonly sourceExecId: string;
  /** The flow version that had last run the source's body when the replay was created. */
  readonly sourceFlowVersion?: string | undefined;
  readonly from: string;
  readonly roots: readonly string[];
  readonly overrideKeys: readonly string[];
  /** Invocation IDs of the source that are reused, with the source call IDs. */
  readonly reuse: readonly { readonly invocationId: string; readonly callId: string }[];
  /** Override values keyed by the overridden call's invocation ID. */
  readonly overrides: readonly { readonly invocationId: string; readonly value: Payload }[];
  /**
   * Wait names the replay answers from the source's recorded answers (the
   * same occurrence: `name`, `name_2`, ...); absent when every wait asks again.
   */
  readonly answerWaitsFromSource?: readonly string[] | undefined;
}

/** An execution with its current state. */
export interface ExecutionRecord {
  readonly execId: string;
  /** The namespace it lives in; absent on records written before namespaces (read as `DEFAULT_NAMESPACE`). */
  readonly namespace?: string | undefined;
  readonly flowName: string;
  readonly input: Payload;
  readonly createdAt: Date;
  readonly requestId?: string | undefined;
  /** The flow version of the runner that created it (a start or a replay); absent on records written before versions. */
  readonly flowVersion?: string | undefined;
  /**
   * The runner that created it unclaimed because all its slots were taken;
   * other runners leave it to that one for a while (scheduler.ts). Absent
   * when it was created claimed, or unclaimed for any runner.
   */
  readonly createdByRunner?: string | undefined;
  readonly originalExecId?: string | undefined;
  readonly replay?: ReplayRecord | undefined;
  /**
   * A digest of what the request with `requestId` asked for (flow and input,
   * or the replay plan): a second request with the same ID must ask the same.
   */
  readonly requestFingerprint?: string | undefined;
  readonly state: ExecutionState;
}

/**
 * Status of a recorded checkpoint call. `completed` and `reused` calls have
 * an output; `failed` and `cancelled` ones are kept per retry generation
 * beside it and never answer a call.
 */
export type CallStatus = Exclude<CheckpointCallStatus, "running">;

/** True for a call whose output is recorded (completed or reused). */
export function hasOutput(call: { readonly status: CallStatus }): boolean {
  return call.status === "completed" || call.status === "reused";
}

/** One attempt at running a checkpoint function. */
export interface AttemptRecord {
  /** 1, 2, ... */
  readonly number: number;
  readonly status: "completed" | "failed" | "cancelled";
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly failure?: ThrownRecord | undefined;
}

/** One recorded checkpoint call: its lineage (the contract's shape) and what it recorded. */
export interface CallRecord extends RecordedCall<CallStatus> {
  readonly execId: string;
  readonly attempts: number;
  /** What the call returned, or for a reused call what its source recorded the flow saw. */
  readonly output?: Payload | undefined;
  readonly reusedFromCallId?: string | undefined;
  /** True when a replay override replaced the output the flow and consumers saw. */
  readonly overridden?: boolean | undefined;
  /** The override the flow and consumers saw instead of `output`, when `overridden`. */
  readonly overrideValue?: Payload | undefined;
  readonly failure?: ThrownRecord | undefined;
  /** Every attempt, oldest first; absent for reused calls (and records written before it existed). */
  readonly attemptHistory?: readonly AttemptRecord[] | undefined;
  readonly generation: number;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly metadata?: string | undefined;
}

/** The output the flow body and the call's consumers saw: the override when there is one. */
export function seenOutput(call: Pick<CallRecord, "output" | "overrideValue">): Payload | undefined {
  return call.overrideValue ?? call.output;
}

/** One line checkpoint code wrote. */
export interface LogLineRecord {
  /** Position within its attempt, from 0: with the call ID and attempt, it identifies the line. */
  readonly index: number;
  readonly at: Date;
  readonly level: LogLevel;
  readonly message: string;
  readonly source: "console" | "logger";
}

/**
 * A batch of log lines of one attempt of one checkpoint call, written at the
 * end of the call (with its record) or periodically while it runs.
 */
export interface LogChunkRecord {
  readonly execId: string;
  readonly invocationId: string;
  readonly callId: string;
  readonly name: string;
  /** The call's issue order; chunks are listed by (sequence, generation, attempt, chunk). */
  readonly sequence: number;
  readonly generation: number;
  readonly attempt: number;
  /** 0, 1, ... within the attempt. */
  readonly chunk: number;
  readonly lines: readonly LogLineRecord[];
}

/** One wait reached by a flow body, with its resolution when there is one. */
export interface WaitRecord {
  readonly execId: string;
  /** The wait's invocation ID within the execution: `name`, `name_2`, ... */
  readonly name: string;
  /** The name the flow gave `wait()`; several waits may share it. */
  readonly baseName: string;
  readonly waitId: string;
  readonly question: string;
  /** JSON Schema, as JSON text; empty when any value is accepted. */
  readonly schema: string;
  /** Metadata, as JSON text; empty when none. */
  readonly metadata: string;
  readonly createdAt: Date;
  /**
   * Why a wait the replay was asked to answer from its source was left for an
   * input instead (the source never answered it, has no such wait, ...);
   * absent otherwise. Written with the wait, so it is there while it is pending.
   */
  readonly sourceAnswerNote?: string | undefined;
  readonly resolution?: WaitResolution | undefined;
}

/** How a wait was resolved. */
export type WaitResolution =
  | {
      readonly kind: "value";
      readonly value: Payload;
      readonly at: Date;
      /** Set when a replay copied the answer from its source execution's recorded answer: that execution. */
      readonly copiedFromExecId?: string | undefined;
    }
  | { readonly kind: "abort"; readonly at: Date };

/** Who or what answered a wait, in words ("copied from execution kr-…"); undefined for an input. */
export function answeredBy(resolution: WaitResolution | undefined): string | undefined {
  if (resolution?.kind !== "value" || resolution.copiedFromExecId === undefined) return undefined;
  return `copied from execution ${resolution.copiedFromExecId}`;
}

/**
 * A replay job as the planner stores it on the runner (RunnerInternalService):
 * the runner keeps it and never interprets `job` (the planner's
 * `kitaru.runner.v1.ReplayJob` in its protobuf JSON form, totals left out).
 */
export interface ReplayJobRecord {
  readonly jobId: string;
  readonly namespace: string;
  readonly createdAt: Date;
  /** Set once, by the first cancel. */
  readonly cancelledAt?: Date | undefined;
  /** Set once, when the planner saw every replay of the job settle. */
  readonly endedAt?: Date | undefined;
  readonly job: { readonly [key: string]: unknown };
}

/** One source of a replay job, as the planner last wrote it (`kitaru.runner.v1.ReplayJobItem`, protobuf JSON). */
export interface ReplayJobItemRecord {
  readonly jobId: string;
  /** The source's position in the job; the item's key with `jobId`. */
  readonly index: number;
  readonly item: { readonly [key: string]: unknown };
}
