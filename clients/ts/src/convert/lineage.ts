/**
 * The plain models of an execution's family (`executions.lineage()`) and of
 * two executions compared (`executions.compare()`), from protobuf.
 *
 * @module
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { executionStatusFromProto, type ExecutionStatus } from "#contract/status.ts";
import {
  CallComparisonKind as CallComparisonKindPb,
  JsonChangeKind as JsonChangeKindPb,
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

/** One difference between two JSON values. */
export interface JsonChange {
  /** A path like `items[2].title`; `""` for the whole value. */
  readonly path: string;
  readonly kind: "added" | "removed" | "changed";
  readonly before: JsonValue | undefined;
  readonly after: JsonValue | undefined;
}

/** How one call differs between two executions. */
export type CallComparisonKind = "reused" | "same_output" | "changed_output" | "overridden" | "new" | "not_reached";

/** One invocation ID in two executions. */
export interface CallComparison {
  readonly invocationId: string;
  readonly name: string;
  readonly kind: CallComparisonKind;
  /** The call in the base execution (values left out); undefined when it has none. */
  readonly base: CheckpointCall | undefined;
  /** The call in the other execution (values left out); undefined when it has none. */
  readonly other: CheckpointCall | undefined;
  /** What the flow saw, base → other. */
  readonly changes: readonly JsonChange[];
}

/** Two executions compared call by call. */
export interface ExecutionComparison {
  readonly baseExecId: string;
  readonly otherExecId: string;
  readonly calls: readonly CallComparison[];
  readonly inputChanges: readonly JsonChange[];
  readonly resultChanges: readonly JsonChange[];
  /** Calls per kind. */
  readonly counts: Readonly<Record<CallComparisonKind, number>>;
  /** The flow versions of the two executions' code; `""` when unknown. They differ when the code changed between them. */
  readonly baseFlowVersion: string;
  readonly otherFlowVersion: string;
}

const kindByPb: Record<CallComparisonKindPb, CallComparisonKind> = {
  [CallComparisonKindPb.UNSPECIFIED]: "changed_output",
  [CallComparisonKindPb.REUSED]: "reused",
  [CallComparisonKindPb.SAME_OUTPUT]: "same_output",
  [CallComparisonKindPb.CHANGED_OUTPUT]: "changed_output",
  [CallComparisonKindPb.OVERRIDDEN]: "overridden",
  [CallComparisonKindPb.NEW]: "new",
  [CallComparisonKindPb.NOT_REACHED]: "not_reached",
};

const changeKindByPb: Record<JsonChangeKindPb, JsonChange["kind"]> = {
  [JsonChangeKindPb.UNSPECIFIED]: "changed",
  [JsonChangeKindPb.ADDED]: "added",
  [JsonChangeKindPb.REMOVED]: "removed",
  [JsonChangeKindPb.CHANGED]: "changed",
};

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
  const counts: Record<CallComparisonKind, number> = { reused: 0, same_output: 0, changed_output: 0, overridden: 0, new: 0, not_reached: 0 };
  for (const [kind, count] of Object.entries(comparison.counts)) if (kind in counts) counts[kind as CallComparisonKind] = count;
  return {
    baseExecId: comparison.baseExecId,
    otherExecId: comparison.otherExecId,
    calls: comparison.calls.map((call) => ({
      invocationId: call.invocationId,
      name: call.name,
      kind: kindByPb[call.kind] ?? "changed_output",
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

function changeFromProto(change: JsonChangePb): JsonChange {
  return { path: change.path, kind: changeKindByPb[change.kind] ?? "changed", before: jsonFromValue(change.before), after: jsonFromValue(change.after) };
}
