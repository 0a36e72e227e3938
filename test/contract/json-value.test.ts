/**
 * JSON values walked in their two modes (#contract/json-value.ts): values a
 * flow produced are copied (`toJsonValue`: undefined dropped or null, first
 * problem thrown as a KitaruContextError, at most VALUE_LIMITS.depth levels),
 * values from outside are checked (`jsonViolations`: every problem listed,
 * undefined refused, any depth).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruContextError } from "#contract/errors/index.ts";
import { describeJsonType, isPlainObject, jsonViolations, toJsonValue } from "#contract/json-value.ts";
import { VALUE_LIMITS } from "#contract/value-limits.ts";

function nested(levels: number, leaf: unknown = "leaf"): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { next: [value] };
  return value;
}

describe("jsonViolations (values from outside)", () => {
  it("accepts JSON values, however deep", () => {
    assert.deepEqual(jsonViolations({ a: [1, "x", null, true, { b: Object.create(null) }], deep: nested(100_000) }), []);
  });

  it("lists non-JSON values with dotted paths, in document order", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    // Holes in arrays are not JSON either (JSON.stringify would turn them into null).
    // biome-ignore lint/suspicious/noSparseArray: the hole is what this checks
    const holes = [1, , 3];
    assert.deepEqual(jsonViolations({ n: Number.POSITIVE_INFINITY, d: new Date(0), list: [1n, holes], cyclic, u: undefined }), [
      { field: "n", description: "must be a finite number, not Infinity" },
      { field: "d", description: "must be a JSON value, not an instance of Date" },
      { field: "list.0", description: "must be a JSON value, not a bigint" },
      { field: "list.1.1", description: "must be a JSON value, not undefined" },
      { field: "cyclic.self", description: "must not contain itself (a cycle)" },
      { field: "u", description: "must be a JSON value, not undefined" },
    ]);
    assert.deepEqual(
      jsonViolations(() => 1),
      [{ field: "", description: "must be a JSON value, not a function" }],
    );
  });

  it("accepts the same object twice when it is shared, not cyclic", () => {
    const shared = { x: 1 };
    assert.deepEqual(jsonViolations({ a: shared, b: [shared] }), []);
  });
});

describe("toJsonValue (values a flow produced)", () => {
  it("returns a copy equal to what JSON.stringify keeps: undefined properties dropped, other undefined as null, key order kept", () => {
    const value = { z: 1, a: [1, undefined, { y: undefined, x: "x" }], m: { n: null, t: true }, u: undefined };
    const copy = toJsonValue(value, "the output");
    assert.deepEqual(copy, JSON.parse(JSON.stringify(value)));
    assert.deepEqual(Object.keys(copy as object), ["z", "a", "m"]);
    assert.notEqual(copy, value);
    assert.equal(toJsonValue(undefined, "the output"), null);
    const shared = { x: 1 };
    assert.deepEqual(toJsonValue({ a: shared, b: [shared] }, "the output"), { a: { x: 1 }, b: [{ x: 1 }] });
  });

  it("throws a KitaruContextError naming the first place that is not JSON", () => {
    const cyclic: Record<string, unknown> = { ok: 1 };
    cyclic["self"] = cyclic;
    const cases: [unknown, RegExp, string][] = [
      [{ when: new Date(0) }, /^the output must be JSON-serializable, but found an instance of Date at 'when'\./, "when"],
      [{ list: [1, Number.NaN] }, /but found NaN at 'list\.1'/, "list.1"],
      [cyclic, /but found a circular reference at 'self'/, "self"],
      [Symbol("s"), /but found a symbol\. Convert it/, ""],
    ];
    for (const [value, message, path] of cases) {
      assert.throws(
        () => toJsonValue(value, "the output"),
        (e: unknown) => e instanceof KitaruContextError && message.test(e.message) && e.metadata["path"] === path,
      );
    }
  });

  it(`copies ${VALUE_LIMITS.depth} levels of nesting and refuses one more`, () => {
    // `nested(k)` is 2k levels: an object and an array per step.
    const levels = VALUE_LIMITS.depth / 2;
    assert.deepEqual(toJsonValue(nested(levels), "the output"), nested(levels));
    assert.throws(
      () => toJsonValue(nested(levels, []), "the output"),
      (e: unknown) => e instanceof KitaruContextError && e.message.includes(`nested more than ${VALUE_LIMITS.depth} levels deep`),
    );
  });

  it("finds what the check finds: its first violation is where the copy stops", () => {
    for (const value of [{ a: 1, b: [2, new Map()] }, [Number.NEGATIVE_INFINITY], { f: () => 1, g: 1n }]) {
      const [first] = jsonViolations(value);
      assert.throws(
        () => toJsonValue(value, "v"),
        (e: unknown) => e instanceof KitaruContextError && e.metadata["path"] === first?.field,
      );
    }
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
