/**
 * The PlanReplay response encoded directly from the core's plan: no
 * `PlannedCall` message per reused or re-executed call and no generic encoding
 * of thousands of them. The bytes are exactly protobuf-es's for
 * `{ plan: planToProto(plan) }` (test/planner/plan-wire.test.ts compares
 * them); a planned call with a value this encoder does not cover makes it
 * answer undefined, and the handler sends the message the generic way.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { PlanReplayResponseSchema } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { EncodedMessage, WireType, WireWriter } from "../../../transport/src/index.ts";
import type { PlannedCall, ReplayPlan } from "../core/index.ts";
import { planHeadToProto, type PlanFlowVersions } from "./convert.ts";

/** Bytes to start with for a list: every call as large as its last one (ASCII assumed; the buffer grows if that is short). */
function estimatedBytes(calls: readonly PlannedCall[]): number {
  const last = calls[calls.length - 1];
  return last === undefined ? 0 : calls.length * (16 + last.invocationId.length + last.callId.length + last.name.length);
}

/**
 * The response encoded, or undefined. A `ReplayPlan`'s fields in number order:
 * 1–5 (source, flow, from, from_call, roots) and 8–12 (overrides, input,
 * source_version, the flow versions) as protobuf-es writes them, and between
 * them 6 (`reexecute`) and 7 (`reuse`) written here.
 */
export function encodePlanReplayResponse(plan: ReplayPlan, versions?: PlanFlowVersions): EncodedMessage<typeof PlanReplayResponseSchema> | undefined {
  const { overrides, input, sourceVersion, sourceFlowVersion, flowVersion, ...first } = planHeadToProto(plan, versions);
  const head = toBinary(ReplayPlanSchema, create(ReplayPlanSchema, first));
  const tail = toBinary(ReplayPlanSchema, create(ReplayPlanSchema, { overrides, input, sourceVersion, sourceFlowVersion, flowVersion }));
  const writer = new WireWriter(head.length + tail.length + estimatedBytes(plan.reexecute) + estimatedBytes(plan.reuse) + 16);
  writer.tag(1, WireType.lengthDelimited);
  const planAt = writer.fork();
  writer.raw(head);
  if (!plannedCalls(writer, 6, plan.reexecute) || !plannedCalls(writer, 7, plan.reuse)) return undefined;
  writer.raw(tail);
  writer.join(planAt);
  return new EncodedMessage(PlanReplayResponseSchema, writer.finish());
}

/** A repeated `PlannedCall` field, each call as `plannedCallToProto` sets it; false for a value not covered. */
function plannedCalls(writer: WireWriter, fieldNo: number, calls: readonly PlannedCall[]): boolean {
  for (const call of calls) {
    writer.tag(fieldNo, WireType.lengthDelimited);
    const at = writer.fork();
    const { invocationId, callId, name, sequence } = call;
    if (typeof invocationId !== "string" || typeof callId !== "string" || typeof name !== "string") return false;
    if (!(Number.isSafeInteger(sequence) && sequence >= 0)) return false;
    if (invocationId !== "") writer.tag(1, WireType.lengthDelimited).string(invocationId);
    if (callId !== "") writer.tag(2, WireType.lengthDelimited).string(callId);
    if (name !== "") writer.tag(3, WireType.lengthDelimited).string(name);
    if (sequence !== 0) writer.tag(4, WireType.varint).uint(sequence);
    writer.join(at);
  }
  return true;
}
