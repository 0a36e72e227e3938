/**
 * The plain models of an execution's family (`executions.lineage()`) and of
 * two executions compared (`executions.compare()`), from protobuf.
 *
 * @module
 */
import {
  callComparisonKindFromProto,
  type ExecutionComparison as ComparisonOf,
  countByKind,
  type JsonChange,
  jsonChangeKindFromProto,
} from "#contract/comparison.ts";
import { executionStatusFromProto, type ExecutionStatus } from "#contract/status.ts";
import {
  LineageEdgeKind as LineageEdgeKindPb,
  type ExecutionComparison as ExecutionComparisonPb,
  type ExecutionLineage as ExecutionLineagePb,
  type JsonChange as JsonChangePb,
} from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { checkpointCallFromProto, type CheckpointCall } from "./checkpoint-call.ts";
import { replayOriginFromProto, type ReplayOrigin } from "./execution.ts";
import { dateFromTimestamp, jsonFromValue } from "./json.ts";

/** One execution of a family. */
export interface LineageNode {
  readonly execId: string;
  readonly flowName: string;
  readonly status: ExecutionStatus;
  /** `original` for the family's root; `replay_of` for a replay of `parentExecId`. */
  readonly edge: "original" | "replay_of";
  /** The execution it is a replay of; `""` for the original. */
  readonly parentExecId: string;
  /** What the replay asked for; undefined for the original. */
  readonly replay: ReplayOrigin | undefined;
  /** How many times it was retried (a retry keeps the ID). */
  readonly retryCount: number;
  readonly checkpointCount: number;
  readonly createTime: Date | undefined;
  readonly updateTime: Date | undefined;
  /** The flow version that last ran it (or created it); `""` when unknown. */
  readonly flowVersion: string;
}

/** An execution's family: the original first, then replays level by level. */
export interface ExecutionLineage {
  readonly execId: string;
  readonly rootExecId: string;
  readonly nodes: readonly LineageNode[];
  /** More executions exist than `nodes` lists. */
  readonly truncated: boolean;
}

export type { CallComparisonKind, JsonChange } from "#contract/comparison.ts";

/** One invocation ID in two executions; its calls have their values left out. */
export type CallComparison = ExecutionComparison["calls"][number];

/** Two executions compared call by call (the contract's shape, over the client's calls). */
export type ExecutionComparison = ComparisonOf<CheckpointCall>;

/** The plain {@link ExecutionLineage} of a `kitaru.runner.v1.ExecutionLineage`. */
export function lineageFromProto(lineage: ExecutionLineagePb): ExecutionLineage {
  return {
    execId: lineage.execId,
    rootExecId: lineage.rootExecId,
    truncated: lineage.truncated,
    nodes: lineage.nodes.map((node) => ({
      execId: node.execId,
      flowName: node.flowName,
      status: executionStatusFromProto(node.status),
      edge: node.edge === LineageEdgeKindPb.REPLAY_OF ? "replay_of" : "original",
      parentExecId: node.parentExecId,
      replay: node.replay === undefined ? undefined : replayOriginFromProto(node.replay),
      retryCount: node.retryCount,
      checkpointCount: node.checkpointCount,
      createTime: dateFromTimestamp(node.createTime),
      updateTime: dateFromTimestamp(node.updateTime),
      flowVersion: node.flowVersion,
    })),
  };
}

/** The plain {@link ExecutionComparison} of a `kitaru.runner.v1.ExecutionComparison`. */
export function comparisonFromProto(comparison: ExecutionComparisonPb): ExecutionComparison {
  // The runner's counts, every kind present (0 for one it did not send).
  const counts = countByKind([]);
  for (const [kind, count] of Object.entries(comparison.counts)) if (kind in counts) counts[kind as keyof typeof counts] = count;
  return {
    baseExecId: comparison.baseExecId,
    otherExecId: comparison.otherExecId,
    calls: comparison.calls.map((call) => ({
      invocationId: call.invocationId,
      name: call.name,
      kind: callComparisonKindFromProto(call.kind),
      base: call.base === undefined ? undefined : checkpointCallFromProto(call.base),
      other: call.other === undefined ? undefined : checkpointCallFromProto(call.other),
      changes: call.changes.map(changeFromProto),
    })),
    inputChanges: comparison.inputChanges.map(changeFromProto),
    resultChanges: comparison.resultChanges.map(changeFromProto),
    counts,
    baseFlowVersion: comparison.baseFlowVersion,
    otherFlowVersion: comparison.otherFlowVersion,
  };
}

/** The plain {@link JsonChange} of a `kitaru.runner.v1.JsonChange`. */
export function changeFromProto(change: JsonChangePb): JsonChange {
  return { path: change.path, kind: jsonChangeKindFromProto(change.kind), before: jsonFromValue(change.before), after: jsonFromValue(change.after) };
}
