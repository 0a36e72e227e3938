import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { starts } from "../fixtures/flows/deploys/marker.ts";
import { runKitaru } from "../setup/kitaru-process.ts";
import { stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { startChildPlanner } from "../support/child-planner.ts";
import { startChildRunner, type ChildRunner } from "./child-runner.ts";

// Issue 16 with real runner processes: versions reported by the runner, a
// SIGKILLed runner's execution taken over by runners of another version, and
// `kitaru executions verify` as a user runs it in CI.

const module = (name: string) => fileURLToPath(new URL(`../fixtures/flows/deploys/${name}.ts`, import.meta.url));
const TIMEOUT = 90_000;

describe("flow versions across runner processes", { timeout: TIMEOUT * 3 }, () => {
  let scratch: string;
  let db: TestDatabase;
  const runners: ChildRunner[] = [];
  const markers: string[] = [];

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-versions-proc-"));
    db = await testDatabase();
  });
  after(async () => {
    for (const file of markers) writeFileSync(`${file}.release`, ""); // lets orphaned slow steps end
    for (const runner of runners) {
      runner.close();
      if (runner.alive()) await runner.kill("SIGKILL");
    }
    db.remove();
    rmSync(scratch, { recursive: true, force: true });
    await stopTestServer();
  });

  function marker(name: string): string {
    const file = path.join(scratch, `${name}.log`);
    writeFileSync(file, "");
    markers.push(file);
    return file;
  }
  const started = (file: string) => starts(readFileSync(file, "utf8"));

  async function runner(moduleName: string, version?: string, args: readonly string[] = []): Promise<ChildRunner> {
    const child = await startChildRunner({
      flowsModule: module(moduleName),
      db,
      args: [...(version === undefined ? [] : ["--flow-version", version]), ...args],
    });
    runners.push(child);
    return child;
  }

  async function stop(child: ChildRunner, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    child.close();
    await child.kill(signal);
  }

  const full = async (child: ChildRunner, execId: string) => (await child.client.getExecution({ execId, view: ExecutionView.FULL })).execution!;

  it("reports a digest of the flows module by default, the same after a restart, another for other sources", async () => {
    const a = await runner("v1");
    const version = (await a.client.listFlows({})).flowVersion;
    assert.match(version, /^src-[0-9a-f]{12}$/);
    assert.match(a.stderr(), new RegExp(`flow version ${version} \\(digest of the flows module and its project imports, 3 files\\)`));
    await stop(a);
    const again = await runner("v1");
    assert.equal((await again.client.listFlows({})).flowVersion, version, "same sources, same version");
    await stop(again);
    const other = await runner("v2-compatible");
    assert.notEqual((await other.client.listFlows({})).flowVersion, version);
    await stop(other);
    const given = await runner("v1", "git-3f9a1c0");
    assert.equal((await given.client.listFlows({})).flowVersion, "git-3f9a1c0");
    assert.match(given.stderr(), /flow version git-3f9a1c0 \(--flow-version \/ KITARU_FLOW_VERSION\)/);
    await stop(given);
  });

  it("a SIGKILLed runner's execution is continued by a compatible version, and held by an incompatible one", async () => {
    // Compatible takeover.
    const a = await runner("v1", "v1");
    const file = marker("kill-compatible");
    const execId = (await a.client.startExecution({ flowName: "gated", input: { marker: file } })).execution!.execId;
    await eventually(
      async () => started(file),
      (counts) => counts["v1:slow_step"] === 1,
      TIMEOUT,
    );
    await stop(a, "SIGKILL");
    writeFileSync(`${file}.release`, "");
    const b = await runner("v2-compatible", "v2");
    const done = await eventually(
      () => full(b, execId),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.deepEqual(
      done.flowVersionRuns.map((run) => run.flowVersion),
      ["v1", "v2"],
    );
    assert.deepEqual(
      done.checkpoints.map((c) => c.name),
      ["research", "slow_step", "publish", "notify"],
    );
    assert.equal(started(file)["v2:research"], undefined, "the recorded call was not run again");
    await stop(b);

    // Incompatible takeover: held for v1, finished by a runner of v1.
    const c = await runner("v1", "v1");
    const file2 = marker("kill-renamed");
    const second = (await c.client.startExecution({ flowName: "gated", input: { marker: file2 } })).execution!.execId;
    await eventually(
      async () => started(file2),
      (counts) => counts["v1:slow_step"] === 1,
      TIMEOUT,
    );
    await stop(c, "SIGKILL");
    const d = await runner("v2-renamed", "v2");
    const held = await eventually(
      () => full(d, second),
      (e) => e.versionHold !== undefined,
      TIMEOUT,
    );
    assert.equal(held.status, ExecutionStatus.RUNNING);
    assert.equal(held.versionHold?.requiredFlowVersion, "v1");
    assert.equal(held.versionHold?.divergence?.invocationId, "research");
    const shown = await runKitaru(["executions", "get", second], { KITARU_RUNNER_URL: `http://${d.address}` });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Status: running \(waiting for a runner of flow version v1\)/);
    assert.match(
      shown.stdout,
      new RegExp(`to continue it on the new code: kitaru executions cancel ${second} && kitaru executions replay ${second} --from research`),
    );
    writeFileSync(`${file2}.release`, "");
    const e = await runner("v1", "v1");
    const finished = await eventually(
      () => full(e, second),
      (x) => x.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.deepEqual(
      finished.checkpoints.map((call) => call.name),
      ["research", "slow_step", "publish"],
    );
    assert.equal(started(file2)["v2:research_v2"], undefined, "v2 ran nothing in place of research");
    await stop(d);
    await stop(e);
  });

  it("`kitaru executions verify` checks waiting executions against new code before a deploy, exit 1 on a divergence", async () => {
    const a = await runner("v1", "v1");
    const file = marker("verify");
    const ids: string[] = [];
    for (const topic of ["one", "two"]) ids.push((await a.client.startExecution({ flowName: "article", input: { marker: file, topic } })).execution!.execId);
    for (const execId of ids)
      await eventually(
        () => full(a, execId),
        (e) => e.status === ExecutionStatus.WAITING,
        TIMEOUT,
      );
    const env = { KITARU_RUNNER_URL: `http://${a.address}` };

    const ok = await runKitaru(["executions", "verify", "--flow", "article", "--status", "waiting", "--flows", module("v2-compatible")], env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^Checked against flow version src-[0-9a-f]{12} \(/);
    for (const execId of ids)
      assert.match(ok.stdout, new RegExp(`${execId} {2}article {2}waiting {2}\\(recorded by v1, 2/2 calls matched\\) {2}compatible: would wait at 'approve'`));
    assert.match(ok.stdout, /2 checked: 2 compatible$/m);

    const bad = await runKitaru(["executions", "verify", ids[0]!, "--flows", module("v2-renamed"), "--flow-version", "v2"], env);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /Checked against flow version v2/);
    assert.match(bad.stdout, /DIVERGED at 'write_draft' \(call replaced\)/);
    assert.match(bad.stdout, new RegExp(`to continue it on this code: kitaru executions replay ${ids[0]} --from write_draft`));

    const json = await runKitaru(["executions", "verify", "--status", "waiting", "-o", "json"], env);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { flow_version: string; items: { verdict: string }[] };
    assert.equal(out.flow_version, "v1", "without --flows, the runner's own code");
    assert.deepEqual(
      out.items.map((item) => item.verdict),
      ["compatible", "compatible"],
    );
    assert.deepEqual(started(file), { "v1:research": 2, "v1:write_draft": 2 }, "verify ran no checkpoint");
    await stop(a);
  });

  it("a replay planned on new code shows the source's version and the new one, and runs on the new one", async () => {
    const a = await runner("v1", "v1");
    const file = marker("replay-versions");
    const source = (await a.client.startExecution({ flowName: "article", input: { marker: file } })).execution!.execId;
    await eventually(
      () => full(a, source),
      (e) => e.status === ExecutionStatus.WAITING,
      TIMEOUT,
    );
    await a.client.resolveWait({ execId: source, wait: "approve", value: { kind: { case: "boolValue", value: true } } });
    await eventually(
      () => full(a, source),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    await stop(a);

    const b = await runner("v2-compatible", "v2");
    const planner = await startChildPlanner({ runnerUrl: `http://${b.address}` });
    try {
      const env = { KITARU_RUNNER_URL: `http://${b.address}`, KITARU_PLANNER_URL: `http://${planner.address}` };
      const plan = await runKitaru(["executions", "replay", source, "--from", "publish", "--plan"], env);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /Flow version: v1 \(source\) → v2 \(replay\): code version changed/);
      const planJson = JSON.parse((await runKitaru(["executions", "replay", source, "--from", "publish", "--plan", "-o", "json"], env)).stdout);
      assert.deepEqual([planJson.item.source_flow_version, planJson.item.flow_version], ["v1", "v2"]);

      const replayed = await runKitaru(["executions", "replay", source, "--from", "publish", "-o", "json"], env);
      assert.equal(replayed.code, 0, replayed.stderr);
      const replayId = JSON.parse(replayed.stdout).item.exec_id as string;
      const replay = await eventually(
        () => full(b, replayId),
        (e) => e.status === ExecutionStatus.WAITING,
        TIMEOUT,
      );
      assert.equal(replay.flowVersion, "v2");
      assert.equal(replay.replay?.sourceFlowVersion, "v1");
      const diff = await runKitaru(["executions", "diff", source, replayId], env);
      assert.equal(diff.code, 0, diff.stderr);
      assert.match(diff.stdout, /flow version: v1 → v2 \(code version changed\)/);
      const tree = await runKitaru(["executions", "tree", replayId], env);
      assert.match(tree.stdout, new RegExp(`${source} .*flow version v1`));
      assert.match(tree.stdout, new RegExp(`${replayId} .*flow version v2`));
    } finally {
      planner.close();
      await planner.kill("SIGTERM");
      await stop(b);
    }
  });
});
