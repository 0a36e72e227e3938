// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruStateError } from "#contract/errors/index.ts";
import { createSelectorIndex, resolveSelector } from "../../../services/planner/src/core/index.ts";
import { buildSource, call } from "./source-builder.ts";

const source = buildSource([call("search"), call("search"), call("fetch", { id: "primary" }), call("write")]);
const index = createSelectorIndex(source.execId, source.calls);
const resolve = (selector: string, from = "from"): number => resolveSelector(index, { selector, source: from });

describe("resolveSelector", () => {
  it("matches a unique name, an invocation ID or a call ID exactly", () => {
    assert.equal(resolve("write"), 3);
    assert.equal(resolve("fetch"), 2);
    assert.equal(resolve("primary"), 2);
    assert.equal(resolve("search_2"), 1);
    assert.equal(resolve("c1"), 0);
  });

  it("counts a call once when its name and invocation ID are equal", () => {
    const single = buildSource([call("write")]);
    assert.equal(resolveSelector(createSelectorIndex("kr-x", single.calls), { selector: "write", source: "from" }), 0);
  });

  it("resolves a name called several times to its first call, whose invocation ID is the name", () => {
    assert.equal(resolve("search"), 0);
    assert.equal(resolve("search", "checkpoint.search"), 0);
  });

  it("prefers a call ID, then an invocation ID, then a name", () => {
    // Call 1's invocation ID and call 3's name are both "c2"-like traps: the call ID wins.
    const tricky = buildSource([call("x", { id: "c3" }), call("c1"), call("y")]);
    const trickyIndex = createSelectorIndex("kr-x", tricky.calls);
    const pick = (selector: string) => resolveSelector(trickyIndex, { selector, source: "from" });
    assert.equal(pick("c3"), 2, "call ID c3 (third call) wins over invocation ID c3 (first call)");
    assert.equal(pick("c1"), 0, "call ID c1 (first call) wins over name and invocation ID c1 (second call)");
    // An invocation ID wins over a name shared by other calls.
    const named = buildSource([call("write", { id: "draft" }), call("draft", { id: "d-1" }), call("draft", { id: "d-2" })]);
    assert.equal(resolveSelector(createSelectorIndex("kr-x", named.calls), { selector: "draft", source: "from" }), 0);
  });

  it("reports a name shared by calls with explicit IDs as ambiguous, listing the selectors that work", () => {
    const pair = buildSource([call("write", { id: "write-a" }), call("write", { id: "write-b" })]);
    assert.throws(
      () => resolveSelector(createSelectorIndex("kr-x", pair.calls), { selector: "write", source: "checkpoint.write" }),
      (e: unknown) => {
        assert.ok(e instanceof KitaruStateError);
        assert.match(e.message, /ambiguous/);
        assert.match(e.message, /'write-a', 'write-b'/);
        assert.deepEqual(
          e.selector?.candidates.map((c) => c.invocationId),
          ["write-a", "write-b"],
        );
        assert.deepEqual(
          e.selector?.candidates.map((c) => c.callId),
          ["c1", "c2"],
        );
        assert.equal(e.selector?.source, "checkpoint.write");
        // Each advertised alternative resolves on its own.
        for (const candidate of e.selector?.candidates ?? []) {
          assert.doesNotThrow(() => resolveSelector(createSelectorIndex("kr-x", pair.calls), { selector: candidate.invocationId, source: "from" }));
        }
        return true;
      },
    );
  });

  it("reports an unknown selector with the sorted, unique available names", () => {
    for (const selector of ["nope", "Write", " write", ""]) {
      assert.throws(
        () => resolve(selector),
        (e: unknown) => {
          assert.ok(e instanceof KitaruStateError);
          assert.deepEqual(e.selector?.availableNames, ["fetch", "search", "write"]);
          assert.equal(e.metadata["availableNames"], "fetch,search,write");
          return true;
        },
      );
    }
  });
});
