/**
 * The console's Jobs pages in a real headless Chromium: a replay job started
 * through the planner appears in the jobs list; its page shows the totals,
 * each source's replay, result change (with the JSON diff), call counts and
 * the typed error of a source that could not be replayed; a row's links open
 * the replay's graph and its diff. A second job is followed live and
 * cancelled from the page. A third is planned and started from the list's
 * form. Screenshots go to test-output/console/.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "puppeteer-core";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { sleepingFlow } from "../fixtures/flows/observability.ts";
import { eventually } from "../support/runner-env.ts";
import { finishedExecution } from "../support/services-env.ts";
import { type ConsoleEnv, createConsoleEnv } from "./console-env.ts";

/** The text of the element `selector` matches, once it reads `expected` (fails with what it read instead). */
async function waitForText(page: Page, selector: string, expected: string): Promise<void> {
  const read = `document.querySelector(${JSON.stringify(selector)})?.textContent ?? ""`;
  await page.waitForFunction(`${read} === ${JSON.stringify(expected)}`, { timeout: 30_000 }).catch(async (error: unknown) => {
    assert.fail(`${selector} reads ${JSON.stringify(await page.evaluate(read))}, not ${JSON.stringify(expected)} (${String(error)})`);
  });
}

const cellText = (page: Page, row: string, column: number) => page.$eval(`${row} td:nth-child(${column})`, (td) => td.textContent ?? "");

