// @tier unit
/** The replay composer without the page (clients/console/src/state/replay-draft.ts): its request, its plan marks, which answer counts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { planMarks, ReplayDraft, replayRequest } from "../../clients/console/src/state/replay-draft.ts";

describe("the console's replay composer, without the page", () => {
  it("makes the request from the fields: input as an object, overrides by key, keyless rows left out", () => {
    assert.deepEqual(
      replayRequest({
        from: " write_draft ",
        input: '{"topic":"New topic"}',
        overrides: [
          { key: " checkpoint.research ", value: '"Edited notes"' },
          { key: "", value: "not even JSON" },
        ],
      }),
      { from: "write_draft", args: { topic: "New topic" }, overrides: { "checkpoint.research": "Edited notes" } },
    );
    assert.deepEqual(replayRequest({ from: "a", input: "  ", overrides: [] }), { from: "a", args: {}, overrides: {} }, "an empty input is {}");
  });

  it("names the field that is not JSON, or not an object", () => {
    assert.equal(replayRequest({ from: "a", input: "{", overrides: [] }), "input: not valid JSON");
    assert.equal(replayRequest({ from: "a", input: "[1]", overrides: [] }), "input: must be a JSON object");
    assert.equal(replayRequest({ from: "a", input: "null", overrides: [] }), "input: must be a JSON object");
    assert.equal(replayRequest({ from: "a", input: "{}", overrides: [{ key: "checkpoint.x", value: "nope" }] }), "checkpoint.x: the value is not valid JSON");
  });

  it("draws a plan's from, roots, re-executed and reused calls, override targets and their readers", () => {
    const plan = create(ReplayPlanSchema, {
      from: "write_draft",
      fromCall: { invocationId: "write_draft" },
      roots: [{ invocationId: "write_draft" }],
      reexecute: [{ invocationId: "write_draft" }, { invocationId: "publish" }],
      reuse: [{ invocationId: "research" }],
      overrides: [{ key: "checkpoint.research", target: { invocationId: "research" }, consumerInvocationIds: ["write_draft"] }],
    });
    const marks = planMarks(plan);
    assert.equal(marks.from, "write_draft");
    assert.deepEqual([[...marks.roots], [...marks.reexecute], [...marks.reuse]], [["write_draft"], ["write_draft", "publish"], ["research"]]);
    assert.deepEqual([...marks.overrideTargets], [["research", "checkpoint.research"]]);
    assert.deepEqual([...marks.consumers], ["write_draft"]);
    assert.equal(planMarks(create(ReplayPlanSchema, { from: "name-only" })).from, "name-only", "no resolved call: the selector as given");
  });

  it("drops a plan answer overtaken by a newer one, and offers Replay only for the current fields' plan", () => {
    let ids = 0;
    const draft = new ReplayDraft(() => `req-${++ids}`);
    assert.equal(draft.requestId, "req-1");
    const first = draft.planning();
    const second = draft.planning();
    assert.equal(draft.answered(first, true), false, "the older answer is dropped");
    assert.equal(draft.canReplay, false);
    assert.equal(draft.answered(second, true), true);
    assert.equal(draft.canReplay, true);
    assert.equal(draft.requestId, "req-1", "the same composed replay: the same request ID on every click");
    draft.changed();
    assert.deepEqual([draft.canReplay, draft.requestId], [false, "req-2"], "a change: plan again, a new replay");
    const failing = draft.planning();
    assert.equal(draft.answered(failing, false), true);
    assert.equal(draft.canReplay, false, "a failed plan offers no replay");
  });
});
