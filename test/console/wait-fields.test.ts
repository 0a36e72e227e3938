// @tier unit
/** A wait's answer form without the page (clients/console/src/state/wait-fields.ts): fields from the schema, the answer, violations placed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answerValue, FieldInputError, fieldSpecs, fieldValue, placeViolations } from "../../clients/console/src/state/wait-fields.ts";

const approval = {
  type: "object",
  properties: {
    approved: { type: "boolean" },
    score: { type: "integer", description: "1 to 5" },
    tone: { enum: ["formal", "casual"] },
    note: { type: "string" },
    extra: { type: "object" },
  },
  required: ["approved", "score"],
};

describe("the console's wait form, without the page", () => {
  it("asks one field per property of an object schema, with its kind, label and whether it is required", () => {
    const fields = fieldSpecs(approval);
    assert.deepEqual(
      fields.map((f) => [f.path, f.kind, f.required]),
      [
        ["approved", "boolean", true],
        ["score", "integer", true],
        ["tone", "enum", false],
        ["note", "string", false],
        ["extra", "json", false],
      ],
    );
    assert.equal(fields[1]!.description, "1 to 5");
    assert.deepEqual(fields[2]!.options, ["formal", "casual"]);
  });

  it("asks one field for anything else: the whole answer", () => {
    assert.deepEqual(
      fieldSpecs({ type: "boolean" }).map((f) => [f.path, f.label, f.kind, f.required]),
      [["", "answer", "boolean", true]],
    );
    assert.equal(fieldSpecs({ type: "array", items: { type: "string" } })[0]!.kind, "json");
    assert.equal(fieldSpecs({ type: "object" })[0]!.path, "", "an object without properties is typed as JSON");
  });

  it("reads the answer from what was typed: the properties given, the single field's value", () => {
    const [approved, score, tone, note, extra] = fieldSpecs(approval);
    const typed = [
      { spec: approved!, input: true },
      { spec: score!, input: "4" },
      { spec: tone!, input: "1" },
      { spec: note!, input: "" },
      { spec: extra!, input: ' {"a": [1]} ' },
    ];
    assert.deepEqual(answerValue(typed), { approved: true, score: 4, tone: "casual", note: "", extra: { a: [1] } });
    assert.deepEqual(answerValue([{ spec: score!, input: "" }]), {}, "an empty number is left out");
    const [whole] = fieldSpecs({ type: "number" });
    assert.equal(answerValue([{ spec: whole!, input: "" }]), null, "an empty single answer is null");
    assert.equal(fieldValue(whole!, "2.5"), 2.5);
  });

  it("names the field whose JSON does not parse", () => {
    const [, , , , extra] = fieldSpecs(approval);
    assert.throws(
      () => fieldValue(extra!, "{oops"),
      (e: unknown) => e instanceof FieldInputError && e.path === "extra" && e.message === "not valid JSON",
    );
  });

  it("puts each violation beside the field it names, or the closest enclosing one, the rest under the form", () => {
    const placed = placeViolations(fieldSpecs(approval), [
      { field: "score", description: "must be at most 5" },
      { field: "score", description: "must be an integer" },
      { field: "extra.a", description: "must be a string" },
      { field: "elsewhere", description: "is not allowed" },
    ]);
    assert.deepEqual(
      [...placed.byField],
      [
        ["score", "must be at most 5; must be an integer"],
        ["extra", "must be a string"],
      ],
    );
    assert.deepEqual(placed.unplaced, ["elsewhere: is not allowed"]);
    const single = placeViolations(fieldSpecs({ type: "string" }), [{ field: "", description: "too short" }]);
    assert.deepEqual([...single.byField], [["", "too short"]]);
  });
});
