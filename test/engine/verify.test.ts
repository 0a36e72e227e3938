import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import type { ExecutionVerification } from "#contract/execution-verification.ts";
import { flow } from "../../services/runner/src/authoring/index.ts";
import type { RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import * as v1 from "../fixtures/flows/deploys/v1.ts";
import * as v2Compatible from "../fixtures/flows/deploys/v2-compatible.ts";
import * as v2Inserted from "../fixtures/flows/deploys/v2-inserted.ts";
import * as v2Renamed from "../fixtures/flows/deploys/v2-renamed.ts";
import * as v2Rewired from "../fixtures/flows/deploys/v2-rewired.ts";
import * as v2WaitRenamed from "../fixtures/flows/deploys/v2-wait-renamed.ts";
import { freshDatabaseName, stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";

// Issue 16 / contract §7: `verify` checks recorded executions against flow
// code without running a checkpoint or writing anything.

describe("verifying recorded executions against flow code", () => {
  let scratch: string;
  let db: TestDatabase;
  let recorder: EngineEnv;
  let marker: string;
  /** article executions of v1: waiting for approval, and completed. */
  let waiting: string;
  let completed: string;
  let rejected: string;
  const checkers: EngineEnv[] = [];

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-verify-"));
    marker = path.join(scratch, "marker.log");
    writeFileSync(marker, "");
    db = await testDatabase(freshDatabaseName("kitaru_verify"));
    recorder = await createEngineEnv([v1.article, v1.gated], { db, flowVersion: "v1", runnerId: "recorder" });
    waiting = await recorder.start("article", { marker, topic: "waiting" });
    completed = await recorder.start("article", { marker, topic: "completed" });
    rejected = await recorder.start("article", { marker, topic: "rejected" });
    for (const execId of [waiting, completed, rejected]) assert.equal((await recorder.settled(execId)).execution.state.status, "waiting");
    await recorder.engine.resolveWait(recorder.ref(completed), "approve", true);
    await recorder.engine.resolveWait(recorder.ref(rejected), "approve", false);
    assert.equal((await recorder.settled(completed, ["completed"])).execution.state.status, "completed");
    assert.equal((await recorder.settled(rejected, ["completed"])).execution.state.status, "completed");
  });
  after(async () => {
    for (const env of checkers) await env.teardown();
    await recorder.teardown();
    db.remove();
    rmSync(scratch, { recursive: true, force: true });
    await stopTestServer();
  });

  /** An engine on the same store serving `flows` as version `version` (its scheduler finds nothing to run). */
  async function checker(flows: readonly RegisteredFlow[], version: string): Promise<EngineEnv> {
    const env = await createEngineEnv(flows, { db, flowVersion: version, runnerId: `checker-${checkers.length}` });
    checkers.push(env);
    return env;
  }

  async function verifyOne(env: EngineEnv, execId: string): Promise<ExecutionVerification> {
    const page = await env.engine.verify({ namespace: env.ref(execId).namespace, execIds: [execId] });
    assert.equal(page.results.length, 1);
    return page.results[0]!;
  }

  it("compatible code: a waiting execution would wait again, a completed one would run only what was added", async () => {
    const env = await checker([v2Compatible.article, v2Compatible.gated], "v2");
    const pending = await verifyOne(env, waiting);
    assert.equal(pending.verdict, "compatible");
    assert.equal(pending.outcome, "would wait at 'approve'");
    assert.equal(pending.recordedFlowVersion, "v1");
    assert.deepEqual([pending.matchedCalls, pending.recordedCalls], [2, 2]);
    const done = await verifyOne(env, completed);
    assert.equal(done.verdict, "compatible");
    assert.equal(done.outcome, "would run checkpoint 'notify' ('notify') next");
    assert.deepEqual([done.matchedCalls, done.recordedCalls], [3, 3]);
    const no = await verifyOne(env, rejected);
    assert.equal(no.verdict, "compatible");
    assert.equal(no.outcome, "would complete", "the recorded answer `false` was given back to the body");
  });

  it("the same code is compatible with every execution it recorded", async () => {
    const env = await checker([v1.article, v1.gated], "v1");
    const page = await env.engine.verify({ namespace: env.ref(waiting).namespace, flowName: "article" });
    assert.deepEqual(
      page.results.map((r) => [r.execId, r.verdict]),
      [rejected, completed, waiting].map((id) => [id, "compatible"]),
      "newest first",
    );
    assert.equal(page.flowVersion, "v1");
  });

  it("names each kind of divergence with both versions and the replay that continues the work on the new code", async () => {
    const cases: [string, readonly RegisteredFlow[], string, string, string | undefined][] = [
      ["renamed checkpoint", [v2Renamed.article], "call_replaced", "write_draft", "write_draft"],
      ["inserted checkpoint", [v2Inserted.article], "call_replaced", "write_draft", "write_draft"],
      ["changed dependency", [v2Rewired.article], "dependencies_changed", "write_draft", "write_draft"],
      ["renamed wait", [v2WaitRenamed.article], "wait_changed", "approval", undefined],
    ];
    for (const [what, flows, kind, at, from] of cases) {
      const env = await checker(flows, "v2");
      const result = await verifyOne(env, waiting);
      assert.equal(result.verdict, "diverged", what);
      assert.equal(result.divergence?.kind, kind, what);
      assert.equal(result.divergence?.invocationId, at, what);
      assert.equal(result.divergence?.recordedFlowVersion, "v1", what);
      assert.equal(result.divergence?.flowVersion, "v2", what);
      assert.equal(result.divergence?.replayFrom, from, what);
      assert.equal(result.divergence?.replayCommand, from === undefined ? undefined : `kitaru executions replay ${waiting} --from ${from}`, what);
    }
  });

  it("reports code that would fail, and flows the code does not serve", async () => {
    const stricter = flow("article", { input: z.object({ marker: z.string(), topic: z.string(), audience: z.string() }) }, async () => "never");
    const env = await checker([stricter, v1.gated], "v3");
    const result = await verifyOne(env, waiting);
    assert.equal(result.verdict, "failed");
    assert.match(result.outcome, /^the recorded input no longer matches the flow's input schema: /);
    const other = await checker([v1.gated], "v4");
    const skipped = await verifyOne(other, waiting);
    assert.equal(skipped.verdict, "skipped");
    assert.match(skipped.outcome, /flow 'article' is not in this code \(it serves: gated\)/);
  });

  it("runs no checkpoint and writes nothing", async () => {
    const before = readFileSync(marker, "utf8");
    const states = await Promise.all([waiting, completed, rejected].map((id) => recorder.engine.getExecution(recorder.ref(id), { full: true })));
    const env = await checker([v2Compatible.article, v2Compatible.gated], "v2");
    await env.engine.verify({ namespace: env.ref(waiting).namespace, flowName: "article" });
    await checker([v2Renamed.article], "v5").then((e) => e.engine.verify({ namespace: e.ref(waiting).namespace, execIds: [waiting, completed] }));
    assert.equal(readFileSync(marker, "utf8"), before, "no checkpoint function ran");
    for (const [i, id] of [waiting, completed, rejected].entries()) {
      const now = await recorder.engine.getExecution(recorder.ref(id), { full: true });
      assert.equal(now.execution.state.seq, states[i]!.execution.state.seq, "no state change");
      assert.equal(now.calls.length, states[i]!.calls.length, "no call recorded");
      assert.deepEqual(now.execution.state.flowVersionRuns, states[i]!.execution.state.flowVersionRuns);
    }
  });

  it("selects by status and pages; refuses IDs with a filter, and unknown IDs", async () => {
    const env = await checker([v1.article, v1.gated], "v1");
    const { namespace } = env.ref(waiting);
    const waitingOnly = await env.engine.verify({ namespace, status: "waiting" });
    assert.deepEqual(
      waitingOnly.results.map((r) => r.execId),
      [waiting],
    );
    const first = await env.engine.verify({ namespace, flowName: "article", pageSize: 2 });
    assert.equal(first.results.length, 2);
    assert.notEqual(first.nextPageToken, "");
    const second = await env.engine.verify({ namespace, flowName: "article", pageSize: 2, pageToken: first.nextPageToken });
    assert.deepEqual(
      second.results.map((r) => r.execId),
      [waiting],
    );
    await assert.rejects(env.engine.verify({ namespace, execIds: [waiting], status: "waiting" }), KitaruUsageError);
    await assert.rejects(env.engine.verify({ namespace, execIds: ["kr-nosuchexecution"] }), KitaruNotFoundError);
    await assert.rejects(
      env.engine.verify({ namespace: "another", execIds: [waiting] }),
      KitaruNotFoundError,
      "another namespace's execution reads as not found",
    );
  });
});
