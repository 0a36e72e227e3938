/**
 * A replay plan's calls and overrides have one shape, the contract's
 * (proto/ts/src/replay-plan.ts): what the planner's core makes, the client
 * reads back from the PlanReplay answer, field for field.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { PlannedCall } from "#contract/replay-plan.ts";
import { PlanReplayResponseSchema } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { replayPlanFromProto } from "../../clients/ts/src/convert/replay-plan.ts";
import type { ReplayPlan } from "../../services/planner/src/core/index.ts";
import { planToProto } from "../../services/planner/src/server/convert.ts";

const planned = (k: number, overrides: Partial<PlannedCall> = {}): PlannedCall => ({
  invocationId: k === 1 ? "step" : `step_${k}`,
  callId: `call-${k}`,
  name: "step",
  sequence: k,
  ...overrides,
});

describe("replay plan shapes", () => {
  it("the client reads back the plan the planner made", () => {
    const plan: ReplayPlan = {
      sourceExecId: "kr-source",
      flowName: "flow",
      from: "step_3",
      fromCall: planned(3),
      roots: [planned(3), planned(5, { name: "é😀" })],
      reexecute: [planned(3), planned(4, { callId: "x".repeat(200) }), planned(5, { name: "é😀" })],
      reuse: [planned(1, { invocationId: "€".repeat(50) }), planned(2, { sequence: 2 ** 32 + 1 })],
      overrides: [
        { key: "checkpoint.step_2", selector: "step_2", target: planned(2), value: { a: [1, "two", null, true] }, consumerInvocationIds: ["step_3", "step_5"] },
        { key: "k", selector: "s", target: planned(1), value: null, consumerInvocationIds: [] },
      ],
      input: { nested: { deep: [1, 2, { x: "y" }] }, s: "é" },
      sourceVersion: 12,
      answerWaitsFromSource: ["approve", "é😀"],
    };
    const versions = { sourceFlowVersion: "v1", flowVersion: "v2-é" };
    const bytes = toBinary(PlanReplayResponseSchema, create(PlanReplayResponseSchema, { plan: planToProto(plan, versions) }));
    const read = replayPlanFromProto(fromBinary(PlanReplayResponseSchema, bytes).plan ?? create(ReplayPlanSchema));
    // The client's plan has no source version (the runner checks it when the replay starts), and the flow versions the planner adds.
    const { sourceVersion: _, ...shown } = plan;
    assert.deepEqual(read, { ...shown, ...versions });
  });
});
