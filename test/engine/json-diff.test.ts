// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonDiff, jsonEqual } from "../../services/runner/src/engine/json-diff.ts";

describe("jsonDiff", () => {
  it("lists changes by path: objects key by key, arrays index by index", () => {
    assert.deepEqual(jsonDiff({ a: 1, b: { c: [1, 2] }, d: "x" }, { a: 1, b: { c: [1, 3, 4] }, e: null }), [
      { path: "b.c[1]", kind: "changed", before: 2, after: 3 },
      { path: "b.c[2]", kind: "added", after: 4 },
      { path: "d", kind: "removed", before: "x" },
      { path: "e", kind: "added", after: null },
    ]);
    assert.deepEqual(jsonDiff("a", "b"), [{ path: "", kind: "changed", before: "a", after: "b" }]);
    assert.deepEqual(jsonDiff([1], { 0: 1 }), [{ path: "", kind: "changed", before: [1], after: { 0: 1 } }]);
  });

  it("treats key order as irrelevant and stops at the limit", () => {
    assert.ok(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 }));
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${String(i).padStart(3, "0")}`, i]));
    assert.equal(jsonDiff({}, many).length, 50);
  });
});
