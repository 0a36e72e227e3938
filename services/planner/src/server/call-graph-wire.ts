/**
 * The runner's call graph read from its wire bytes straight into the planning
 * core's records: no `CallLineage` message per call in between.
 *
 * The planner asks GetCallGraph for a response type of its own with the same
 * wire form as `GetCallGraphResponse` (`graph` is field 1, length-delimited;
 * here as `repeated bytes`, so that a graph sent in parts is merged as
 * protobuf merges a message sent in parts), then decodes the graph: each
 * `lineage` element (field 7) by hand, the graph's other fields (a few, small)
 * through protobuf-es. Whatever the hand decoder does not cover (an unknown
 * field inside a call, a wire type it does not expect, a value out of its
 * range, ill-formed UTF-8, truncated bytes) sends the whole graph the generic
 * way, `fromBinary` then {@link sourceFromCallGraph}, so the result (or the
 * error) is protobuf-es's (test/planner/call-graph-wire.test.ts compares).
 *
 * @module
 */
import { create, createFileRegistry, fromBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { CallGraphSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { type GetCallGraphRequestSchema, RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import type { RecordedCall, SourceExecution } from "../core/index.ts";
import { callStatusFromProto, sourceFromCallGraph } from "./convert.ts";

/** `GetCallGraphResponse` with its graph left as bytes (its flow versions as they are). */
type CallGraphBytes = { $typeName: "kitaru.planner.internal.CallGraphBytes"; graph: Uint8Array[]; sourceFlowVersion: string; flowVersion: string };

const CallGraphBytesSchema = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "kitaru/planner/internal/call_graph_bytes.proto",
    package: "kitaru.planner.internal",
    syntax: "proto3",
    messageType: [
      {
        name: "CallGraphBytes",
        field: [
          { name: "graph", jsonName: "graph", number: 1, type: FieldDescriptorProto_Type.BYTES, label: FieldDescriptorProto_Label.REPEATED },
          {
            name: "source_flow_version",
            jsonName: "sourceFlowVersion",
            number: 2,
            type: FieldDescriptorProto_Type.STRING,
            label: FieldDescriptorProto_Label.OPTIONAL,
          },
          { name: "flow_version", jsonName: "flowVersion", number: 3, type: FieldDescriptorProto_Type.STRING, label: FieldDescriptorProto_Label.OPTIONAL },
        ],
      },
    ],
  }),
  () => undefined,
).getMessage("kitaru.planner.internal.CallGraphBytes") as unknown as GenMessage<CallGraphBytes>;

/** RunnerInternalService.GetCallGraph, its response read as {@link CallGraphBytes}: same path, same request. */
export const GET_CALL_GRAPH_BYTES: DescMethodUnary<typeof GetCallGraphRequestSchema, typeof CallGraphBytesSchema> = {
  ...RunnerInternalService.method.getCallGraph,
  output: CallGraphBytesSchema,
};

/** The graph of a GetCallGraph response read through {@link GET_CALL_GRAPH_BYTES}; undefined when it has none. */
export function callGraphBytes(response: CallGraphBytes): Uint8Array | undefined {
  const parts = response.graph;
  if (parts.length <= 1) return parts[0];
  return Buffer.concat(parts);
}

/** The source execution the core plans over, from the call graph's bytes. */
export function sourceFromCallGraphBytes(bytes: Uint8Array): SourceExecution {
  return readCoveredGraph(bytes) ?? sourceFromCallGraph(fromBinary(CallGraphSchema, bytes));
}

/** `list` with `value` added (a new list for the first value). */
function appended(list: string[] | undefined, value: string): string[] {
  if (list === undefined) return [value];
  list.push(value);
  return list;
}

/** Thrown inside the hand decoder when the bytes hold something it does not cover (the generic way decides). */
class NotCovered extends Error {}

