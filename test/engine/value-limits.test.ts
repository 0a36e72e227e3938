// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { VALUE_LIMITS } from "#contract/value-limits.ts";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { bigMetadataFlow, deepOutputFlow, hugeOutputFlow, tries } from "../fixtures/flows/oversized-values.ts";

// Stored values obey the same limits as request values (docs/limits.md): a checkpoint
// output beyond them fails the call at once (another attempt would return the same).

describe("limits on stored values", () => {
  let env: EngineEnv;
  before(async () => {
    env = await createEngineEnv([deepOutputFlow, hugeOutputFlow, bigMetadataFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("stores an output nested exactly as deep as allowed", async () => {
    const view = await env.settled(await env.start("deep_output", { depth: VALUE_LIMITS.depth - 1 }));
    assert.equal(view.execution.state.status, "completed");
  });

  it("fails a call whose output is nested deeper than allowed, without retrying it", async () => {
    const view = await env.settled(await env.start("deep_output", { depth: VALUE_LIMITS.depth + 5 }));
    assert.equal(view.execution.state.status, "failed");
    assert.equal(view.execution.state.failure?.exceptionType, "KitaruContextError");
    assert.match(view.execution.state.failure?.message ?? "", /nested more than 40 levels deep/);
    assert.equal(view.calls[0]?.attempts, 1);
  });

  it("fails a call whose output is larger than allowed, without retrying it", async () => {
    const before = tries["huge"] ?? 0;
    const view = await env.settled(await env.start("huge_output", { mebibytes: 33 }));
    assert.equal(view.execution.state.status, "failed");
    assert.match(view.execution.state.failure?.message ?? "", /kitaru stores values of at most 33554432 bytes/);
    assert.equal((tries["huge"] ?? 0) - before, 1);
  });

  it("refuses metadata beyond 64 KiB where log() is called", async () => {
    const view = await env.settled(await env.start("big_metadata", { kib: 70 }));
    assert.equal(view.execution.state.status, "failed");
    assert.match(view.execution.state.failure?.message ?? "", /log\(\) metadata would be \d+ bytes; kitaru keeps at most 65536 bytes of it/);
  });
});
