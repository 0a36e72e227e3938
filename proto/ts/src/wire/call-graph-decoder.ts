/**
 * A call graph read from its wire bytes straight into the caller's records:
 * no `CallLineage` message per call in between.
 *
 * The planner asks GetCallGraph for {@link GetCallGraphResponseBytes} (the
 * response with its graph left encoded: same path, same wire form), then
 * reads each `lineage` element field by field with protobuf-es's
 * `BinaryReader` and the graph's other fields (a few, small) through
 * `fromBinary`. Whatever this reader does not cover (a known field with
 * another wire type than its own, truncated bytes, ill-formed UTF-8) makes
 * it answer undefined, and the caller decodes the whole graph the generic
 * way, so the result (or the error) is protobuf-es's
 * (test/contract/call-graph-wire.test.ts compares both).
 *
 * Why it exists (CONTRIBUTING.md, "When a hand-written path may stay"):
 * PlanReplay as deployed (`bench/plan-replay-deployed.ts --trees`, runner +
 * planner CPU per plan, this reader against `fromBinary` of the graph, two
 * runs, load 13-18 on 2 cores): 10 000 calls +44 % and +22 % CPU without it,
 * 100 000 calls +27 % and +30 %; the reading alone (CPU, one process) 12.7
 * against 20.7 ms for 10 000 calls, 113 against 272 ms for 100 000. Its first
 * version read varints and UTF-8 itself and kept the strings it had read in
 * a table (a name read again is not allocated again): 5.4 and 114 ms alone,
 * but PlanReplay with it used 137 % (10 000 calls) and 101 % (100 000) of
 * the CPU it uses with this one (one run, nothing else swapped), so it was
 * dropped.
 *
 * @module
 */
import { fromBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { RecordedCall } from "../recorded-call.ts";
import type { CheckpointCallStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type CallGraph, CallGraphSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import {
  type GetCallGraphRequestSchema,
  type GetCallGraphResponseBytes,
  GetCallGraphResponseBytesSchema,
  RunnerInternalService,
} from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";

/** RunnerInternalService.GetCallGraph with its response read as {@link GetCallGraphResponseBytes}: same path, same request. */
export const GET_CALL_GRAPH_BYTES: DescMethodUnary<typeof GetCallGraphRequestSchema, typeof GetCallGraphResponseBytesSchema> = {
  ...RunnerInternalService.method.getCallGraph,
  output: GetCallGraphResponseBytesSchema,
};

/** The encoded graph of a response read through {@link GET_CALL_GRAPH_BYTES} (its parts joined); undefined when it has none. */
export function callGraphBytes(response: GetCallGraphResponseBytes): Uint8Array | undefined {
  const parts = response.graph;
  return parts.length <= 1 ? parts[0] : joined(parts);
}

/** A call graph read by {@link decodeCallGraph}: its other fields as a message (`lineage` empty), its calls as records. */
export interface DecodedCallGraph<Status> {
  readonly graph: CallGraph;
  readonly calls: RecordedCall<Status>[];
}

/** Thrown inside the reader for bytes it does not cover: the generic way decides. */
class NotCovered extends Error {}

const LINEAGE_TAG = (CallGraphSchema.field.lineage.number << 3) | WireType.LengthDelimited;
/** The lists of a call that has none (readers only read them). */
const NONE: readonly string[] = Object.freeze([]);

/**
 * The graph in `bytes` (an encoded `CallGraph`), its calls' statuses mapped
 * by `statusOf`; undefined for bytes this reader does not cover.
 */
export function decodeCallGraph<Status>(bytes: Uint8Array, statusOf: (status: CheckpointCallStatus) => Status): DecodedCallGraph<Status> | undefined {
  try {
    const reader = new BinaryReader(bytes);
    const calls: RecordedCall<Status>[] = [];
    // The graph's other fields, as they came, for protobuf-es.
    const others: Uint8Array[] = [];
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = readTag(reader);
      if (tag === LINEAGE_TAG) {
        calls.push(readLineage(reader, statusOf));
        continue;
      }
      skip(reader, tag);
      others.push(bytes.subarray(start, reader.pos));
    }
    const graph = fromBinary(CallGraphSchema, others.length === 1 ? (others[0] as Uint8Array) : joined(others));
    if (graph.lineage.length > 0) throw new NotCovered();
    return { graph, calls };
  } catch {
    // NotCovered, the reader's own errors, or protobuf-es refusing the other fields: the generic way says what it says of the whole.
    return undefined;
  }
}

/** One length-delimited `CallLineage` at the reader's position. */
function readLineage<Status>(reader: BinaryReader, statusOf: (status: CheckpointCallStatus) => Status): RecordedCall<Status> {
  const end = reader.uint32() + reader.pos;
  if (end > reader.len) throw new NotCovered();
  let invocationId = "";
  let callId = "";
  let name = "";
  let status = 0;
  let sequence = 0;
  let dataDependencies: string[] | undefined;
  let loadDependencies: string[] | undefined;
  let outputNames: string[] | undefined;
  while (reader.pos < end) {
    const tag = readTag(reader);
    switch (tag) {
      case (1 << 3) | WireType.LengthDelimited:
        invocationId = reader.string(true);
        break;
      case (2 << 3) | WireType.LengthDelimited:
        callId = reader.string(true);
        break;
      case (3 << 3) | WireType.LengthDelimited:
        name = reader.string(true);
        break;
      case (4 << 3) | WireType.Varint:
        status = reader.int32();
        break;
      case (5 << 3) | WireType.Varint:
        sequence = Number(reader.uint64());
        break;
      case (6 << 3) | WireType.LengthDelimited:
        dataDependencies = appended(dataDependencies, reader.string(true));
        break;
      case (7 << 3) | WireType.LengthDelimited:
        loadDependencies = appended(loadDependencies, reader.string(true));
        break;
      case (8 << 3) | WireType.LengthDelimited:
        outputNames = appended(outputNames, reader.string(true));
        break;
      default:
        // A field of a newer contract is skipped, as protobuf-es keeps it aside; a known one in another wire type is not covered.
        if (tag >>> 3 <= 8) throw new NotCovered();
        skip(reader, tag);
    }
  }
  if (reader.pos !== end) throw new NotCovered();
  return {
    invocationId,
    callId,
    name,
    sequence,
    dataDependencies: dataDependencies ?? NONE,
    loadDependencies: loadDependencies ?? NONE,
    outputNames: outputNames ?? NONE,
    status: statusOf(status),
  };
}

/** A field's tag; one of 5 bytes or more (field numbers from 2^25, or no uint32 at all) is not covered. */
function readTag(reader: BinaryReader): number {
  const start = reader.pos;
  const tag = reader.uint32();
  if (reader.pos - start > 4) throw new NotCovered();
  return tag;
}

/** Steps over one field's value; a tag protobuf-es would refuse is not covered. */
function skip(reader: BinaryReader, tag: number): void {
  const fieldNo = tag >>> 3;
  const wireType = tag & 7;
  if (fieldNo === 0 || wireType === WireType.StartGroup || wireType === WireType.EndGroup || wireType > WireType.Bit32) throw new NotCovered();
  reader.skip(wireType, fieldNo);
}

/** `list` with `value` added (a new list for the first value). */
function appended(list: string[] | undefined, value: string): string[] {
  if (list === undefined) return [value];
  list.push(value);
  return list;
}

/** The parts as one array. */
function joined(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
