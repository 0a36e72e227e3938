import { fromBinary, fromJson, type MessageInitShape } from "@bufbuild/protobuf";
import type { JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import { timestampFromDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  CallAttemptStatus,
  CheckpointCallStatus,
  type LogEntrySchema,
  type StatusChangeSchema,
  ExecutionStatus,
  FailureOrigin,
  WaitStatus,
  type CheckpointCallSchema,
  type ExecutionEventSchema,
  type ExecutionSchema,
  type FailureSchema,
  type ReplayOriginSchema,
  type VersionHoldSchema,
  type WaitSchema,
} from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { divergenceDetailToProto, failureToProto } from "#contract/failure.ts";
import { logLevelToProto } from "#contract/log-level.ts";
import { callStatusToProto, executionStatusFromProto, executionStatusToProto } from "#contract/status.ts";
import type { JsonValue } from "../authoring/json-value.ts";
import type { ExecutionEvent, LogEntry as LogEntryView, StartedCall } from "../engine/execution-events.ts";
import { type CallLineage as CallLineageMessage, CallGraphSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { GetCallGraphResponseSchema } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { type CallGraphHead, type CallGraphVersions, type EncodedLineage, isEncodedLineage } from "#contract/wire/call-graph-encoder.ts";
import type { CallValues, ExecutionView } from "../engine/execution-queries.ts";
import type { ReplayDraft } from "../engine/replay-start.ts";
import type { OmittedValue } from "../engine/value-budget.ts";
import type { CallLineage } from "../store/execution-store.ts";
import { ValueCodec } from "../store/value-codec.ts";
import {
  answeredBy,
  lastFlowVersion,
  recordedFlowVersion,
  type AttemptRecord,
  type CallRecord,
  type ExecutionRecord,
  type ExecutionState,
  type ExecutionStatus as Status,
  type ReplayRecord,
  type ThrownRecord,
  type VersionHoldRecord,
  type WaitRecord,
} from "../store/records.ts";

// Converters from the engine's records to the wire messages. One direction
// only: requests are read field by field in the handlers. The contract's
// shared shapes (statuses, failures, log levels) convert in #contract.

/** The engine status of a wire status filter; undefined for UNSPECIFIED, a usage error for a value that is no status. */
export function statusFromProto(status: ExecutionStatus): Status | undefined {
  if (status === ExecutionStatus.UNSPECIFIED) return undefined;
  if (ExecutionStatus[status] === undefined) {
    throw new KitaruUsageError(`\`status\` ${status} is not an execution status.`, { metadata: { status: String(status) } });
  }
  return executionStatusFromProto(status);
}

/** A JSON value as `google.protobuf.Value`. */
function valueToProto(value: JsonValue) {
  return fromJson(ValueSchema, value);
}

/** Metadata kept inside a record, read by the value codec; undefined when there is none (or it is no object). */
function metadataToProto(text: string | undefined): ProtoJsonObject | undefined {
  return objectOrUndefined(ValueCodec.decodeInline(text));
}

/** A wait's JSON Schema (JSON text the engine wrote from the flow's zod schema); undefined when it has none. */
function schemaToProto(text: string): ProtoJsonObject | undefined {
  return text === "" ? undefined : objectOrUndefined(JSON.parse(text) as JsonValue);
}

function objectOrUndefined(value: JsonValue | undefined): ProtoJsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as ProtoJsonObject) : undefined;
}

/** The wire form of what a checkpoint attempt threw (always user code). */
function thrownToProto(thrown: ThrownRecord, invocationId: string): MessageInitShape<typeof FailureSchema> {
  return { origin: FailureOrigin.USER_CODE, message: thrown.message, exceptionType: thrown.exceptionType, invocationId, traceback: thrown.traceback ?? "" };
}

const attemptStatusToProto: Record<AttemptRecord["status"], CallAttemptStatus> = {
  completed: CallAttemptStatus.COMPLETED,
  failed: CallAttemptStatus.FAILED,
  cancelled: CallAttemptStatus.CANCELLED,
};

