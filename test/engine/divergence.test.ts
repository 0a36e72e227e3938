// @tier unit
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { DivergenceDetail } from "#contract/failure.ts";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { divergingFlow, renamingFlow, variant } from "../fixtures/flows/diverging-flows.ts";

// Contract §4, at the engine level: every kind of divergence the replay guard knows fails the
// replayed execution with origin `divergence` and evidence naming the call, what was recorded and
// what was seen; a reused call that is never reached is not a divergence.

describe("divergence of a replayed run", () => {
  let env: EngineEnv;
  let source: string;
  let renamedSource: string;
  before(async () => {
    env = await createEngineEnv([divergingFlow, renamingFlow]);
    source = await env.start("diverging", {});
    assert.equal((await env.settled(source)).execution.state.status, "completed");
    renamedSource = await env.start("renaming", {});
    assert.equal((await env.settled(renamedSource)).execution.state.status, "completed");
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });
  afterEach(() => {
    variant.shape = "recorded";
  });

  async function diverged(shape: string, sourceExecId: string, from: string): Promise<DivergenceDetail> {
    variant.shape = shape;
    const replayed = await env.replay(sourceExecId, { from });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "failed", `variant ${shape} should fail`);
    const failure = view.execution.state.failure!;
    assert.equal(failure.origin, "divergence");
    assert.equal(failure.exceptionType, "KitaruDivergenceError");
    assert.ok(failure.divergence, "the failure carries the divergence evidence");
    assert.equal(failure.divergence.execId, replayed);
    assert.equal(failure.divergence.sourceExecId, sourceExecId);
    assert.equal(failure.invocationId, failure.divergence.invocationId);
    return failure.divergence;
  }

  it("the unchanged flow replays from d without divergence", async () => {
    const replayed = await env.replay(source, { from: "d" });
    assert.equal((await env.settled(replayed)).execution.state.status, "completed");
  });

  it("dependencies changed: a reused call is issued with other data dependencies than recorded", async () => {
    const detail = await diverged("c-takes-b", source, "d");
    assert.equal(detail.kind, "dependencies_changed");
    assert.equal(detail.invocationId, "c");
    assert.deepEqual(detail.recordedDependencies, ["a"]);
    assert.deepEqual(detail.seenDependencies, ["b"]);
  });

  it("dependencies changed: the body loads a reused output before a reused call that recorded no load", async () => {
    const detail = await diverged("c-loads-b", source, "d");
    assert.equal(detail.kind, "dependencies_changed");
    assert.equal(detail.invocationId, "c");
    assert.deepEqual(detail.seenDependencies, ["a", "b"]);
  });

  it("depends on a re-executed call: a reused call now takes the output of the replay root", async () => {
    const detail = await diverged("c-takes-d", source, "d");
    assert.equal(detail.kind, "depends_on_changed_call");
    assert.equal(detail.invocationId, "c");
    assert.match(detail.seen, /'d'/);
  });

  it("depends on an overridden call: a reused call takes the output of a call whose output is overridden", async () => {
    // Recorded: a, b, c(a), d(b). Override b (its consumer d is a root); variant c-takes-b makes reused c take b.
    variant.shape = "c-takes-b";
    const replayed = await env.replay(source, { from: "d", overrides: { "checkpoint.b": "edited" } });
    const failure = (await env.settled(replayed)).execution.state.failure!;
    assert.equal(failure.origin, "divergence");
    assert.equal(failure.divergence?.kind, "depends_on_changed_call");
    assert.equal(failure.divergence?.invocationId, "c");
    assert.match(failure.divergence?.seen ?? "", /'b'/);
  });

  it("depends on a new call: a reused call takes the output of a call the source never made", async () => {
    const detail = await diverged("c-takes-new", source, "d");
    assert.equal(detail.kind, "depends_on_changed_call");
    assert.equal(detail.invocationId, "c");
    assert.match(detail.seen, /'fresh'/);
  });

  it("order changed: reused calls are issued out of their recorded relative order", async () => {
    const detail = await diverged("b-before-a", source, "d");
    assert.equal(detail.kind, "order_changed");
    assert.equal(detail.invocationId, "a");
    assert.match(detail.recorded, /'b'/);
  });

  it("name changed: a recorded invocation ID is issued by a checkpoint of another name", async () => {
    const detail = await diverged("renamed", renamedSource, "c");
    assert.equal(detail.kind, "name_changed");
    assert.equal(detail.invocationId, "step");
    assert.equal(detail.recorded, "checkpoint 'alpha'");
    assert.equal(detail.seen, "checkpoint 'beta'");
  });

  it("a reused call that is never reached (a branch not taken) is no divergence", async () => {
    variant.shape = "skip-c";
    const replayed = await env.replay(source, { from: "d" });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "completed");
    assert.deepEqual(view.result, ["d(B)"]);
  });
});
