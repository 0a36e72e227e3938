// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ErrorReason,
  KitaruBackendError,
  KitaruError,
  KitaruExecutionError,
  KitaruInternalError,
  KitaruNotFoundError,
  KitaruStateError,
  KitaruUsageError,
  KitaruUserCodeError,
  kitaruError,
} from "#contract/errors/index.ts";

describe("the error hierarchy", () => {
  it("gives each class its name, reason and stack header from its declaration", () => {
    const error = new KitaruNotFoundError("Execution 'kr-x' was not found.", { resourceType: "execution", resourceName: "kr-x" });
    assert.equal(error.name, "KitaruNotFoundError");
    assert.equal(error.reason, ErrorReason.notFound);
    assert.match(error.stack ?? "", /^KitaruNotFoundError: Execution 'kr-x' was not found\./);
    assert.equal(String(error), "KitaruNotFoundError: Execution 'kr-x' was not found.");
    assert.ok(error instanceof KitaruStateError && error instanceof KitaruError && error instanceof Error);
    assert.ok(!(error instanceof KitaruUsageError));
    const userCode = new KitaruUserCodeError("boom", { execId: "kr-x", status: "failed" });
    assert.ok(userCode instanceof KitaruExecutionError);
    assert.equal(new KitaruBackendError("down").reason, "KITARU_BACKEND_ERROR");
  });

  it("recognises instances made by another copy of the package (same class names, other classes)", () => {
    const foreign = anotherCopy();
    assert.notEqual(Object.getPrototypeOf(foreign).constructor, KitaruNotFoundError, "another class");
    assert.ok(foreign instanceof KitaruNotFoundError, "this copy's KitaruNotFoundError recognises it");
    assert.ok(foreign instanceof KitaruStateError);
    assert.ok(KitaruError.isKitaruError(foreign));
    assert.ok(!(foreign instanceof KitaruUsageError));
    assert.ok(!(foreign instanceof KitaruInternalError));
  });

  it("KitaruError.from keeps kitaru errors and wraps anything else with its cause", () => {
    const usage = new KitaruUsageError("bad");
    assert.equal(KitaruError.from(usage), usage);
    const cause = new TypeError("cannot read properties of undefined");
    const wrapped = KitaruError.from(cause);
    assert.ok(wrapped instanceof KitaruInternalError);
    assert.equal(wrapped.message, "internal error", "nothing internal in the message");
    assert.equal(wrapped.cause, cause, "the original is kept for logs");
    assert.equal(KitaruError.from("a string", "what failed").message, "what failed");
  });
});

/** A KitaruNotFoundError made by a second copy of the package: its own classes, with the same names. */
function anotherCopy(): KitaruError {
  @kitaruError(ErrorReason.state)
  class KitaruStateError extends KitaruError {}
  @kitaruError(ErrorReason.notFound)
  class KitaruNotFoundError extends KitaruStateError {}
  return new KitaruNotFoundError("not here");
}
