import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruStateError } from "../../../clients/ts/src/errors/index.ts";
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

  it("reports a name called twice as ambiguous, with every candidate", () => {
    assert.throws(() => resolve("search", "checkpoint.search"), (e: unknown) => {
      assert.ok(e instanceof KitaruStateError);
      assert.match(e.message, /ambiguous/);
      assert.deepEqual(e.selector?.candidates.map((c) => c.callId), ["c1", "c2"]);
      assert.equal(e.selector?.source, "checkpoint.search");
      return true;
    });
  });

  it("reports an unknown selector with the sorted, unique available names", () => {
    for (const selector of ["nope", "Write", " write", ""]) {
      assert.throws(() => resolve(selector), (e: unknown) => {
        assert.ok(e instanceof KitaruStateError);
        assert.deepEqual(e.selector?.availableNames, ["fetch", "search", "write"]);
        assert.equal(e.metadata["availableNames"], "fetch,search,write");
        return true;
      });
    }
  });
});
