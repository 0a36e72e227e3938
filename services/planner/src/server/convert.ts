import { fromJson, type JsonObject as ProtoJsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { CheckpointCallStatus, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { CallGraph, CallLineage, PlannedCall as PlannedCallMessage, ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { ExecutionStatus as CoreStatus, PlannedCall, RecordedCall, ReplayPlan, SourceExecution } from "../core/index.ts";

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

export function callStatusFromProto(status: CheckpointCallStatus): RecordedCall["status"] {
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

/** The source execution the core plans over, from the runner's call graph (call-graph-wire.ts reads it from its bytes, the same way). */
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

/** The message itself (every field set), so that `create` passes the thousands of a plan through without copying them. */
function plannedCallToProto(call: PlannedCall): PlannedCallMessage {
  return { $typeName: "kitaru.runner.v1.PlannedCall", invocationId: call.invocationId, callId: call.callId, name: call.name, sequence: BigInt(call.sequence) };
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

/** The wire form of a plan without its two call lists (`reexecute`, `reuse`: the thousands; plan-wire.ts writes them). */
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
  };
}
