/**
 * GetCallGraphResponse written from the runner's lineage records: no
 * `CallLineage` message per call and no generic walk of thousands of them.
 *
 * The graph's other fields go through protobuf-es; `lineage` is the graph's
 * last field, so its elements follow them, each written field by field with
 * protobuf-es's `BinaryWriter`; the response's flow versions follow the graph. The bytes are exactly `toBinary`'s for the
 * same message (test/contract/call-graph-wire.test.ts compares them). A
 * record this encoder does not cover (a value protobuf-es would convert or
 * refuse) makes it answer undefined, and the caller sends the message the
 * generic way.
 *
 * Why it exists (CONTRIBUTING.md, "When a hand-written path may stay"):
 * PlanReplay as deployed (`bench/plan-replay-deployed.ts --trees`, runner +
 * planner CPU per plan, this encoder against `toBinary` of the message, two
 * runs, load 13-18 on 2 cores): 10 000 calls +5 % and +58 % CPU without it,
 * 100 000 calls +16 % and +4 %; the encoding alone (CPU, one process) 4.1
 * against 7.0 ms for 10 000 calls, 37 against 86 ms for 100 000, of a
 * PlanReplay's ~55 and ~680 ms. Its first version wrote the bytes with a
 * buffer, varints and UTF-8 of its own: 2.8 and 29 ms alone, but PlanReplay
 * with all three such hand loops used 99-179 % of the CPU it uses with
 * protobuf-es's writer and reader (four runs), so it was dropped.
 *
 * {@link encodeLineageEntry} writes one call's element for the embedded store
 * to keep, so that GetCallGraph sends stored bytes without reading records:
 * PlanReplay as deployed (`--trees`, A/B in one run, load 1.4-2.7) 10 000
 * calls 38.6 against 48.5 ms and 42-45 against 53-56 ms in three runs of
 * four (runner + planner CPU 28-39 against 43-51 ms; the fourth, at load
 * 3.2: 52.7 against 49.4 ms), 100 000 calls 374 against 538 ms.
 *
 * @module
 */
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { CallGraphSchema, CallLineageSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { GetCallGraphResponseSchema } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import type { RecordedCall } from "../recorded-call.ts";
import { callStatusToProto } from "../status.ts";
import { EncodedMessage } from "./encoded-message.ts";

/** A `CallGraph`'s fields other than `lineage`. */
export type CallGraphHead = Omit<MessageInitShape<typeof CallGraphSchema>, "lineage" | "$typeName">;

/** The response's fields after the graph: the source's flow version and the runner's. */
export interface CallGraphVersions {
  readonly sourceFlowVersion: string;
  readonly flowVersion: string;
}

/**
 * `CallGraph.lineage` already encoded: the elements {@link encodeLineageEntry}
 * wrote, one after the other, in issue order (the runner's embedded store
 * keeps each call's entry and reads them back as one run of bytes).
 */
export interface EncodedLineage {
  readonly lineageBytes: Uint8Array;
}

/**
 * The response encoded, or undefined when a record holds a value only the
 * generic way handles. A string or list a record lacks is written as its
 * proto3 default, as the runner's generic conversion (`lineageToProto`) sets it.
 */
export function encodeCallGraphResponse(
  head: CallGraphHead,
  calls: readonly RecordedCall[] | EncodedLineage,
  versions: CallGraphVersions = { sourceFlowVersion: "", flowVersion: "" },
): EncodedMessage<typeof GetCallGraphResponseSchema> | undefined {
  const writer = new BinaryWriter();
  writer.tag(GetCallGraphResponseSchema.field.graph.number, WireType.LengthDelimited).fork();
  writer.raw(toBinary(CallGraphSchema, create(CallGraphSchema, head)));
  if (isEncodedLineage(calls)) writer.raw(calls.lineageBytes);
  else for (const call of calls) if (!writeLineageEntry(writer, call)) return undefined;
  writer.join();
  // The response's fields after the graph (2, 3), in number order as toBinary writes them.
  if (!writeString(writer, GetCallGraphResponseSchema.field.sourceFlowVersion.number, versions.sourceFlowVersion)) return undefined;
  if (!writeString(writer, GetCallGraphResponseSchema.field.flowVersion.number, versions.flowVersion)) return undefined;
  return new EncodedMessage(GetCallGraphResponseSchema, writer.finish());
}

/** True for calls already encoded (not records). */
export function isEncodedLineage(calls: readonly RecordedCall[] | EncodedLineage): calls is EncodedLineage {
  return !Array.isArray(calls);
}

/**
 * One element of `CallGraph.lineage` (its field tag, length and message) for
 * `call`, or undefined for a value not covered. A graph's lineage is these
 * bytes of its calls, concatenated in issue order.
 */
export function encodeLineageEntry(call: RecordedCall): Uint8Array | undefined {
  // One writer for every entry: its buffer, grown once, is reused (finish() copies the bytes out and rewinds).
  const written = writeLineageEntry(entryWriter, call);
  const bytes = entryWriter.finish();
  return written ? bytes : undefined;
}

const entryWriter = new BinaryWriter();

/**
 * The form of the entries {@link encodeLineageEntry} writes: a digest of
 * `CallLineage`'s fields (number, name, kind). A store that keeps entries
 * keeps this beside each and serves only entries of the current form, so a
 * field added to the message retires the entries written before it, with no
 * migration (their calls are read the other way).
 */
export const LINEAGE_ENTRY_FORM: number = fnv1a(
  CallLineageSchema.fields.map((field) => `${field.number}:${field.name}:${field.fieldKind}:${field.fieldKind === "scalar" ? field.scalar : ""}`).join(","),
);

/** FNV-1a, 32 bits, as a non-negative integer. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function writeLineageEntry(writer: BinaryWriter, call: RecordedCall): boolean {
  writer.tag(CallGraphSchema.field.lineage.number, WireType.LengthDelimited).fork();
  if (!writeLineage(writer, call)) return false;
  writer.join();
  return true;
}

/** One `CallLineage`'s fields in number order, proto3 defaults left out; false for a value not covered. */
function writeLineage(writer: BinaryWriter, call: RecordedCall): boolean {
  if (!writeString(writer, 1, call.invocationId) || !writeString(writer, 2, call.callId) || !writeString(writer, 3, call.name)) return false;
  const status = callStatusToProto(call.status);
  if (!Number.isInteger(status)) return false;
  if (status !== 0) writer.tag(4, WireType.Varint).int32(status);
  return (
    writeUint64(writer, 5, call.sequence) &&
    strings(writer, 6, call.dataDependencies) &&
    strings(writer, 7, call.loadDependencies) &&
    strings(writer, 8, call.outputNames)
  );
}

/** A `string` field (undefined reads as ""); false for a value that is no string. */
function writeString(writer: BinaryWriter, fieldNo: number, value: string | undefined): boolean {
  if (value === undefined || value === "") return true;
  if (typeof value !== "string") return false;
  writer.tag(fieldNo, WireType.LengthDelimited).string(value);
  return true;
}

/**
 * A `uint64` field held as a number; false for one that is no safe
 * non-negative integer. Below 2^32 its varint is a uint32's, written without
 * the 64-bit conversion `uint64()` makes of every value.
 */
function writeUint64(writer: BinaryWriter, fieldNo: number, value: number): boolean {
  if (!(Number.isSafeInteger(value) && value >= 0)) return false;
  if (value === 0) return true;
  writer.tag(fieldNo, WireType.Varint);
  if (value <= 0xffffffff) writer.uint32(value);
  else writer.uint64(value);
  return true;
}

/** A repeated string field: every element, empty ones too. */
function strings(writer: BinaryWriter, fieldNo: number, values: readonly string[] | undefined): boolean {
  if (values === undefined) return true;
  if (!Array.isArray(values)) return false;
  for (const value of values) {
    if (typeof value !== "string") return false;
    writer.tag(fieldNo, WireType.LengthDelimited).string(value);
  }
  return true;
}