/** The wire form of a recorded call; its values only when given (full view). */
export function callToProto(call: CallRecord, values: CallValues = {}): MessageInitShape<typeof CheckpointCallSchema> {
  return {
    callId: call.callId,
    invocationId: call.invocationId,
    name: call.name,
    status: callStatusToProto(call.status),
    attempts: call.attempts,
    sequence: BigInt(call.sequence),
    dataDependencies: [...call.dataDependencies],
    loadDependencies: [...call.loadDependencies],
    outputNames: [...call.outputNames],
    output: values.output === undefined ? undefined : valueToProto(values.output),
    overrideValue: values.overrideValue === undefined ? undefined : valueToProto(values.overrideValue),
    reusedFromCallId: call.reusedFromCallId ?? "",
    overridden: call.overridden ?? false,
    failure: call.failure ? thrownToProto(call.failure, call.invocationId) : undefined,
    startTime: timestampFromDate(call.startedAt),
    endTime: timestampFromDate(call.endedAt),
    metadata: metadataToProto(call.metadata),
    attemptHistory: (call.attemptHistory ?? []).map((attempt) => ({
      number: attempt.number,
      status: attemptStatusToProto[attempt.status],
      startTime: timestampFromDate(attempt.startedAt),
      endTime: timestampFromDate(attempt.endedAt),
      failure: attempt.failure ? thrownToProto(attempt.failure, call.invocationId) : undefined,
    })),
  };
}

/**
 * The lineage of a recorded call, for the planner: what it plans with, nothing more. Built as the
 * message itself (every field set, as `create` would set it), so that encoding a call graph of
 * thousands of calls does not copy each one through `create` first.
 */
function lineageToProto(call: CallLineage): CallLineageMessage {
  return {
    $typeName: "kitaru.runner.v1.CallLineage",
    invocationId: call.invocationId ?? "",
    callId: call.callId ?? "",
    name: call.name ?? "",
    status: callStatusToProto(call.status),
    sequence: BigInt(call.sequence),
    // The store's arrays, not copies: toBinary only reads them.
    dataDependencies: (call.dataDependencies ?? []) as string[],
    loadDependencies: (call.loadDependencies ?? []) as string[],
    outputNames: (call.outputNames ?? []) as string[],
  };
}

/** What GetCallGraph answers with: the engine's `callGraph`. */
export interface CallGraphRead {
  readonly execution: ExecutionRecord;
  readonly input: JsonValue;
  readonly calls: readonly CallLineage[] | EncodedLineage;
  /** The flow version this runner serves (a replay it creates runs on it). */
  readonly flowVersion: string;
}

/** The response's flow versions: the one that last ran the graph's execution, and this runner's. */
export function callGraphVersions(graph: CallGraphRead): CallGraphVersions {
  return { sourceFlowVersion: recordedFlowVersion(graph.execution) ?? "", flowVersion: graph.flowVersion };
}

/** The graph's fields other than `lineage` (the thousands: `encodeCallGraphResponse` writes them from the records). */
export function callGraphHeadToProto(graph: CallGraphRead): CallGraphHead {
  return {
    execId: graph.execution.execId,
    flowName: graph.execution.flowName,
    status: executionStatusToProto(graph.execution.state.status),
    input: graph.input as ProtoJsonObject,
    version: BigInt(graph.execution.state.seq),
  };
}

/** The GetCallGraph response, the generic way. */
export function callGraphResponseToProto(graph: CallGraphRead): MessageInitShape<typeof GetCallGraphResponseSchema> {
  // Encoded calls are elements of CallGraph.lineage: read as a CallGraph, they are its lineage.
  const lineage = isEncodedLineage(graph.calls) ? fromBinary(CallGraphSchema, graph.calls.lineageBytes).lineage : graph.calls.map(lineageToProto);
  return { graph: { ...callGraphHeadToProto(graph), lineage }, ...callGraphVersions(graph) };
}

