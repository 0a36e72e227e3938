// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { parseOverrideKey, parseOverrides } from "../../../services/planner/src/core/index.ts";

describe("parseOverrideKey", () => {
  it("returns the trimmed selector of a checkpoint.* key", () => {
    assert.equal(parseOverrideKey("checkpoint.research"), "research");
    assert.equal(parseOverrideKey("checkpoint.  research_2 "), "research_2");
    assert.equal(parseOverrideKey("checkpoint.a.b"), "a.b");
  });

  it("rejects a blank selector with KITARU_USAGE_ERROR", () => {
    for (const key of ["checkpoint.", "checkpoint. \t"]) {
      assert.throws(
        () => parseOverrideKey(key),
        (e: unknown) => e instanceof KitaruUsageError && e.reason === "KITARU_USAGE_ERROR",
      );
    }
  });

  it("rejects a wait.* override with KITARU_USAGE_ERROR pointing to executions input", () => {
    assert.throws(
      () => parseOverrideKey("wait.approval"),
      (e: unknown) => {
        assert.ok(e instanceof KitaruUsageError);
        assert.match(e.message, /waits cannot be overridden/);
        assert.match(e.message, /kitaru executions input/);
        return true;
      },
    );
  });

  it("rejects any other prefix with the contract's message, case-sensitively", () => {
    for (const key of ["Checkpoint.research", "research", "checkpoint", "wait", ""]) {
      assert.throws(() => parseOverrideKey(key), {
        name: "KitaruUsageError",
        message: `Override keys must start with \`checkpoint.\`. Received: '${key}'.`,
      });
    }
  });
});

describe("parseOverrides", () => {
  it("keeps the order given and the key as given", () => {
    assert.deepEqual(parseOverrides({ "checkpoint.b ": 2, "checkpoint.a": { x: [1, null] } }), [
      { key: "checkpoint.b ", selector: "b", value: 2 },
      { key: "checkpoint.a", selector: "a", value: { x: [1, null] } },
    ]);
    assert.deepEqual(parseOverrides(undefined), []);
  });

  it("checks each key before its value, and stops at the first failure", () => {
    assert.throws(() => parseOverrides({ "checkpoint.a": undefined, "wait.x": 1 }), /value of override 'checkpoint\.a'/);
    assert.throws(() => parseOverrides({ "wait.x": undefined, "checkpoint.a": undefined }), /waits cannot be overridden/);
  });
});
