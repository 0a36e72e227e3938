// @tier unit
/**
 * The checkpoint graph without the page: what is drawn (clients/console/src/state/graph-model.ts),
 * how each node is painted, and the view box moved by Fit and zoom (state/view-box.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CheckpointCallSchema, CheckpointCallStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { graphModel, nodePaint, type PlanMarks } from "../../clients/console/src/state/graph-model.ts";
import { centredBox, fitBox, movedBox, zoomBox } from "../../clients/console/src/state/view-box.ts";

const call = (init: MessageInitShape<typeof CheckpointCallSchema>) =>
  create(CheckpointCallSchema, { status: CheckpointCallStatus.COMPLETED, attempts: 1, ...init });
const pipeline = [
  call({ invocationId: "research", name: "research", sequence: 1n }),
  call({ invocationId: "write_draft", name: "write_draft", sequence: 2n, dataDependencies: ["research"] }),
  call({ invocationId: "publish", name: "publish", sequence: 3n, dataDependencies: ["write_draft"], loadDependencies: ["research", "write_draft"] }),
];
const noMarks: PlanMarks | undefined = undefined;

describe("the console's checkpoint graph, without the page", () => {
  it("draws one node per call and data edges over load edges between the same calls", () => {
    const model = graphModel(pipeline, new Set());
    assert.deepEqual(
      model.nodes.map((n) => n.id),
      ["research", "write_draft", "publish"],
    );
    assert.deepEqual(
      model.edges.map((e) => `${e.from}>${e.to}:${e.kind}`),
      ["research>write_draft:data", "write_draft>publish:data", "research>publish:load"],
    );
  });

  it("groups the calls of a name called more than 8 times until the group is expanded", () => {
    const many = Array.from({ length: 9 }, (_, i) => call({ invocationId: `fetch:${i}`, name: "fetch", sequence: BigInt(i) }));
    const grouped = graphModel(many, new Set());
    assert.deepEqual(
      grouped.nodes.map((n) => [n.id, n.label, n.calls.length]),
      [["group:fetch", "fetch ×9", 9]],
    );
    const expanded = graphModel(many, new Set(["fetch"]));
    assert.equal(expanded.nodes.length, 9);
    assert.notEqual(expanded.shapeKey, grouped.shapeKey, "the layout is redone");
    const again = graphModel(
      many.map((c) => ({ ...c, status: CheckpointCallStatus.RUNNING })),
      new Set(),
    );
    assert.equal(again.shapeKey, grouped.shapeKey, "a status change keeps the layout");
  });

  it("paints a node's status, selection, plan words and markers, an override by its key", () => {
    const [research, draft] = graphModel(
      [call({ invocationId: "research", name: "research", reusedFromCallId: "c-0", overridden: true, status: CheckpointCallStatus.REUSED }), pipeline[1]!],
      new Set(),
    ).nodes;
    const marks: PlanMarks = {
      from: "write_draft",
      roots: new Set(["write_draft"]),
      reexecute: new Set(["write_draft"]),
      reuse: new Set(["research"]),
      overrideTargets: new Map([["research", "checkpoint.research"]]),
      consumers: new Set(["write_draft"]),
    };
    const reused = nodePaint(research!, marks, "research");
    assert.equal(reused.status, "reused");
    assert.deepEqual(reused.plan, ["reused", "override"]);
    assert.equal(reused.classes, "node status-reused selected plan-reused plan-override marker-reused marker-overridden");
    assert.equal(reused.marks, "↺ reused · ✎ overridden · reused · ◆ checkpoint.research");
    assert.equal(reused.subtitle, "reused", "a reused call took no time");
    assert.deepEqual(nodePaint(draft!, marks, "research").plan, ["from", "root", "re-executed", "consumer"]);
    assert.deepEqual(nodePaint(draft!, noMarks, undefined).plan, []);
  });

  it("paints a group by its most urgent status and its counts", () => {
    const calls = Array.from({ length: 10 }, (_, i) =>
      call({ invocationId: `f:${i}`, name: "f", status: i === 4 ? CheckpointCallStatus.FAILED : CheckpointCallStatus.COMPLETED }),
    );
    const [group] = graphModel(calls, new Set()).nodes;
    const paint = nodePaint(group!, noMarks, undefined);
    assert.equal(paint.status, "failed");
    assert.equal(paint.subtitle, "9 completed · 1 failed");
    assert.match(paint.classes, /^node status-failed group$/);
  });

  it("fits the whole graph, never larger than life, and zooms around a point within bounds", () => {
    const extent = { x: 0, y: 0, w: 400, h: 100 };
    assert.deepEqual(fitBox(extent, { width: 1000, height: 500 }), { x: -300, y: -200, w: 1000, h: 500 }, "small: centred at full size");
    assert.deepEqual(fitBox({ x: 0, y: 0, w: 3000, h: 100 }, { width: 1000, height: 500 }), { x: -10, y: -200, w: 3020, h: 500 });
    assert.deepEqual(fitBox(extent, { width: 0, height: 0 }), { x: -200, y: -150, w: 800, h: 400 }, "a canvas not laid out yet: 800×400");
    const box = { x: 0, y: 0, w: 1000, h: 500 };
    assert.deepEqual(zoomBox(box, extent, 0.5, 0, 0), { x: 0, y: 0, w: 500, h: 250 }, "in, around the top-left corner");
    assert.deepEqual(zoomBox(box, extent, 0.5), { x: 250, y: 125, w: 500, h: 250 }, "in, around the centre");
    assert.equal(zoomBox(box, extent, 0.01).w, 100, "no closer than 100 wide");
    assert.equal(zoomBox(box, extent, 100).w, 2000, "no farther than 4× the graph plus 400");
    assert.deepEqual(centredBox({ x: 50, y: 60 }, { width: 200, height: 100 }), { x: -50, y: 10, w: 200, h: 100 });
    assert.deepEqual(movedBox(box, 5, -5), { x: 5, y: -5, w: 1000, h: 500 });
  });
});
