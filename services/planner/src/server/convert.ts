import { fromBinary, fromJson, type JsonObject as ProtoJsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { plannedCallToProto } from "#contract/replay-plan.ts";
import { decodeCallGraph } from "#contract/wire/call-graph-decoder.ts";
import { CheckpointCallStatus, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type CallGraph, type CallLineage, CallGraphSchema, type ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { ExecutionStatus as CoreStatus, RecordedCall, ReplayPlan, SourceExecution } from "../core/index.ts";

// Converters between the wire messages and the planning core's plain data.

const statusFromProto: Record<ExecutionStatus, CoreStatus> = {
  [ExecutionStatus.UNSPECIFIED]: "running", // never sent; treated as running so replay refuses it
  [ExecutionStatus.RUNNING]: "running",
  [ExecutionStatus.WAITING]: "waiting",
  [ExecutionStatus.COMPLETED]: "completed",
  [ExecutionStatus.FAILED]: "failed",
  [ExecutionStatus.CANCELLED]: "cancelled",
};

function callFromProto(call: CallLineage): RecordedCall {
  return {
    invocationId: call.invocationId,
    callId: call.callId,
    name: call.name,
    sequence: Number(call.sequence),
    dataDependencies: call.dataDependencies,
    loadDependencies: call.loadDependencies,
    outputNames: call.outputNames,
    status: callStatusFromProto(call.status),
  };
}

function callStatusFromProto(status: CheckpointCallStatus): RecordedCall["status"] {
  switch (status) {
    case CheckpointCallStatus.REUSED:
      return "reused";
    case CheckpointCallStatus.FAILED:
      return "failed";
    case CheckpointCallStatus.CANCELLED:
      return "cancelled";
    default:
      return "completed";
  }
}

/** The source execution the core plans over, from the runner's call graph. */
export function sourceFromCallGraph(graph: CallGraph): SourceExecution {
  return {
    execId: graph.execId,
    flowName: graph.flowName,
    status: statusFromProto[graph.status],
    input: (graph.input ?? {}) as SourceExecution["input"],
    calls: graph.lineage.map(callFromProto),
    version: Number(graph.version),
  };
}

/**
 * The source execution from the call graph's bytes: its calls read straight
 * into the core's records (`decodeCallGraph`), or, for bytes that reader does
 * not cover, the generic way (`fromBinary`, then {@link sourceFromCallGraph}).
 */
export function sourceFromCallGraphBytes(bytes: Uint8Array): SourceExecution {
  const decoded = decodeCallGraph(bytes, callStatusFromProto);
  if (decoded === undefined) return sourceFromCallGraph(fromBinary(CallGraphSchema, bytes));
  return { ...sourceFromCallGraph(decoded.graph), calls: decoded.calls };
}

/**
 * The flow versions a plan shows beside it (they are not the planning core's
 * concern): the one that last ran the source, and the one the replay runs on.
 */
export interface PlanFlowVersions {
  readonly sourceFlowVersion: string;
  readonly flowVersion: string;
}

const NO_VERSIONS: PlanFlowVersions = { sourceFlowVersion: "", flowVersion: "" };

/** The wire form of a plan. */
export function planToProto(plan: ReplayPlan, versions: PlanFlowVersions = NO_VERSIONS): MessageInitShape<typeof ReplayPlanSchema> {
  return { ...planHeadToProto(plan, versions), reexecute: plan.reexecute.map(plannedCallToProto), reuse: plan.reuse.map(plannedCallToProto) };
}

/** The wire form of a plan without its two call lists (`reexecute`, `reuse`: the thousands), for a `validate_only` StartReplay. */
export function planHeadToProto(plan: ReplayPlan, versions: PlanFlowVersions = NO_VERSIONS) {
  return {
    sourceExecId: plan.sourceExecId,
    flowName: plan.flowName,
    from: plan.from,
    fromCall: plannedCallToProto(plan.fromCall),
    sourceVersion: BigInt(plan.sourceVersion ?? 0),
    roots: plan.roots.map(plannedCallToProto),
    overrides: plan.overrides.map((o) => ({
      key: o.key,
      selector: o.selector,
      target: plannedCallToProto(o.target),
      value: fromJson(ValueSchema, o.value),
      consumerInvocationIds: [...o.consumerInvocationIds],
    })),
    input: plan.input as ProtoJsonObject,
    sourceFlowVersion: versions.sourceFlowVersion,
    flowVersion: versions.flowVersion,
    answerWaitsFromSource: [...plan.answerWaitsFromSource],
  };
}
