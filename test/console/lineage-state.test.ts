// @tier unit
/** An execution's family and its diff without the page (clients/console/src/state/lineage.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CallComparisonKind, ExecutionLineageSchema, JsonChangeKind, JsonChangeSchema } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { changeText, COMPARISON_LABEL, countsText, firstComparison, type LineageTreeNode, lineageTree } from "../../clients/console/src/state/lineage.ts";

const lineage = (nodes: { execId: string; parentExecId?: string }[], truncated = false) => create(ExecutionLineageSchema, { nodes, truncated });
/** A tree as nested [execId, current, children]. */
const shape = (trees: readonly LineageTreeNode[]): unknown[] => trees.map((t) => [t.node.execId, t.current, shape(t.children)]);
const change = (init: MessageInitShape<typeof JsonChangeSchema>) => create(JsonChangeSchema, init);

describe("the console's lineage and diff, without the page", () => {
  it("draws the original with its replays below it, and replays of replays below those", () => {
    const family = lineage([
      { execId: "kr-0" },
      { execId: "kr-1", parentExecId: "kr-0" },
      { execId: "kr-2", parentExecId: "kr-1" },
      { execId: "kr-3", parentExecId: "kr-0" },
    ]);
    assert.deepEqual(shape(lineageTree(family, "kr-1")), [
      [
        "kr-0",
        false,
        [
          ["kr-1", true, [["kr-2", false, []]]],
          ["kr-3", false, []],
        ],
      ],
    ]);
  });

  it("roots a replay whose source is not in the (truncated) lineage", () => {
    assert.deepEqual(shape(lineageTree(lineage([{ execId: "kr-5", parentExecId: "kr-gone" }], true), "kr-5")), [["kr-5", true, []]]);
  });

  it("compares an execution with its source first, else with its latest replay, else with nothing", () => {
    const family = lineage([{ execId: "kr-0" }, { execId: "kr-1", parentExecId: "kr-0" }, { execId: "kr-2", parentExecId: "kr-0" }]);
    assert.deepEqual(firstComparison(family, "kr-1"), { base: "kr-0", other: "kr-1" });
    assert.deepEqual(firstComparison(family, "kr-0"), { base: "kr-0", other: "kr-2" });
    assert.equal(firstComparison(lineage([{ execId: "kr-9" }]), "kr-9"), undefined);
  });

  it("writes a JSON change on one line, and the counts that occur", () => {
    assert.equal(
      changeText(
        change({
          path: "title",
          kind: JsonChangeKind.CHANGED,
          before: { kind: { case: "stringValue", value: "Old" } },
          after: { kind: { case: "stringValue", value: "New" } },
        }),
      ),
      'title: "Old" → "New"',
    );
    assert.equal(changeText(change({ path: "tags[1]", kind: JsonChangeKind.ADDED, after: { kind: { case: "numberValue", value: 2 } } })), "tags[1]: + 2");
    assert.equal(changeText(change({ path: "", kind: JsonChangeKind.REMOVED, before: { kind: { case: "boolValue", value: true } } })), "− true");
    assert.equal(countsText({ reused: 2, same_output: 0, changed_output: 1 }), "2 reused · 1 changed output");
    assert.equal(COMPARISON_LABEL[CallComparisonKind.NOT_REACHED], "not reached");
  });
});
