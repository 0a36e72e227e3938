/**
 * Flow versions in the console, on a real held execution: an article started
 * by an in-process engine of flow version v1 waits for approval; the v1
 * engine stops; the answer goes to the console's runner, which serves v2 (the
 * draft checkpoint renamed), so the resumed body diverges and the execution is
 * held for a runner of v1. The page shows the version, the hold banner with
 * the replay that continues the work on v2, the source and new versions in
 * the replay plan, and "code version changed" in the diff of that replay.
 * Screenshots go to test-output/console/.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as v1 from "../fixtures/flows/deploys/v1.ts";
import * as v2Renamed from "../fixtures/flows/deploys/v2-renamed.ts";
import { createEngineEnv } from "../support/engine-env.ts";
import { eventually } from "../support/runner-env.ts";
import { type ConsoleEnv, createConsoleEnv } from "./console-env.ts";

/** The text of the first element matching `selector`, once there. */
async function textOf(env: ConsoleEnv, selector: string): Promise<string> {
  const element = await env.page.waitForSelector(selector);
  return (await element!.evaluate((e) => e.textContent)) ?? "";
}

describe("flow versions in the console", { timeout: 120_000 }, () => {
  let env: ConsoleEnv;
  let scratch: string;

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-console-versions-"));
    env = await createConsoleEnv([v2Renamed.article], undefined, { flowVersion: "v2" });
  });
  after(async () => {
    await env?.teardown();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** An article started and run to its wait by code of v1, which then stops; its ID. */
  async function waitingOnV1(): Promise<string> {
    const marker = path.join(scratch, "marker.log");
    writeFileSync(marker, "");
    const v1Runner = await createEngineEnv([v1.article, v1.gated], { db: env.services.db, flowVersion: "v1", runnerId: "console-v1" });
    try {
      const execId = await v1Runner.start("article", { marker, topic: "tides" });
      assert.equal((await v1Runner.settled(execId)).execution.state.status, "waiting");
      return execId;
    } finally {
      await v1Runner.teardown();
    }
  }

  it("shows a held execution's versions and banner, the plan's source and new versions, and the code change in the diff", async () => {
    const { page } = env;
    const execId = await waitingOnV1();
    // The answer reaches the runner of v2: it resumes the body, diverges at write_draft and holds the execution.
    await env.services.client.resolveWait({ execId, wait: "approve", value: { kind: { case: "boolValue", value: true } } });
    const held = await eventually(
      async () => (await env.services.client.getExecution({ execId })).execution!,
      (e) => e.versionHold !== undefined,
      20_000,
    );
    assert.equal(held.versionHold?.requiredFlowVersion, "v1");

    await page.goto(`${env.console.url}#/executions/${execId}`);
    await page.waitForSelector('[data-flow-version="v1"][data-flow-version-runs="v1"]');
    const banner = await textOf(env, '[data-version-hold="v1"]');
    assert.match(banner, /^Held: waiting for a runner of flow version v1\./);
    assert.match(banner, /Code of version v2 diverged at write_draft \(call replaced\)/);
    assert.match(banner, /write_draft_v2/);
    assert.match(banner, /Start a runner of flow version v1 to finish it as recorded, or move its work to the new code: /);
    assert.equal(await textOf(env, "[data-replay-command]"), `kitaru executions cancel ${execId} && kitaru executions replay ${execId} --from write_draft`);
    await env.screenshot("10-version-hold");

    // The replay the banner names, composed on the page: v1's record, replayed on v2's code. A replay needs a
    // source that is not running, so the held execution is cancelled first.
    await page.click("#execution-cancel");
    await page.waitForSelector('.execution-header [data-status="cancelled"]');
    assert.equal(await page.$("[data-version-hold]"), null, "a cancelled execution is held no more");
    await page.click("#tab-replay");
    await page.click('g.node[data-node="write_draft"]');
    assert.match(await textOf(env, '[data-plan-versions="v1>v2"]'), /v1 → v2 \(the replay runs on other code than the source\)/);
    await env.screenshot("11-replay-plan-versions");
    await page.click("#replay-run");
    await page.waitForFunction(`location.hash.startsWith("#/executions/") && !location.hash.endsWith(${JSON.stringify(execId)})`);
    const replay = decodeURIComponent(((await page.evaluate("location.hash")) as string).split("/").pop()!);
    await page.waitForSelector('[data-flow-version="v2"]');
    assert.equal(await page.$("[data-version-hold]"), null, "the replay is not held");
    assert.match(await textOf(env, '[data-version-change="v1>v2"]'), /^code version changed: v1 → v2$/);
    await page.waitForSelector(`li[data-lineage="${replay}"] [data-lineage-version="v2"]`);
    await page.waitForSelector(`li[data-lineage="${execId}"] [data-lineage-version="v1"]`);
    await env.screenshot("12-code-version-changed");
  });
});
