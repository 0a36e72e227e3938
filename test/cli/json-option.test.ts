// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseJsonObjectOption, parseJsonOption } from "../../clients/cli/src/json-option.ts";

describe("JSON options", () => {
  it("accepts any JSON value for --value", () => {
    assert.deepEqual(parseJsonOption("value", "null"), { ok: true, value: null });
    assert.deepEqual(parseJsonOption("value", '[1,"a"]'), { ok: true, value: [1, "a"] });
  });

  it("names the line and column of a syntax error, like Kitaru", () => {
    assert.deepEqual(parseJsonOption("value", '{"a":\n  tru}'), {
      ok: false,
      message: "Invalid JSON for `--value`: Unexpected token '}' (line 2, column 6).",
    });
    assert.deepEqual(parseJsonOption("args", '{"a":'), {
      ok: false,
      message: "Invalid JSON for `--args`: Unexpected end of JSON input (line 1, column 6).",
    });
    assert.deepEqual(parseJsonOption("args", '{"a":1}}'), {
      ok: false,
      message: "Invalid JSON for `--args`: Unexpected non-whitespace character after JSON (line 1, column 8).",
    });
  });

  it("requires an object where one is expected", () => {
    assert.deepEqual(parseJsonObjectOption("args", "null", "{}"), { ok: false, message: "`--args` must be a JSON object (for example: '{}')." });
    assert.deepEqual(parseJsonObjectOption("args", '{"topic":"AI"}', "{}"), { ok: true, value: { topic: "AI" } });
  });
});
