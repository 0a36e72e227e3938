/**
 * PlanReplayResponse written from the planner's plan: no `PlannedCall`
 * message per reused or re-executed call and no generic walk of thousands
 * of them.
 *
 * A `ReplayPlan`'s fields in number order: the ones before `reexecute` and
 * the ones after `reuse` through protobuf-es, and between them the two lists,
 * each call written field by field with protobuf-es's `BinaryWriter`. The
 * bytes are exactly `toBinary`'s for the same message
 * (test/contract/wire-codecs.test.ts compares them); a call this encoder does
 * not cover makes it answer undefined, and the caller sends the message the
 * generic way.
 *
 * @module
 */
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { PlanReplayResponseSchema } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { PlannedCall } from "../replay-plan.ts";
import { EncodedMessage } from "./encoded-message.ts";
import { writeString, writeUint64 } from "./scalars.ts";

/** A `ReplayPlan`'s fields other than its two call lists. */
export type ReplayPlanHead = Omit<MessageInitShape<typeof ReplayPlanSchema>, "reexecute" | "reuse" | "$typeName">;

const REEXECUTE = ReplayPlanSchema.field.reexecute.number;
const REUSE = ReplayPlanSchema.field.reuse.number;

/** The response encoded, or undefined when a call holds a value only the generic way handles. */
export function encodePlanReplayResponse(
  head: ReplayPlanHead,
  reexecute: readonly PlannedCall[],
  reuse: readonly PlannedCall[],
): EncodedMessage<typeof PlanReplayResponseSchema> | undefined {
  const whole = create(ReplayPlanSchema, head);
  const before = create(ReplayPlanSchema);
  const after = create(ReplayPlanSchema);
  for (const field of ReplayPlanSchema.fields) {
    if (field.number === REEXECUTE || field.number === REUSE) continue;
    const part = field.number < REEXECUTE ? before : after;
    (part as Record<string, unknown>)[field.localName] = (whole as Record<string, unknown>)[field.localName];
  }
  const writer = new BinaryWriter();
  writer.tag(PlanReplayResponseSchema.field.plan.number, WireType.LengthDelimited).fork();
  writer.raw(toBinary(ReplayPlanSchema, before));
  if (!plannedCalls(writer, REEXECUTE, reexecute) || !plannedCalls(writer, REUSE, reuse)) return undefined;
  writer.raw(toBinary(ReplayPlanSchema, after));
  return new EncodedMessage(PlanReplayResponseSchema, writer.join().finish());
}

/** A repeated `PlannedCall` field; false for a call not covered. */
function plannedCalls(writer: BinaryWriter, fieldNo: number, calls: readonly PlannedCall[]): boolean {
  for (const call of calls) {
    writer.tag(fieldNo, WireType.LengthDelimited).fork();
    if (
      !(
        writeString(writer, 1, call.invocationId) &&
        writeString(writer, 2, call.callId) &&
        writeString(writer, 3, call.name) &&
        writeUint64(writer, 4, call.sequence)
      )
    )
      return false;
    writer.join();
  }
  return true;
}
