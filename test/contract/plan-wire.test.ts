/**
 * The PlanReplay response written from the core's plan
 * (#contract/wire/plan-encoder.ts) is byte for byte what protobuf-es writes
 * for `{ plan: planToProto(plan) }`, and the client reads the plan back from
 * it; plans it does not cover are left to protobuf-es.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { PlanReplayResponseSchema } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { PlannedCallSchema, ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { encodePlanReplayResponse } from "#contract/wire/plan-encoder.ts";
import { replayPlanFromProto } from "../../clients/ts/src/convert/replay-plan.ts";
import type { PlannedCall, ReplayPlan } from "../../services/planner/src/core/index.ts";
import { planHeadToProto, planToProto } from "../../services/planner/src/server/convert.ts";

const planned = (k: number, overrides: Partial<PlannedCall> = {}): PlannedCall => ({
  invocationId: k === 1 ? "step" : `step_${k}`,
  callId: `call-${k}`,
  name: "step",
  sequence: k,
  ...overrides,
});

function plan(overrides: Partial<ReplayPlan> = {}): ReplayPlan {
  return {
    sourceExecId: "kr-source",
    flowName: "flow",
    from: "step_3",
    fromCall: planned(3),
    roots: [planned(3)],
    reexecute: [planned(3)],
    reuse: [planned(1), planned(2)],
    overrides: [],
    input: { calls: 3 },
    sourceVersion: 12,
    ...overrides,
  };
}

const encode = (p: ReplayPlan) => encodePlanReplayResponse(planHeadToProto(p), p.reexecute, p.reuse);

function assertSameBytes(p: ReplayPlan): void {
  const encoded = encode(p);
  assert.ok(encoded, "the encoder covers this plan");
  assert.equal(encoded.schema, PlanReplayResponseSchema);
  const expected = toBinary(PlanReplayResponseSchema, create(PlanReplayResponseSchema, { plan: planToProto(p) }));
  assert.deepEqual(Buffer.from(encoded.bytes), Buffer.from(expected));
  assert.deepEqual(fromBinary(PlanReplayResponseSchema, encoded.bytes), fromBinary(PlanReplayResponseSchema, expected));
}

describe("PlanReplay response encoded from the plan", () => {
  it("knows every field of the messages it writes by hand (a field added to the contract must be added to the encoder)", () => {
    assert.deepEqual(
      PlannedCallSchema.fields.map((f) => `${f.number} ${f.name}`),
      ["1 invocation_id", "2 call_id", "3 name", "4 sequence"],
    );
    // The plan's other fields are written by protobuf-es around the two lists, each copied as a plain field.
    assert.deepEqual([ReplayPlanSchema.field.reexecute.number, ReplayPlanSchema.field.reuse.number], [6, 7]);
    assert.deepEqual(
      ReplayPlanSchema.members.filter((m) => m.kind === "oneof"),
      [],
    );
    assert.deepEqual(
      PlanReplayResponseSchema.fields.map((f) => `${f.number} ${f.name}`),
      ["1 plan"],
    );
  });

  it("is protobuf-es's bytes for a plan of 10 000 calls (9 999 reused, 1 re-executed)", () => {
    const n = 10_000;
    assertSameBytes(
      plan({
        from: `step_${n}`,
        fromCall: planned(n),
        roots: [planned(n)],
        reexecute: [planned(n)],
        reuse: Array.from({ length: n - 1 }, (_, i) => planned(i + 1)),
      }),
    );
  });

  it("is protobuf-es's bytes for empty lists, empty strings, no version, zero and large sequences", () => {
    assertSameBytes(plan({ reexecute: [], reuse: [], roots: [], sourceVersion: undefined, input: {} }));
    assertSameBytes(
      plan({ sourceExecId: "", flowName: "", from: "", fromCall: planned(0, { invocationId: "", callId: "", name: "", sequence: 0 }), sourceVersion: 0 }),
    );
    assertSameBytes(
      plan({
        reuse: [
          planned(1, { sequence: 0 }),
          planned(2, { sequence: 127 }),
          planned(3, { sequence: 128 }),
          planned(4, { sequence: 2 ** 32 }),
          planned(5, { sequence: Number.MAX_SAFE_INTEGER }),
        ],
        sourceVersion: 2 ** 45,
      }),
    );
  });

  it("is protobuf-es's bytes with overrides, several roots, non-ASCII and long strings", () => {
    assertSameBytes(
      plan({
        roots: [planned(3), planned(5, { name: "é😀" })],
        reexecute: [planned(3), planned(4, { callId: "x".repeat(200) }), planned(5, { name: "é😀" })],
        reuse: [planned(1, { invocationId: "€".repeat(50) }), planned(2, { invocationId: "a\uD800b" })],
        overrides: [
          {
            key: "checkpoint.step_2",
            selector: "step_2",
            target: planned(2),
            value: { a: [1, "two", null, true] },
            consumerInvocationIds: ["step_3", "step_5"],
          },
          { key: "checkpoint.step_4", selector: "step_4", target: planned(4), value: "text", consumerInvocationIds: [] },
          { key: "k", selector: "s", target: planned(1), value: null, consumerInvocationIds: [""] },
        ],
        input: { nested: { deep: [1, 2, { x: "y" }] }, s: "é" },
      }),
    );
  });

  it("leaves plans it does not cover to protobuf-es", () => {
    for (const bad of [
      planned(1, { sequence: -1 }),
      planned(1, { sequence: 1.5 }),
      planned(1, { sequence: 2 ** 53 }),
      planned(1, { name: 5 as unknown as string }),
    ]) {
      assert.equal(encode(plan({ reuse: [planned(2), bad] })), undefined, JSON.stringify(bad));
      assert.equal(encode(plan({ reexecute: [bad] })), undefined, JSON.stringify(bad));
    }
  });

  it("round trip: the client reads the plan back as the planner made it", () => {
    const p = plan({
      reuse: [planned(1, { invocationId: "é😀" }), planned(2, { sequence: 2 ** 32 + 1 })],
      overrides: [{ key: "checkpoint.step_2", selector: "step_2", target: planned(2), value: { a: [1, null] }, consumerInvocationIds: ["step_3"] }],
    });
    const encoded = encode(p);
    assert.ok(encoded);
    const read = replayPlanFromProto(fromBinary(PlanReplayResponseSchema, encoded.bytes).plan ?? create(ReplayPlanSchema));
    const { sourceVersion: _, ...rest } = p;
    assert.deepEqual(read, rest);
  });
});
