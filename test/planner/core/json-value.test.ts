// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeJsonType, isPlainObject, jsonViolations } from "../../../services/planner/src/core/index.ts";

describe("jsonViolations", () => {
  it("accepts JSON values, however deep", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = { next: [deep] };
    assert.deepEqual(jsonViolations({ a: [1, "x", null, true, { b: Object.create(null) }], deep }), []);
  });

  it("lists non-JSON values with dotted paths, in document order", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    // Holes in arrays are not JSON either (JSON.stringify would turn them into null).
    // biome-ignore lint/suspicious/noSparseArray: the hole is what this checks
    const holes = [1, , 3];
    assert.deepEqual(
      jsonViolations({ n: Number.POSITIVE_INFINITY, d: new Date(0), list: [1n, holes], cyclic }).map((v) => v.field),
      ["n", "d", "list.0", "list.1.1", "cyclic.self"],
    );
  });

  it("accepts the same object twice when it is shared, not cyclic", () => {
    const shared = { x: 1 };
    assert.deepEqual(jsonViolations({ a: shared, b: [shared] }), []);
  });
});

describe("isPlainObject and describeJsonType", () => {
  it("tell objects from arrays, null and class instances", () => {
    assert.equal(isPlainObject({}), true);
    assert.equal(isPlainObject(Object.create(null)), true);
    assert.equal(isPlainObject([]), false);
    assert.equal(isPlainObject(new Map()), false);
    assert.deepEqual([null, [], {}, "s", 1, true, undefined, new Map()].map(describeJsonType), [
      "null",
      "an array",
      "an object",
      "a string",
      "a number",
      "a boolean",
      "undefined",
      "an instance of Map",
    ]);
  });
});
