// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import { answeredBy, type WaitRecord, type WaitResolution } from "../../services/runner/src/store/records.ts";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { approvalFlow } from "../fixtures/flows/approval.ts";
import { doubleReviewFlow } from "../fixtures/flows/source-answers.ts";

// Issue 20, "waits in bulk", for single replays: `answer_waits_from_source` answers a replayed wait
// with the source's recorded answer (recorded as copied from it); without it, or without an answer
// to copy, the replay stops at the wait as before.

function waitNamed(waits: readonly WaitRecord[], name: string): WaitRecord {
  const wait = waits.find((w) => w.name === name);
  assert.ok(wait, `wait '${name}' is recorded (have: ${waits.map((w) => w.name).join(", ")})`);
  return wait;
}

describe("replay answering waits from its source", () => {
  let env: EngineEnv;
  /** An approval execution answered by ana, completed. */
  let approved: string;
  before(async () => {
    env = await createEngineEnv([approvalFlow, doubleReviewFlow]);
    approved = await env.start("approval", { topic: "tides" });
    await env.settled(approved, ["waiting"]);
    await env.engine.resolveWait(env.ref(approved), "approve", { approved: true, reviewer: "ana" });
    assert.equal((await env.settled(approved)).execution.state.status, "completed");
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("with the opt-in, the replay runs through the wait with the source's answer, recorded as copied from it", async () => {
    const replayed = await env.replay(approved, { from: "draft", args: { topic: "currents" }, answerWaitsFromSource: ["approve"] });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "completed");
    assert.equal(view.result, "published 'draft about currents', approved by ana");
    assert.deepEqual(view.execution.replay?.answerWaitsFromSource, ["approve"]);
    const wait = waitNamed(view.waits, "approve");
    assert.equal(wait.resolution?.kind, "value");
    assert.equal((wait.resolution as Extract<WaitResolution, { kind: "value" }>).copiedFromExecId, approved);
    assert.equal(answeredBy(wait.resolution), `copied from execution ${approved}`);
    assert.equal(wait.sourceAnswerNote, undefined);
    assert.deepEqual(view.waitValues.get("approve"), { approved: true, reviewer: "ana" });
    // The source's own answer was an input: nothing says it was copied.
    const sourceWait = waitNamed((await env.settled(approved)).waits, "approve");
    assert.equal(answeredBy(sourceWait.resolution), undefined);
  });

  it("without the opt-in, the replay stops at the wait as before", async () => {
    const replayed = await env.replay(approved, { from: "draft" });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "waiting");
    const wait = waitNamed(view.waits, "approve");
    assert.equal(wait.resolution, undefined);
    assert.equal(wait.sourceAnswerNote, undefined);
    assert.equal(view.execution.replay?.answerWaitsFromSource, undefined);
  });

  it("matches waits by occurrence: review takes the source's first answer, review_2 (never answered there) waits, saying why", async () => {
    const source = await env.start("double_review", { topic: "kelp" });
    await env.settled(source, ["waiting"]);
    await env.engine.resolveWait(env.ref(source), "review", "first: fine");
    await env.settled(source, ["waiting"]);
    // The source waits at review_2: a waiting source can be replayed.
    const replayed = await env.replay(source, { from: "prepare", answerWaitsFromSource: ["review"] });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "waiting");
    const first = waitNamed(view.waits, "review");
    assert.equal(answeredBy(first.resolution), `copied from execution ${source}`);
    assert.equal(view.waitValues.get("review"), "first: fine");
    const second = waitNamed(view.waits, "review_2");
    assert.equal(second.resolution, undefined);
    assert.equal(second.sourceAnswerNote, `Not answered from execution ${source}: its wait 'review_2' was never answered.`);
    // The normal input flow finishes it.
    await env.engine.resolveWait(env.ref(replayed), "review", "second: by hand");
    const done = await env.settled(replayed);
    assert.equal(done.execution.state.status, "completed");
    assert.equal(done.result, "first: fine / second: by hand");
    assert.equal(answeredBy(waitNamed(done.waits, "review_2").resolution), undefined);
  });

  it("a wait the source never answered waits for an input, saying so; an unknown name changes nothing", async () => {
    const waiting = await env.start("approval", { topic: "reefs" });
    await env.settled(waiting, ["waiting"]);
    const replayed = await env.replay(waiting, { from: "draft", answerWaitsFromSource: ["approve"] });
    const view = await env.settled(replayed);
    assert.equal(view.execution.state.status, "waiting");
    assert.equal(waitNamed(view.waits, "approve").sourceAnswerNote, `Not answered from execution ${waiting}: its wait 'approve' was never answered.`);
    // A name that is no wait of the flow changes nothing and is no error.
    const other = await env.replay(approved, { from: "draft", answerWaitsFromSource: ["no_such_wait"] });
    assert.equal((await env.settled(other)).execution.state.status, "waiting");
  });

  it("an input racing the copy: exactly one answer wins, and the body gets that one", async () => {
    const store = env.store;
    const original = store.resolveWait.bind(store);
    let raced = false;
    // Just before the copy's insert, a reviewer answers through the normal input path.
    store.resolveWait = async (execId, name, resolution, options) => {
      if (!raced && resolution.kind === "value" && resolution.copiedFromExecId !== undefined) {
        raced = true;
        await env.engine.resolveWait(env.ref(execId), name, { approved: false, reviewer: "bo" });
      }
      return original(execId, name, resolution, options);
    };
    try {
      const replayed = await env.replay(approved, { from: "draft", answerWaitsFromSource: ["approve"] });
      const view = await env.settled(replayed);
      assert.ok(raced, "the copy was attempted");
      assert.equal(view.execution.state.status, "completed");
      assert.equal(view.result, "rejected by bo");
      const wait = waitNamed(view.waits, "approve");
      assert.equal(answeredBy(wait.resolution), undefined, "the input's answer is the one recorded");
      assert.deepEqual(view.waitValues.get("approve"), { approved: false, reviewer: "bo" });
    } finally {
      store.resolveWait = original;
    }
    // The other way round: once the copy has answered, an input is refused.
    const copied = await env.replay(approved, { from: "draft", answerWaitsFromSource: ["approve"] });
    await env.settled(copied);
    await assert.rejects(env.engine.resolveWait(env.ref(copied), "approve", { approved: false, reviewer: "bo" }), KitaruStateError);
  });

  it("a blank wait name is a usage error naming its position; repeated names count once", async () => {
    await assert.rejects(env.plan(approved, { from: "draft", answerWaitsFromSource: ["approve", "  "] }), (error: unknown) => {
      assert.ok(error instanceof KitaruUsageError);
      assert.match(error.message, /answer_waits_from_source\[1\] must name a wait/);
      return true;
    });
    await assert.rejects(env.plan(approved, { from: "draft", answerWaitsFromSource: [7] }), KitaruUsageError);
    const plan = await env.plan(approved, { from: "draft", answerWaitsFromSource: ["approve", "approve"] });
    assert.deepEqual(plan.answerWaitsFromSource, ["approve"]);
  });
});