function startedCallToProto(call: StartedCall): MessageInitShape<typeof CheckpointCallSchema> {
  return {
    callId: call.callId,
    invocationId: call.invocationId,
    name: call.name,
    status: CheckpointCallStatus.RUNNING,
    sequence: BigInt(call.sequence),
    dataDependencies: [...call.dataDependencies],
    loadDependencies: [...call.loadDependencies],
    outputNames: [...call.outputNames],
    startTime: timestampFromDate(call.startedAt),
  };
}

/** An omitted value's wire form. */
function omittedToProto(omitted: OmittedValue | undefined) {
  return omitted === undefined ? [] : [{ path: omitted.path, bytes: BigInt(omitted.bytes) }];
}

/** The wire form of a wait; the value is included once resolved (or named in `omittedValues` when it was left out). */
export function waitToProto(wait: WaitRecord, value?: JsonValue, omitted?: OmittedValue): MessageInitShape<typeof WaitSchema> {
  const resolution = wait.resolution;
  return {
    waitId: wait.waitId,
    name: wait.name,
    question: wait.question,
    schema: schemaToProto(wait.schema),
    metadata: metadataToProto(wait.metadata),
    status: resolution === undefined ? WaitStatus.PENDING : resolution.kind === "abort" ? WaitStatus.ABORTED : WaitStatus.RESOLVED,
    value: value === undefined ? undefined : valueToProto(value),
    createTime: timestampFromDate(wait.createdAt),
    resolveTime: resolution ? timestampFromDate(resolution.at) : undefined,
    execId: wait.execId,
    omittedValues: omittedToProto(omitted),
    answeredBy: answeredBy(resolution) ?? "",
    answerSourceExecId: resolution?.kind === "value" ? (resolution.copiedFromExecId ?? "") : "",
    sourceAnswerNote: wait.sourceAnswerNote ?? "",
  };
}

/** The wire form of an execution view. */
export function executionToProto(view: ExecutionView): MessageInitShape<typeof ExecutionSchema> {
  const { execution } = view;
  const { state } = execution;
  return {
    name: `executions/${execution.execId}`,
    execId: execution.execId,
    flowName: execution.flowName,
    status: executionStatusToProto(state.status),
    input: view.input === undefined ? undefined : (view.input as ProtoJsonObject),
    result: view.result === undefined ? undefined : valueToProto(view.result),
    failure: state.failure ? failureToProto(state.failure) : undefined,
    originalExecId: execution.originalExecId ?? "",
    retryCount: state.generation,
    pendingWaits: view.pendingWaits.map((wait) => waitToProto(wait)),
    checkpoints: view.calls.map((call) => callToProto(call, view.values.get(call.invocationId))),
    checkpointCount: view.callCount,
    replay: execution.replay ? replayOriginToProto(execution.replay) : undefined,
    createTime: timestampFromDate(execution.createdAt),
    updateTime: timestampFromDate(state.at),
    endTime: state.endedAt ? timestampFromDate(state.endedAt) : undefined,
    metadata: metadataToProto(state.metadata),
    omittedValues: view.omitted.map((value) => ({ path: value.path, bytes: BigInt(value.bytes) })),
    flowVersion: execution.flowVersion ?? "",
    flowVersionRuns: (state.flowVersionRuns ?? []).map((run) => ({ flowVersion: run.flowVersion, startTime: timestampFromDate(run.at) })),
    versionHold: state.versionHold ? versionHoldToProto(state.versionHold) : undefined,
    waits: view.waits.map((wait) => waitToProto(wait, view.waitValues.get(wait.name))),
  };
}