const LINEAGE_TAG = (7 << 3) | 2;
/** The lists of a call that has none (the core only reads them). */
const NONE: readonly string[] = Object.freeze([]);
/** Slots of the table of strings read (a power of 2). */
const SEEN_SLOTS = 4096;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The hand decoder: the source execution, or undefined for bytes it does not cover. */
export function readCoveredGraph(bytes: Uint8Array): SourceExecution | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;

  const varint = (limit: number): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (pos >= limit || scale > 2 ** 49) throw new NotCovered();
      const byte = buf[pos++] ?? 0;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };

  // The strings read so far, by a hash of their bytes: a name or a dependency repeats a string read before
  // (the name of every call of a loop, the invocation ID of the call before), and is then not allocated again.
  const seen: (string | undefined)[] = new Array(SEEN_SLOTS);

  const string = (limit: number): string => {
    const length = varint(limit);
    const start = pos;
    const end = start + length;
    if (end > limit) throw new NotCovered();
    pos = end;
    let hash = length;
    for (let i = start; i < end; i++) {
      const byte = buf[i] ?? 0;
      if (byte > 0x7f) {
        try {
          return strictUtf8.decode(buf.subarray(start, end));
        } catch {
          throw new NotCovered();
        }
      }
      hash = (Math.imul(hash, 31) + byte) | 0;
    }
    const slot = hash & (SEEN_SLOTS - 1);
    const earlier = seen[slot];
    if (earlier !== undefined && earlier.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (earlier.charCodeAt(i) !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return earlier;
    }
    const text = buf.toString("latin1", start, end);
    seen[slot] = text;
    return text;
  };

  const call = (limit: number): RecordedCall => {
    let invocationId = "";
    let callId = "";
    let name = "";
    let status = 0;
    let sequence = 0;
    let dataDependencies: string[] | undefined;
    let loadDependencies: string[] | undefined;
    let outputNames: string[] | undefined;
    while (pos < limit) {
      switch (varint(limit)) {
        case (1 << 3) | 2:
          invocationId = string(limit);
          break;
        case (2 << 3) | 2:
          callId = string(limit);
          break;
        case (3 << 3) | 2:
          name = string(limit);
          break;
        case 4 << 3:
          status = varint(limit);
          if (status > 0x7fffffff) throw new NotCovered();
          break;
        case 5 << 3:
          sequence = varint(limit);
          if (sequence > Number.MAX_SAFE_INTEGER) throw new NotCovered();
          break;
        case (6 << 3) | 2:
          dataDependencies = appended(dataDependencies, string(limit));
          break;
        case (7 << 3) | 2:
          loadDependencies = appended(loadDependencies, string(limit));
          break;
        case (8 << 3) | 2:
          outputNames = appended(outputNames, string(limit));
          break;
        default:
          throw new NotCovered();
      }
    }
    if (pos !== limit) throw new NotCovered();
    // The same record (and property order) as convert.ts's callFromProto.
    return {
      invocationId,
      callId,
      name,
      sequence,
      dataDependencies: dataDependencies ?? NONE,
      loadDependencies: loadDependencies ?? NONE,
      outputNames: outputNames ?? NONE,
      status: callStatusFromProto(status),
    };
  };

  try {
    const calls: RecordedCall[] = [];
    // The graph's other fields, as they came, for protobuf-es.
    const others: Uint8Array[] = [];
    const end = buf.length;
    while (pos < end) {
      const fieldStart = pos;
      const tag = varint(end);
      if (tag < 8 || tag > 0xffffffff) throw new NotCovered();
      if (tag === LINEAGE_TAG) {
        const length = varint(end);
        const limit = pos + length;
        if (limit > end) throw new NotCovered();
        calls.push(call(limit));
        continue;
      }
      skip(tag & 7, end);
      others.push(buf.subarray(fieldStart, pos));
    }
    const graph = fromBinary(CallGraphSchema, others.length === 1 ? (others[0] ?? new Uint8Array()) : Buffer.concat(others));
    if (graph.lineage.length > 0) throw new NotCovered();
    return { ...sourceFromCallGraph(graph), calls };
  } catch {
    // NotCovered, or protobuf-es refusing the other fields: the generic way says what it says of the whole.
    return undefined;
  }

  /** Steps over one field's value (groups are not covered). */
  function skip(wireType: number, limit: number): void {
    switch (wireType) {
      case 0:
        varint(limit);
        return;
      case 1:
        pos += 8;
        break;
      case 2: {
        const length = varint(limit);
        pos += length;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new NotCovered();
    }
    if (pos > limit) throw new NotCovered();
  }
}
