/**
 * GetCallGraphResponse written from the runner's lineage records: no
 * `CallLineage` message per call and no generic walk of thousands of them.
 *
 * The graph's other fields go through protobuf-es; `lineage` is the graph's
 * last field, so its elements follow them, each written field by field with
 * protobuf-es's `BinaryWriter`. The bytes are exactly `toBinary`'s for the
 * same message (test/contract/wire-codecs.test.ts compares them). A record
 * this encoder does not cover (a value protobuf-es would convert or refuse)
 * makes it answer undefined, and the caller sends the message the generic way.
 *
 * @module
 */
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { CallGraphSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { GetCallGraphResponseSchema } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import type { RecordedCall } from "../recorded-call.ts";
import { callStatusToProto } from "../status.ts";
import { EncodedMessage } from "./encoded-message.ts";
import { writeString, writeUint64 } from "./scalars.ts";

/** A `CallGraph`'s fields other than `lineage`. */
export type CallGraphHead = Omit<MessageInitShape<typeof CallGraphSchema>, "lineage" | "$typeName">;

/**
 * The response encoded, or undefined when a record holds a value only the
 * generic way handles. A string or list a record lacks is written as its
 * proto3 default, as the runner's generic conversion (`lineageToProto`) sets it.
 */
export function encodeCallGraphResponse(head: CallGraphHead, calls: readonly RecordedCall[]): EncodedMessage<typeof GetCallGraphResponseSchema> | undefined {
  const writer = new BinaryWriter();
  writer.tag(GetCallGraphResponseSchema.field.graph.number, WireType.LengthDelimited).fork();
  writer.raw(toBinary(CallGraphSchema, create(CallGraphSchema, head)));
  const lineage = CallGraphSchema.field.lineage.number;
  for (const call of calls) {
    writer.tag(lineage, WireType.LengthDelimited).fork();
    if (!writeLineage(writer, call)) return undefined;
    writer.join();
  }
  return new EncodedMessage(GetCallGraphResponseSchema, writer.join().finish());
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
