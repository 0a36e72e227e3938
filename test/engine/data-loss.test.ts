// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import type { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";
import { largeOutputFlow } from "../fixtures/flows/large-output.ts";
import { stopTestServer, testStoreKind } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { eventually } from "../support/runner-env.ts";

// Issue 10: a missing blob chunk was recorded as the user's code failing.
// Lost data is the store's failure (origin "backend"), never user code.

describe("stored data that went missing", { skip: testStoreKind() !== "sqlite" && "deletes blob rows from the SQLite file" }, () => {
  let env: EngineEnv;
  before(async () => {
    env = await createEngineEnv([largeOutputFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("fails a replay that reuses a lost output with origin backend, naming the lost chunk", async () => {
    const source = await env.start("large_output", { mib: 5 });
    await env.settled(source, ["waiting"]);
    await env.engine.resolveWait(env.ref(source), "measure_now", true);
    assert.equal((await env.settled(source)).execution.state.status, "completed");

    // The 5 MiB output of `produce` is stored as blob chunks: delete them behind the store's back.
    const file = (env.store as SqliteExecutionStore).path;
    const raw = new Database(file);
    try {
      assert.ok(raw.prepare("DELETE FROM blobs").run().changes > 0, "the output was stored as a blob");
    } finally {
      raw.close();
    }

    const replayed = await env.replay(source, { from: "measure" });
    // A basic view: a full one would read the lost output too (and fail the same way).
    const status = (statuses: readonly string[]) =>
      eventually(
        () => env.engine.getExecution(env.ref(replayed), { full: false }),
        (v) => statuses.includes(v.execution.state.status),
        20_000,
      );
    await status(["waiting"]);
    await env.engine.resolveWait(env.ref(replayed), "measure_now", true);
    const view = await status(["completed", "failed"]);
    assert.equal(view.execution.state.status, "failed");
    const failure = view.execution.state.failure!;
    assert.equal(failure.origin, "backend", "not the user's code");
    assert.equal(failure.exceptionType, "StoreDataLossError");
    assert.match(failure.message, /^Stored data is missing or unreadable: Chunk 0 of stored value blob-[0-9a-f]+ is missing\./);
  });
});
