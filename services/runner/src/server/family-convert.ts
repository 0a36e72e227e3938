/**
 * The wire form of execution families and comparisons (kitaru.runner.v1
 * lineage.proto).
 *
 * @module
 */
import { fromJson, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { JsonValue } from "#contract/json-value.ts";
import { executionStatusToProto } from "#contract/status.ts";
import { callComparisonKindToProto, type JsonChange, jsonChangeKindToProto } from "#contract/comparison.ts";
import { LineageEdgeKind, type ExecutionComparisonSchema, type ExecutionLineageSchema, type JsonChangeSchema } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import type { ExecutionComparison, ExecutionFamily } from "../engine/execution-family.ts";
import { recordedFlowVersion } from "../store/records.ts";
import { callToProto, replayOriginToProto } from "./convert.ts";

/** A changed value over this many bytes of JSON is replaced by a summary: a diff is for reading. */
const CHANGE_VALUE_BYTES = 4096;

/** The wire form of a family. */
export function familyToProto(family: ExecutionFamily): MessageInitShape<typeof ExecutionLineageSchema> {
  return {
    execId: family.execId,
    rootExecId: family.rootExecId,
    truncated: family.truncated,
    nodes: family.members.map(({ execution, parentExecId, callCount }) => ({
      execId: execution.execId,
      flowName: execution.flowName,
      status: executionStatusToProto(execution.state.status),
      edge: parentExecId === undefined ? LineageEdgeKind.ORIGINAL : LineageEdgeKind.REPLAY_OF,
      parentExecId: parentExecId ?? "",
      replay: execution.replay ? replayOriginToProto(execution.replay) : undefined,
      retryCount: execution.state.generation,
      createTime: timestampFromDate(execution.createdAt),
      updateTime: timestampFromDate(execution.state.at),
      checkpointCount: callCount,
      flowVersion: recordedFlowVersion(execution) ?? "",
    })),
  };
}

/** The wire form of a comparison. */
export function comparisonToProto(comparison: ExecutionComparison): MessageInitShape<typeof ExecutionComparisonSchema> {
  return {
    baseExecId: comparison.baseExecId,
    otherExecId: comparison.otherExecId,
    calls: comparison.calls.map((call) => ({
      invocationId: call.invocationId,
      name: call.name,
      kind: callComparisonKindToProto(call.kind),
      base: call.base === undefined ? undefined : callToProto(call.base),
      other: call.other === undefined ? undefined : callToProto(call.other),
      changes: call.changes.map(changeToProto),
    })),
    inputChanges: comparison.inputChanges.map(changeToProto),
    resultChanges: comparison.resultChanges.map(changeToProto),
    counts: { ...comparison.counts },
    baseFlowVersion: comparison.baseFlowVersion ?? "",
    otherFlowVersion: comparison.otherFlowVersion ?? "",
  };
}

function changeToProto(change: JsonChange): MessageInitShape<typeof JsonChangeSchema> {
  return {
    path: change.path,
    kind: jsonChangeKindToProto(change.kind),
    before: change.before === undefined ? undefined : bounded(change.before),
    after: change.after === undefined ? undefined : bounded(change.after),
  };
}

function bounded(value: JsonValue) {
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, "utf8");
  const shown: JsonValue =
    bytes <= CHANGE_VALUE_BYTES
      ? value
      : `<${Array.isArray(value) ? "array" : typeof value === "object" && value !== null ? "object" : typeof value} of ${bytes} bytes>`;
  return fromJson(ValueSchema, shown);
}
