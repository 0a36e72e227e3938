// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { eventually } from "../support/runner-env.ts";
import { chainGates, gatedChain } from "../fixtures/flows/gated-chain.ts";

describe("a replay's durable record follows issue order", () => {
  let env: EngineEnv;
  before(async () => {
    env = await createEngineEnv([gatedChain]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("records the reused calls before it starts executing the next call, so watchers never see them after it", async () => {
    const source = await env.start("gated_chain", { label: "go" });
    assert.equal((await env.settled(source)).execution.state.status, "completed");
    // Replay from slow with a label that holds it: first and second are reused, slow blocks.
    const replayed = await env.replay(source, { from: "slow", args: { label: "hold-1" } });
    const calls = await eventually(
      () => env.store.listCalls(replayed),
      (list) => list.length >= 2,
      10_000,
    );
    assert.deepEqual(
      calls.map((c) => [c.invocationId, c.status]),
      [
        ["first", "reused"],
        ["second", "reused"],
      ],
    );
    const view = await env.engine.getExecution(env.ref(replayed), { full: false });
    assert.equal(view.execution.state.status, "running", "slow is still running");
    chainGates.open("hold-1");
    assert.equal((await env.settled(replayed)).execution.state.status, "completed");
  });
});