/** The wire form of what a replay asked for (an execution's `replay`). */
export function replayOriginToProto(
  replay: Pick<ReplayRecord, "from" | "roots" | "overrideKeys" | "sourceFlowVersion" | "answerWaitsFromSource">,
): MessageInitShape<typeof ReplayOriginSchema> {
  return {
    from: replay.from,
    roots: [...replay.roots],
    overrideKeys: [...replay.overrideKeys],
    sourceFlowVersion: replay.sourceFlowVersion ?? "",
    answerWaitsFromSource: [...(replay.answerWaitsFromSource ?? [])],
  };
}

/** The wire form of a version hold. */
function versionHoldToProto(hold: VersionHoldRecord): MessageInitShape<typeof VersionHoldSchema> {
  return { requiredFlowVersion: hold.requiredFlowVersion, divergence: divergenceDetailToProto(hold.divergence), createTime: timestampFromDate(hold.at) };
}

/**
 * The execution a validated replay would create (AIP-163 `validate_only`):
 * no ID, status running, no calls yet.
 */
export function draftToProto(draft: ReplayDraft): MessageInitShape<typeof ExecutionSchema> {
  return {
    flowName: draft.flowName,
    status: ExecutionStatus.RUNNING,
    input: draft.input as ProtoJsonObject,
    originalExecId: draft.originalExecId,
    replay: replayOriginToProto(draft.replay),
    createTime: timestampFromDate(draft.createdAt),
    updateTime: timestampFromDate(draft.createdAt),
    flowVersion: draft.flowVersion,
  };
}

/**
 * The wire form of an execution event; `value` is a resolved wait's value or
 * a completed execution's result, or `omitted` names it when it was left out.
 */
export function eventToProto(event: ExecutionEvent, value?: JsonValue, omitted?: OmittedValue): MessageInitShape<typeof ExecutionEventSchema> {
  const base = { execId: event.execId, time: timestampFromDate(event.at) };
  switch (event.kind) {
    case "call_started":
      return { ...base, kind: { case: "callStarted", value: startedCallToProto(event.call) } };
    case "call_completed":
      return { ...base, kind: { case: "callCompleted", value: callToProto(event.call) } };
    case "call_reused":
      return { ...base, kind: { case: "callReused", value: callToProto(event.call) } };
    case "call_failed":
      return { ...base, kind: { case: "callFailed", value: callToProto(event.call) } };
    case "call_cancelled":
      return { ...base, kind: { case: "callCancelled", value: callToProto(event.call) } };
    case "wait_pending":
      return { ...base, kind: { case: "waitPending", value: { ...waitToProto(event.wait), status: WaitStatus.PENDING, resolveTime: undefined } } };
    case "wait_resolved":
      return { ...base, kind: { case: "waitResolved", value: waitToProto(event.wait, value, omitted) } };
    case "status_changed":
      return { ...base, kind: { case: "statusChanged", value: statusChangeToProto(event.state, value, omitted) } };
    case "log_line":
      throw new Error("log lines are streamed by WatchExecutionLogs, not as execution events");
  }
}

/** The wire form of an execution's new state; `result` is the loaded result, when completed (or `omitted` names it). */
export function statusChangeToProto(state: ExecutionState, result?: JsonValue, omitted?: OmittedValue): MessageInitShape<typeof StatusChangeSchema> {
  return {
    status: executionStatusToProto(state.status),
    result: result === undefined ? undefined : valueToProto(result),
    failure: state.failure ? failureToProto(state.failure) : undefined,
    metadata: metadataToProto(state.metadata),
    flowVersion: lastFlowVersion(state) ?? "",
    versionHold: state.versionHold ? versionHoldToProto(state.versionHold) : undefined,
    omittedValues: omittedToProto(omitted),
  };
}

/** The wire form of one log line. */
export function logEntryToProto(entry: LogEntryView): MessageInitShape<typeof LogEntrySchema> {
  const { call, line } = entry;
  return {
    execId: call.execId,
    invocationId: call.invocationId,
    checkpointName: call.name,
    callId: call.callId,
    attempt: call.attempt,
    time: timestampFromDate(line.at),
    level: logLevelToProto(line.level),
    message: line.message,
    source: line.source,
  };
}