describe("the console's replay jobs in a browser", { timeout: 180_000 }, () => {
  let env: ConsoleEnv;

  before(async () => {
    env = await createConsoleEnv([contentPipeline, sleepingFlow]);
  });
  after(async () => {
    await env?.teardown();
  });

  async function completed(topic: string): Promise<string> {
    const { execution } = await env.services.client.startExecution({ flowName: "content_pipeline", input: { topic } });
    const done = await finishedExecution(env.services, execution!.execId);
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    return done.execId;
  }

  it("lists a job; its page shows the totals and, per source, the replay, result diff, calls and typed error, with links", async () => {
    const { page } = env;
    const sources = [await completed("tides"), await completed("storms"), await completed("winds")];
    const missing = "kr-doesnotexist0000";
    const { job } = await env.services.plannerClient.startReplayJob({
      requestId: "console-job",
      spec: {
        selection: { execIds: [sources[0]!, missing, sources[1]!, sources[2]!] },
        from: "write_draft",
        overrides: { "checkpoint.research": "Edited notes" },
      },
    });
    const jobId = job!.jobId;

    // The list shows it; its link opens the job.
    await page.goto(`${env.console.url}#/jobs`);
    await page.waitForSelector(`tr[data-job-id="${jobId}"]`);
    await page.click(`tr[data-job-id="${jobId}"] a`);
    await page.waitForFunction(`location.hash === ${JSON.stringify(`#/jobs/${jobId}`)}`);

    await waitForText(page, ".job-totals", "3 completed, 1 refused, 3 results changed");
    await page.waitForSelector('.execution-header [data-status="succeeded"]');
    assert.equal(await page.$("#job-cancel:not([hidden])"), null, "no Cancel on an ended job");
    assert.deepEqual(await page.$$eval("tr[data-job-item]", (rows) => rows.map((r) => `${r.getAttribute("data-source")}:${r.getAttribute("data-state")}`)), [
      `${sources[0]}:settled`,
      `${missing}:refused`,
      `${sources[1]}:settled`,
      `${sources[2]}:settled`,
    ]);
    const first = 'tr[data-job-item="0"]';
    assert.equal(await cellText(page, first, 4), "completed");
    assert.equal(await cellText(page, first, 5), "changed");
    assert.equal(
      await cellText(page, first, 6),
      // (each side cut at 50 characters, as in the diff view)
      '"published: draft about tides from [notes on tide… → "published: draft about tides from [Edited notes]"',
    );
    assert.equal(await cellText(page, first, 7), "0 reused · 0 re-executed · 3 changed");
    const refused = 'tr[data-job-item="1"]';
    assert.equal(await cellText(page, refused, 3), "–", "nothing was created for it");
    assert.match(await cellText(page, refused, 8), /^KitaruNotFoundError: .*kr-doesnotexist0000/);
    await env.screenshot("10-replay-job");

    // The changed-only filter keeps the three changed results.
    await page.click("#job-changed-only");
    assert.equal((await page.$$("tr[data-job-item]")).length, 3);
    await page.click("#job-changed-only");

    // A row's links: the replay's graph, then its diff with the source.
    const replay = await page.$eval(`${first} a[data-link="graph"]`, (a) => a.textContent ?? "");
    await page.click(`${first} a[data-link="graph"]`);
    await page.waitForFunction(`location.hash === ${JSON.stringify(`#/executions/${replay}`)}`);
    await page.waitForSelector('g.node[data-node="research"].marker-overridden');
    await page.goBack();
    await page.waitForSelector(`${first} a[data-link="diff"]`);
    await page.click(`${first} a[data-link="diff"]`);
    await page.waitForFunction(`location.hash === ${JSON.stringify(`#/executions/${replay}?diff`)}`);
    await page.waitForSelector('tr[data-diff-call="research"][data-kind="overridden"]');
    const title = await page.$eval(".diff-title", (p) => p.textContent ?? "");
    assert.equal(title, `${sources[0]} → ${replay}`);
    await env.screenshot("11-replay-job-diff");
  });

  it("follows a running job live and cancels it from its page", async () => {
    const { page } = env;
    const sources: string[] = [];
    for (const label of ["a", "b"]) {
      const { execution } = await env.services.client.startExecution({ flowName: "sleeping", input: { label: `job-${label}` } });
      await env.services.client.cancelExecution({ execId: execution!.execId });
      const read = async () => (await env.services.client.getExecution({ execId: execution!.execId })).execution!;
      assert.equal((await eventually(read, (e) => e.status === ExecutionStatus.CANCELLED)).status, ExecutionStatus.CANCELLED);
      sources.push(execution!.execId);
    }
    const { job } = await env.services.plannerClient.startReplayJob({ spec: { selection: { execIds: sources }, from: "sleeper", concurrency: 1 } });
    const jobId = job!.jobId;
    await page.goto(`${env.console.url}#/jobs/${jobId}`);
    await waitForText(page, ".job-totals", "1 running, 1 pending, 0 results changed");
    await page.waitForSelector('tr[data-job-item="0"] [data-status="running"]');
    await env.screenshot("12-replay-job-running");

    await page.click("#job-cancel");
    await waitForText(page, ".job-totals", "1 running, 1 skipped, 0 results changed");
    const replay = (await env.services.plannerClient.listReplayJobItems({ jobId })).items[0]!.replayExecId;
    await env.services.client.cancelExecution({ execId: replay });
    // The watch brings the end: the started replay settled cancelled, the job ended cancelled.
    await waitForText(page, ".job-totals", "1 cancelled, 1 skipped, 0 results changed");
    await page.waitForSelector('.execution-header [data-status="cancelled"]');
    await page.waitForSelector('tr[data-job-item="1"][data-state="skipped"]');
  });

  it("plans a job from the list's form, a row per source, then starts it and follows it to its end", async () => {
    const { page } = env;
    // The three newest completed content_pipeline executions: limit 3 selects exactly these.
    const sources = [await completed("rivers"), await completed("lakes"), await completed("seas")];
    await page.goto(`${env.console.url}#/jobs`);
    await page.click(".job-form summary");
    await page.type("#job-form-flow", "content_pipeline");
    await page.click("#job-form-status-completed");
    await page.type("#job-form-limit", "3");
    await page.type("#job-form-from", "write_draft");

    // Overrides are checked before anything is sent.
    await page.type("#job-form-overrides", '["not", "an object"]');
    await page.click("#job-form-plan");
    await waitForText(page, "#job-form-message", 'overrides: must be a JSON object such as {"checkpoint.research": "Edited notes"}');
    await page.evaluate(`document.querySelector("#job-form-overrides").value = ""`);

    await page.click("#job-form-plan");
    await waitForText(page, ".plan-headline", "3 sources: 3 planned, 0 refused");
    assert.deepEqual(
      await page.$$eval("tr[data-plan-item]", (rows) =>
        rows.map((r) => [r.getAttribute("data-source"), r.getAttribute("data-state"), ...[...r.querySelectorAll("td.num")].map((td) => td.textContent)]),
      ),
      // Newest first; write_draft and publish run again, research is reused.
      [...sources].reverse().map((execId) => [execId, "planned", "2", "1"]),
    );
    assert.equal(await page.$eval("#job-form-message", (p) => p.textContent), "");
    await env.screenshot("13-replay-job-form-plan");

    await page.click("#job-form-start");
    await page.waitForFunction(`/^#\\/jobs\\/[^/]+$/.test(location.hash)`, { timeout: 30_000 });
    const jobId = decodeURIComponent((await page.evaluate("location.hash")) as string).slice("#/jobs/".length);
    const { job } = await env.services.plannerClient.getReplayJob({ jobId });
    assert.deepEqual([...job!.sourceExecIds].sort(), [...sources].sort());
    await waitForText(page, ".job-totals", "3 completed, 0 results changed");
    await page.waitForSelector('.execution-header [data-status="succeeded"]');
  });
});
