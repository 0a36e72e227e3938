// @tier unit
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { stopTestServer } from "../support/database.ts";
import { callsById, createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { chain, diamond, fanOut, gatedDiamond, received, resetReceived } from "../fixtures/flows/override-shapes.ts";

// Contract §3: an override replaces the overridden call's output as seen by the new execution,
// even when that call is itself re-executed (it is `from`, or downstream of a root).

describe("an override wins even when the overridden call is re-executed", () => {
  let env: EngineEnv;
  before(async () => {
    env = await createEngineEnv([diamond, fanOut, chain, gatedDiamond]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });
  beforeEach(resetReceived);

  it("diamond, --from src with checkpoint.src: src runs again, left, right and the body see the override", async () => {
    const source = await env.start("diamond", { x: 1 });
    assert.equal((await env.settled(source)).execution.state.status, "completed");
    resetReceived();

    const replayed = await env.replay(source, { from: "src", overrides: { "checkpoint.src": 10 } });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "completed");
    // src was re-executed (it is `from`) with the same input; its consumers got the override, not its fresh 2.
    assert.deepEqual(received, { src: [1], left: [10], right: [10], join: [[11, 12]] });
    assert.deepEqual(view.result, { src: 10, join: 23 });
    const calls = callsById(view);
    const srcCall = calls.get("src")!;
    assert.equal(srcCall.status, "completed");
    assert.equal(srcCall.overridden, true);
    assert.equal(srcCall.output, 2, "the record keeps what src returned");
    assert.equal(srcCall.overrideValue, 10, "and what its consumers saw");
    assert.equal(calls.get("left")!.status, "completed");
    assert.equal(calls.get("left")!.output, 11);
    assert.equal(calls.get("join")!.output, 23);
  });

  it("fan-out: every consumer branch re-runs with the override, the source call too when it is from", async () => {
    const source = await env.start("fan_out", { x: 3 });
    await env.settled(source);
    resetReceived();

    const replayed = await env.replay(source, { from: "src", overrides: { "checkpoint.src": 100 } });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "completed");
    assert.deepEqual(received, { src: [3], left: [100], right: [100], third: [100], gather: [[101, 102, 103]] });
    assert.deepEqual(view.result, [101, 102, 103]);
    assert.equal(callsById(view).get("src")!.overrideValue, 100);
  });

  it("fan-out without from on the source: src is reused, its consumers re-run with the override", async () => {
    const source = await env.start("fan_out", { x: 3 });
    await env.settled(source);
    resetReceived();

    const replayed = await env.replay(source, { from: "gather", overrides: { "checkpoint.src": 7 } });
    const view = await env.settled(replayed);
    assert.deepEqual(received, { left: [7], right: [7], third: [7], gather: [[8, 9, 10]] });
    const srcCall = callsById(view).get("src")!;
    assert.equal(srcCall.status, "reused");
    assert.equal(srcCall.output, 6, "a reused call's output is what its source recorded");
    assert.equal(srcCall.overrideValue, 7);
  });

  it("chain, --from src with an override of its consumer left: left re-runs, right sees the override", async () => {
    const source = await env.start("chain", { x: 5 });
    await env.settled(source);
    resetReceived();

    const replayed = await env.replay(source, { from: "src", overrides: { "checkpoint.left": 1000 } });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "completed");
    assert.deepEqual(received, { src: [5], left: [10], right: [1000] });
    assert.equal(view.result, 1002);
    const leftCall = callsById(view).get("left")!;
    assert.equal(leftCall.status, "completed");
    assert.equal(leftCall.output, 11);
    assert.equal(leftCall.overrideValue, 1000);
  });

  it("a replay of a replay reuses what the first replay's flow saw (the override), not the call's own output", async () => {
    const source = await env.start("chain", { x: 5 });
    await env.settled(source);
    const first = await env.replay(source, { from: "src", overrides: { "checkpoint.left": 1000 } });
    await env.settled(first);
    resetReceived();

    const second = await env.replay(first, { from: "right" });
    const view = await env.settled(second);
    assert.deepEqual(received, { right: [1000] });
    assert.equal(view.result, 1002);
    assert.equal(callsById(view).get("left")!.output, 1000);
  });

  it("after a wait the body runs again and the journal answers the re-executed overridden call with the override", async () => {
    const source = await env.start("gated_diamond", { x: 1 });
    await env.settled(source, ["waiting"]);
    await env.engine.resolveWait(env.ref(source), "go", true);
    await env.settled(source, ["completed"]);
    resetReceived();

    const replayed = await env.replay(source, { from: "src", overrides: { "checkpoint.src": 10 } });
    await env.settled(replayed, ["waiting"]);
    assert.deepEqual(received, { src: [1] });
    await env.engine.resolveWait(env.ref(replayed), "go", true);
    const view = await env.settled(replayed, ["completed", "failed"]);
    assert.equal(view.execution.state.status, "completed");
    // src ran once (the second pass took it from the journal); left and right saw the override both times they ran.
    assert.deepEqual(received, { src: [1], left: [10], right: [10], join: [[11, 12]] });
    assert.equal(view.result, 23);
  });
});
