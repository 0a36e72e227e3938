// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MongoNetworkError, MongoServerError } from "mongodb";
import { storeError } from "../../services/runner/src/store/mongo-store-error.ts";
import { StoreUnavailableError } from "../../services/runner/src/store/store-errors.ts";

describe("MongoDB store errors", () => {
  it("reports driver errors as StoreUnavailableError, with the driver error as cause", () => {
    for (const error of [new MongoNetworkError("connection 5 to 127.0.0.1:27017 closed"), new MongoServerError({ message: "not primary", code: 10107 })]) {
      const reported = storeError(error);
      assert.ok(reported instanceof StoreUnavailableError);
      assert.equal(reported.cause, error);
    }
  });

  it("reports Node's error for a socket the server closed under a write (EPIPE from the driver) as StoreUnavailableError", () => {
    const epipe = Object.assign(new Error("This socket has been ended by the other party"), { code: "EPIPE" });
    const reported = storeError(epipe);
    assert.ok(reported instanceof StoreUnavailableError);
    assert.match(reported.message, /EPIPE/);
    assert.equal(reported.cause, epipe);
    assert.ok(storeError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })) instanceof StoreUnavailableError);
  });

  it("marks a write the server refused for lack of disk space as diskFull (issue 19 item 3), and nothing else", () => {
    const full = [
      new MongoServerError({ message: "Cannot write: out of disk space", code: 14031, codeName: "OutOfDiskSpace" }),
      new MongoServerError({ message: "write failed: No space left on device", code: 1 }),
    ];
    for (const error of full) {
      const reported = storeError(error);
      assert.ok(reported instanceof StoreUnavailableError && reported.diskFull, error.message);
    }
    const other = storeError(new MongoServerError({ message: "not primary", code: 10107 }));
    assert.ok(other instanceof StoreUnavailableError && !other.diskFull);
    assert.ok(!(storeError(new MongoNetworkError("closed")) as StoreUnavailableError).diskFull);
  });

  it("passes anything else through: the caller giving up, a bug", () => {
    const abort = new DOMException("The operation was aborted", "AbortError");
    assert.equal(storeError(abort), abort);
    const bug = new TypeError("x is not a function");
    assert.equal(storeError(bug), bug);
    const other = Object.assign(new Error("a file"), { code: "ENOENT" });
    assert.equal(storeError(other), other);
  });
});
