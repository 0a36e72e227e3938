import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import type { RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import type { ExecutionView } from "../../services/runner/src/engine/execution-queries.ts";
import { starts } from "../fixtures/flows/deploys/marker.ts";
import * as v1 from "../fixtures/flows/deploys/v1.ts";
import * as v2Compatible from "../fixtures/flows/deploys/v2-compatible.ts";
import * as v2Renamed from "../fixtures/flows/deploys/v2-renamed.ts";
import { freshDatabaseName, stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { callsById, createEngineEnv, type EngineEnv, type EngineEnvOptions } from "../support/engine-env.ts";
import { eventually } from "../support/runner-env.ts";

// Issue 16 / contract §7: executions that outlive a code change. Engines of
// two flow versions share one store, as runners of a blue/green deploy do.

type Version = { readonly article: RegisteredFlow; readonly gated: RegisteredFlow };

describe("executions across flow versions on one store", () => {
  let scratch: string;
  let db: TestDatabase;
  const envs: EngineEnv[] = [];

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-versions-"));
  });
  afterEach(async () => {
    await Promise.all(envs.splice(0).map((env) => env.teardown()));
    db?.remove();
  });
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await stopTestServer();
  });

  /** A fresh shared database for the test. */
  async function freshStore(): Promise<void> {
    db = await testDatabase(freshDatabaseName("kitaru_versions"));
  }

  /** An engine serving `code` as flow version `version` on the test's store. */
  async function runner(code: Version, version: string, options: Omit<EngineEnvOptions, "db" | "flowVersion"> = {}): Promise<EngineEnv> {
    const env = await createEngineEnv([code.article, code.gated], { db, flowVersion: version, runnerId: `runner-${version}-${envs.length}`, ...options });
    envs.push(env);
    return env;
  }

  async function stop(env: EngineEnv): Promise<void> {
    envs.splice(envs.indexOf(env), 1);
    await env.teardown();
  }

  function marker(name: string): string {
    const file = path.join(scratch, `${name}-${Math.random().toString(36).slice(2)}.log`);
    writeFileSync(file, "");
    return file;
  }

  const started = (file: string) => starts(readFileSync(file, "utf8"));
  const read = (env: EngineEnv, execId: string) => env.engine.getExecution(env.ref(execId), { full: true });
  const names = (view: ExecutionView) => view.calls.map((call) => `${call.name}:${call.status}`);
  const runs = (view: ExecutionView) => (view.execution.state.flowVersionRuns ?? []).map((run) => run.flowVersion);

  /** An article execution started on `env`, waiting for its approval. */
  async function waitingArticle(env: EngineEnv, file: string): Promise<string> {
    const execId = await env.start("article", { marker: file, topic: "agents" });
    assert.equal((await env.settled(execId)).execution.state.status, "waiting");
    return execId;
  }

  it("records the version that started an execution and each version that ran its body", async () => {
    await freshStore();
    const a = await runner(v1, "v1");
    const file = marker("records");
    const execId = await waitingArticle(a, file);
    let view = await read(a, execId);
    assert.equal(view.execution.flowVersion, "v1");
    assert.deepEqual(runs(view), ["v1"]);
    await stop(a);

    const b = await runner(v2Compatible, "v2");
    await b.engine.resolveWait(b.ref(execId), "approve", true);
    view = await b.settled(execId);
    assert.equal(view.execution.state.status, "completed");
    assert.equal(view.execution.flowVersion, "v1", "the version that started it stays");
    assert.deepEqual(runs(view), ["v1", "v2"], "the version that resumed it is added");
  });

  it("a compatible change (new checkpoint after the recorded ones, changed body of an unreached one) resumes and completes", async () => {
    await freshStore();
    const a = await runner(v1, "v1");
    const file = marker("compatible");
    const execId = await waitingArticle(a, file);
    await stop(a);

    const b = await runner(v2Compatible, "v2");
    await b.engine.resolveWait(b.ref(execId), "approve", true);
    const view = await b.settled(execId);
    assert.equal(view.execution.state.status, "completed");
    assert.deepEqual(names(view), ["research:completed", "write_draft:completed", "publish:completed", "notify:completed"]);
    assert.equal(view.result, "published (v2): draft from notes on agents");
    // The recorded calls were answered from the journal, not run again; the new code ran only the new work.
    assert.deepEqual(started(file), { "v1:research": 1, "v1:write_draft": 1, "v2:publish": 1, "v2:notify": 1 });
  });

  it("a renamed checkpoint while waiting never completes mixed: held for a runner of v1, which finishes it", async () => {
    await freshStore();
    const a = await runner(v1, "v1");
    const file = marker("hold");
    const execId = await waitingArticle(a, file);
    await stop(a);

    const b = await runner(v2Renamed, "v2");
    await b.engine.resolveWait(b.ref(execId), "approve", true);
    let view = await eventually(
      () => read(b, execId),
      (v) => v.execution.state.versionHold !== undefined,
    );
    const hold = view.execution.state.versionHold!;
    assert.equal(view.execution.state.status, "running", "held, not failed: a runner of v1 may still continue it");
    assert.equal(hold.requiredFlowVersion, "v1");
    assert.equal(hold.divergence.kind, "call_replaced");
    assert.equal(hold.divergence.invocationId, "write_draft");
    assert.equal(hold.divergence.recordedFlowVersion, "v1");
    assert.equal(hold.divergence.flowVersion, "v2");
    assert.equal(hold.divergence.replayFrom, "write_draft");
    assert.equal(
      hold.divergence.replayCommand,
      `kitaru executions cancel ${execId} && kitaru executions replay ${execId} --from write_draft`,
      "a held execution is cancelled before its work is moved, or a runner of v1 could still run it too",
    );
    assert.match(hold.divergence.seen, /write_draft_v2/);
    assert.deepEqual(names(view), ["research:completed", "write_draft:completed"], "v2 recorded nothing");
    assert.deepEqual(runs(view), ["v1"], "the diverging run is not counted as a run of the body");
    assert.ok(
      b.info.some((line) => line.includes(`execution ${execId}`) && line.includes("held for a runner of flow version v1")),
      b.info.join("\n"),
    );

    // v2 leaves it alone (no second claim, nothing run) while it stays held.
    await new Promise((resolve) => setTimeout(resolve, 500));
    view = await read(b, execId);
    assert.equal(view.execution.state.versionHold?.requiredFlowVersion, "v1");
    assert.deepEqual(started(file), { "v1:research": 1, "v1:write_draft": 1 }, "v2 ran no checkpoint");
    assert.equal(b.info.filter((line) => line.includes(`execution ${execId}`) && line.includes("held")).length, 1);

    const c = await runner(v1, "v1");
    view = await c.settled(execId, ["completed", "failed", "cancelled"]);
    assert.equal(view.execution.state.status, "completed");
    assert.equal(view.execution.state.versionHold, undefined, "the hold ends when a runner of v1 claims it");
    assert.deepEqual(names(view), ["research:completed", "write_draft:completed", "publish:completed"]);
    assert.equal(view.result, "published: draft from notes on agents");
    assert.deepEqual(started(file), { "v1:research": 1, "v1:write_draft": 1, "v1:publish": 1 });
  });

  it("the hold's commands move the work to the new code: a held execution is cancelled, then replayed", async () => {
    await freshStore();
    const a = await runner(v1, "v1");
    const file = marker("move");
    const execId = await waitingArticle(a, file);
    await stop(a);
    const b = await runner(v2Renamed, "v2");
    await b.engine.resolveWait(b.ref(execId), "approve", true);
    const held = await eventually(
      () => read(b, execId),
      (v) => v.execution.state.versionHold !== undefined,
    );
    // Replaying it while it is held is refused, naming the way out (the runner's check, behind the planner's).
    const planned = await b.plan(execId, { from: "write_draft" }).catch((error: unknown) => error);
    assert.match(String(planned), /Replay requires a non-running source execution/);
    await assert.rejects(
      b.engine.startReplay(
        {
          sourceExecId: execId,
          flowName: "article",
          from: "write_draft",
          roots: [],
          reuse: [],
          overrides: [],
          input: held.execution.input as never,
          sourceVersion: 0,
        },
        { namespace: b.ref(execId).namespace, validateOnly: true },
      ),
      new RegExp(`held for a runner of flow version v1: cancel it first \\(kitaru executions cancel ${execId}\\), then replay it`),
    );
    // The hold's commands: cancel, then replay from write_draft on v2.
    assert.equal((await b.engine.cancel(b.ref(execId))).execution.state.status, "cancelled");
    const replayed = await b.replay(execId, { from: "write_draft" });
    assert.equal((await b.settled(replayed)).execution.state.status, "waiting");
    await b.engine.resolveWait(b.ref(replayed), "approve", true);
    const done = await b.settled(replayed, ["completed", "failed", "cancelled"]);
    assert.equal(done.execution.state.status, "completed");
    assert.deepEqual(names(done), ["research:reused", "write_draft_v2:completed", "publish:completed"]);
    assert.deepEqual(started(file), { "v1:research": 1, "v1:write_draft": 1, "v2:write_draft_v2": 1, "v2:publish": 1 });
  });

  it("with --on-resume-divergence fail, the rename fails the execution with a divergence naming both versions and the replay", async () => {
    await freshStore();
    const a = await runner(v1, "v1");
    const file = marker("fail");
    const execId = await waitingArticle(a, file);
    await stop(a);

    const b = await runner(v2Renamed, "v2", { onResumeDivergence: "fail" });
    await b.engine.resolveWait(b.ref(execId), "approve", true);
    const view = await b.settled(execId, ["completed", "failed", "cancelled"]);
    assert.equal(view.execution.state.status, "failed");
    const failure = view.execution.state.failure!;
    assert.equal(failure.origin, "divergence");
    assert.equal(failure.exceptionType, "KitaruDivergenceError");
    assert.equal(failure.divergence?.kind, "call_replaced");
    assert.equal(failure.divergence?.invocationId, "write_draft");
    assert.equal(failure.divergence?.recordedFlowVersion, "v1");
    assert.equal(failure.divergence?.flowVersion, "v2");
    assert.equal(failure.divergence?.replayCommand, `kitaru executions replay ${execId} --from write_draft`);
    assert.match(failure.message, /recorded by flow version v1, run by v2/);
    assert.match(failure.message, new RegExp(`kitaru executions replay ${execId} --from write_draft`));
    assert.deepEqual(names(view), ["research:completed", "write_draft:completed"], "nothing ran in place of write_draft");
    assert.deepEqual(started(file), { "v1:research": 1, "v1:write_draft": 1 });

    // The suggested replay continues the work on v2: research reused, the renamed step runs, the wait is asked again.
    const replayed = await b.replay(execId, { from: "write_draft" });
    let replay = await b.settled(replayed);
    assert.equal(replay.execution.state.status, "waiting");
    assert.equal(replay.execution.flowVersion, "v2");
    assert.equal(replay.execution.replay?.sourceFlowVersion, "v1");
    await b.engine.resolveWait(b.ref(replayed), "approve", true);
    replay = await b.settled(replayed, ["completed", "failed", "cancelled"]);
    assert.equal(replay.execution.state.status, "completed");
    const calls = callsById(replay);
    assert.equal(calls.get("research")?.status, "reused");
    assert.equal(calls.get("write_draft_v2")?.status, "completed");
    assert.equal(replay.result, "published: draft from notes on agents");
  });

  it("a crash-recovery takeover by another version: compatible code continues from the journal, incompatible code holds it", async () => {
    await freshStore();
    // Compatible: v1 runs `gated` into its slow step and stops (its claim handed back); v2 continues.
    const a = await runner(v1, "v1");
    const file = marker("takeover");
    const execId = await a.start("gated", { marker: file, topic: "t" });
    await eventually(
      async () => started(file),
      (counts) => counts["v1:slow_step"] === 1,
    );
    await stop(a);
    writeFileSync(`${file}.release`, "");
    const b = await runner(v2Compatible, "v2");
    const view = await b.settled(execId, ["completed", "failed", "cancelled"]);
    assert.equal(view.execution.state.status, "completed");
    assert.deepEqual(runs(view), ["v1", "v2"]);
    assert.deepEqual(names(view), ["research:completed", "slow_step:completed", "publish:completed", "notify:completed"]);
    // slow_step was in flight (never recorded): v2 ran it; research was recorded: not run again.
    assert.equal(started(file)["v2:research"], undefined);
    assert.equal(started(file)["v2:slow_step"], 1);
    await stop(b); // else this compatible runner would take the next execution over too

    // Incompatible: v1 records research and stops in slow_step; v2 renamed research: held for v1.
    const c = await runner(v1, "v1");
    const file2 = marker("takeover-renamed");
    const second = await c.start("gated", { marker: file2, topic: "t" });
    await eventually(
      async () => started(file2),
      (counts) => counts["v1:slow_step"] === 1,
    );
    await stop(c);
    const d = await runner(v2Renamed, "v2");
    const held = await eventually(
      () => read(d, second),
      (v) => v.execution.state.versionHold !== undefined,
    );
    assert.equal(held.execution.state.versionHold?.divergence.kind, "call_replaced");
    assert.equal(held.execution.state.versionHold?.divergence.invocationId, "research");
    assert.equal(started(file2)["v2:research_v2"], undefined, "v2 ran nothing in place of research");
    writeFileSync(`${file2}.release`, "");
    const e = await runner(v1, "v1");
    const done = await e.settled(second, ["completed", "failed", "cancelled"]);
    assert.equal(done.execution.state.status, "completed");
    assert.deepEqual(names(done), ["research:completed", "slow_step:completed", "publish:completed"]);
  });

  it("runners of two incompatible versions on one store each complete their own executions, whoever answers the waits", async () => {
    await freshStore();
    const a = await runner(v1, "v1");
    const b = await runner(v2Renamed, "v2");
    const file = marker("blue-green");
    const mine = { v1: [] as string[], v2: [] as string[] };
    for (let i = 0; i < 3; i++) {
      mine.v1.push(await a.start("article", { marker: file, topic: `a${i}` }));
      mine.v2.push(await b.start("article", { marker: file, topic: `b${i}` }));
    }
    for (const execId of [...mine.v1, ...mine.v2]) assert.equal((await a.settled(execId)).execution.state.status, "waiting");
    // Each wait answered through the runner of the *other* version: it resumes there first, diverges, and is held.
    for (const execId of mine.v1) await b.engine.resolveWait(b.ref(execId), "approve", true);
    for (const execId of mine.v2) await a.engine.resolveWait(a.ref(execId), "approve", true);
    for (const [version, ids] of Object.entries(mine)) {
      for (const execId of ids) {
        const view = await a.settled(execId, ["completed", "failed", "cancelled"]);
        assert.equal(view.execution.state.status, "completed", `${execId} of ${version}`);
        assert.equal(view.execution.flowVersion, version);
        assert.deepEqual(runs(view), [version], `${execId} ran on ${version} only`);
        const draft = version === "v1" ? "write_draft" : "write_draft_v2";
        assert.deepEqual(names(view), ["research:completed", `${draft}:completed`, "publish:completed"]);
      }
    }
    const counts = started(file);
    assert.equal(counts["v1:publish"], 3);
    assert.equal(counts["v2:publish"], 3);
    assert.equal(counts["v1:write_draft_v2"], undefined);
    assert.equal(counts["v2:write_draft"], undefined);
  });

  it("an execution recorded before flow versions resumes under the guard: compatible code continues, a divergence fails it", async () => {
    await freshStore();
    const a = await runner(v1, "v1");
    const file = marker("legacy");
    const compatible = await waitingArticle(a, file);
    const diverging = await waitingArticle(a, file);
    await stop(a);
    // What a runner from before flow versions left: no versions in the record or its state.
    const store = await db.open();
    try {
      for (const execId of [compatible, diverging]) {
        const current = (await store.getExecution(execId))!;
        const { flowVersionRuns: _runs, seq: _seq, ...legacy } = current.state;
        assert.ok(await store.appendTransition(execId, current.state, legacy));
        assert.equal((await store.getExecution(execId))!.state.flowVersionRuns, undefined);
      }
    } finally {
      await store.close();
    }

    const b = await runner(v2Compatible, "v2");
    await b.engine.resolveWait(b.ref(compatible), "approve", true);
    const done = await b.settled(compatible, ["completed", "failed", "cancelled"]);
    assert.equal(done.execution.state.status, "completed");
    assert.deepEqual(runs(done), ["v2"]);
    await stop(b);

    const c = await runner(v2Renamed, "v2");
    await c.engine.resolveWait(c.ref(diverging), "approve", true);
    const failed = await c.settled(diverging, ["completed", "failed", "cancelled"]);
    assert.equal(failed.execution.state.status, "failed", "no version to hold it for");
    assert.equal(failed.execution.state.failure?.divergence?.kind, "call_replaced");
    assert.equal(failed.execution.state.failure?.divergence?.recordedFlowVersion, undefined);
    assert.equal(failed.execution.state.failure?.divergence?.flowVersion, "v2");
    assert.match(failed.execution.state.failure!.message, /recorded by flow version \(unknown\), run by v2/);
  });
});
