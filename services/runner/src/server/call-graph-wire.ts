/**
 * The GetCallGraph response, encoded directly from the store's lineage
 * records: no `CallLineage` message per call and no generic encoding of
 * thousands of them. The bytes are exactly protobuf-es's for the message
 * {@link callGraphResponseInit} describes (test/runner/call-graph-wire.test.ts
 * compares them); a record this encoder does not cover (a value protobuf-es
 * would convert or refuse) makes it answer undefined, and the handler sends the
 * message the generic way.
 *
 * @module
 */
import { create, toBinary, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { executionStatusToProto, callStatusToProto } from "#contract/status.ts";
import { CallGraphSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { GetCallGraphResponseSchema } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { EncodedMessage, WireType, WireWriter } from "../../../transport/src/index.ts";
import type { JsonValue } from "../authoring/json-value.ts";
import type { CallLineage } from "../store/execution-store.ts";
import { recordedFlowVersion, type ExecutionRecord } from "../store/records.ts";
import { lineageToProto } from "./convert.ts";

/** What GetCallGraph answers with: the engine's `callGraph`, and the runner's flow version. */
export interface CallGraphRead {
  readonly execution: ExecutionRecord;
  readonly input: JsonValue;
  readonly calls: readonly CallLineage[];
  /** The flow version this runner serves. */
  readonly flowVersion: string;
}

/** The flow version that last ran the graph's execution ("" when unknown). */
function sourceFlowVersion(graph: CallGraphRead): string {
  return recordedFlowVersion(graph.execution) ?? "";
}

/** The graph's fields other than `lineage`, as a message init. */
function header(graph: CallGraphRead) {
  return {
    execId: graph.execution.execId,
    flowName: graph.execution.flowName,
    status: executionStatusToProto(graph.execution.state.status),
    input: graph.input as JsonObject,
    version: BigInt(graph.execution.state.seq),
  };
}

/** The response as a message init: what the generic way encodes. */
export function callGraphResponseInit(graph: CallGraphRead): MessageInitShape<typeof GetCallGraphResponseSchema> {
  return { graph: { ...header(graph), lineage: graph.calls.map(lineageToProto) }, sourceFlowVersion: sourceFlowVersion(graph), flowVersion: graph.flowVersion };
}

/**
 * Bytes to start the buffer with: every call as large as the last one (in a chain its IDs are the longest),
 * ASCII assumed; the buffer grows if that is short.
 */
function estimatedBytes(calls: readonly CallLineage[]): number {
  const last = calls[calls.length - 1];
  if (last === undefined) return 0;
  let perCall = 24 + (last.invocationId?.length ?? 0) + (last.callId?.length ?? 0) + (last.name?.length ?? 0);
  for (const list of [last.dataDependencies, last.loadDependencies, last.outputNames]) for (const value of list ?? []) perCall += 2 + (value?.length ?? 0);
  return calls.length * perCall;
}

/**
 * The response encoded, or undefined when a record holds a value only the
 * generic way handles. `lineage` is the graph's last field (7), so the
 * graph's bytes are its other fields as protobuf-es writes them, then one
 * `CallLineage` per call; the response's flow versions (fields 2 and 3) follow the graph.
 */
export function encodeCallGraphResponse(graph: CallGraphRead): EncodedMessage<typeof GetCallGraphResponseSchema> | undefined {
  const head = toBinary(CallGraphSchema, create(CallGraphSchema, header(graph)));
  const writer = new WireWriter(head.length + estimatedBytes(graph.calls) + 16);
  writer.tag(1, WireType.lengthDelimited);
  const graphAt = writer.fork();
  writer.raw(head);
  for (const call of graph.calls) {
    writer.tag(7, WireType.lengthDelimited);
    const callAt = writer.fork();
    if (!writeLineage(writer, call)) return undefined;
    writer.join(callAt);
  }
  writer.join(graphAt);
  optionalString(writer, 2, sourceFlowVersion(graph));
  optionalString(writer, 3, graph.flowVersion);
  return new EncodedMessage(GetCallGraphResponseSchema, writer.finish());
}

/** One `CallLineage`'s fields, as `lineageToProto` sets them and protobuf-es writes them; false for a value it does not cover. */
function writeLineage(writer: WireWriter, call: CallLineage): boolean {
  if (!optionalString(writer, 1, call.invocationId) || !optionalString(writer, 2, call.callId) || !optionalString(writer, 3, call.name)) return false;
  const status = callStatusToProto(call.status);
  if (!(Number.isInteger(status) && status >= 0 && status <= 0x7fffffff)) return false;
  if (status !== 0) writer.tag(4, WireType.varint).uint(status);
  const sequence = call.sequence;
  if (!(Number.isSafeInteger(sequence) && sequence >= 0)) return false;
  if (sequence !== 0) writer.tag(5, WireType.varint).uint(sequence);
  return strings(writer, 6, call.dataDependencies) && strings(writer, 7, call.loadDependencies) && strings(writer, 8, call.outputNames);
}

/** A proto3 string field (`value ?? ""`): written unless empty. */
function optionalString(writer: WireWriter, fieldNo: number, value: string | undefined): boolean {
  if (value === undefined || value === "") return true;
  if (typeof value !== "string") return false;
  writer.tag(fieldNo, WireType.lengthDelimited).string(value);
  return true;
}

/** A repeated string field (`values ?? []`): every element, empty ones too. */
function strings(writer: WireWriter, fieldNo: number, values: readonly string[] | undefined): boolean {
  if (values === undefined) return true;
  if (!Array.isArray(values)) return false;
  for (const value of values) {
    if (typeof value !== "string") return false;
    writer.tag(fieldNo, WireType.lengthDelimited).string(value);
  }
  return true;
}
