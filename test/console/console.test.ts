/**
 * The console in a real headless Chromium (Debian's chromium, driven by
 * puppeteer-core): the seed's content pipeline run, its graph seen, a replay
 * composed from write_draft with the checkpoint.research override and a new
 * topic, the plan checked on the graph, the replay run and followed, the
 * diff seen; a wait answered through its generated form after an invalid
 * answer was refused in place. Screenshots go to test-output/console/.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Page } from "puppeteer-core";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { approvalFlow } from "../fixtures/flows/approval.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { type ConsoleEnv, createConsoleEnv } from "./console-env.ts";

/** The `data-plan` words of the graph node of `invocationId`. */
async function planWords(page: Page, invocationId: string): Promise<string[]> {
  const plan = await page.$eval(`g.node[data-node="${invocationId}"]`, (g) => g.getAttribute("data-plan") ?? "");
  return plan.split(" ").filter(Boolean).sort();
}

/** A form control as the browser code below uses it (this file is type-checked without the DOM library). */
type Control = { value: string; disabled: boolean; dispatchEvent(event: Event): boolean };

/** Sets a text field's value as typing would (an input event). */
async function fill(page: Page, selector: string, value: string): Promise<void> {
  const element = await page.waitForSelector(selector);
  await element!.evaluate((el, v) => {
    const control = el as unknown as Control;
    control.value = v;
    control.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

/** The page's location hash. */
const hash = (page: Page) => page.evaluate("location.hash") as Promise<string>;

describe("the console in a browser", { timeout: 120_000 }, () => {
  let env: ConsoleEnv;

  before(async () => {
    env = await createConsoleEnv([contentPipeline, approvalFlow]);
  });
  after(async () => {
    await env?.teardown();
  });

  async function waitForStatus(execId: string, status: ExecutionStatus): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { execution } = await env.services.client.getExecution({ execId });
      if (execution?.status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`${execId} never reached status ${ExecutionStatus[status]}`);
  }

  it("shows the content pipeline's graph, draws a replay plan, runs it and shows the diff", async () => {
    const { page } = env;
    const started = await env.services.client.startExecution({ flowName: "content_pipeline", input: { topic: "tides" } });
    const source = started.execution!.execId;
    await waitForStatus(source, ExecutionStatus.COMPLETED);

    // The list shows it; its link opens the execution.
    await page.goto(env.console.url);
    await page.waitForSelector(`tr[data-exec-id="${source}"] [data-status="completed"]`);
    await env.screenshot("01-executions");
    await page.click(`tr[data-exec-id="${source}"] a`);

    // The graph: three calls, data edges between them.
    for (const id of ["research", "write_draft", "publish"]) await page.waitForSelector(`g.node[data-node="${id}"][data-status="completed"]`);
    const edges = await page.$$eval("path.edge", (paths) =>
      paths.map((p) => `${p.getAttribute("data-from")}>${p.getAttribute("data-to")}:${p.getAttribute("class")}`),
    );
    assert.ok(edges.includes("research>write_draft:edge edge-data"), edges.join(", "));
    await page.click('g.node[data-node="write_draft"]');
    await page.waitForSelector('.call-details[data-call="write_draft"]');
    const details = await page.$eval(".call-details", (d) => d.textContent ?? "");
    assert.match(details, /draft about tides from \[notes on tides\]/);
    await env.screenshot("02-graph");

    // Compose: from write_draft (clicked on the graph), a new topic, an override on a call that does not exist first.
    await page.click("#tab-replay");
    await page.click('g.node[data-node="write_draft"]');
    assert.equal(await page.$eval("#replay-from", (i) => (i as unknown as Control).value), "write_draft");
    await fill(page, "#replay-input", JSON.stringify({ topic: "storms" }));
    await page.click("#override-add");
    await fill(page, ".override-row .override-key", "checkpoint.nope");
    await fill(page, ".override-row .override-value", JSON.stringify("notes from the archive"));
    // The error the replay would get, before anything is created.
    const planError = await page.waitForSelector("[data-plan-error]");
    assert.match((await planError!.evaluate((e) => e.textContent)) ?? "", /nope/);
    assert.equal(await page.$eval("#replay-run", (b) => (b as unknown as Control).disabled), true);
    const before = await env.services.client.listExecutions({});
    await fill(page, ".override-row .override-key", "checkpoint.research");
    await page.waitForSelector("[data-plan-summary]");

    // The plan on the graph: write_draft is the root and re-runs with publish; research's recorded output is
    // not used: the override lands on it and write_draft reads it.
    assert.deepEqual(await planWords(page, "write_draft"), ["consumer", "from", "re-executed", "root"]);
    assert.deepEqual(await planWords(page, "publish"), ["re-executed"]);
    assert.ok((await planWords(page, "research")).includes("override"), (await planWords(page, "research")).join(" "));
    assert.equal(
      await page.$eval('[data-plan-override="checkpoint.research"]', (d) => d.textContent ?? ""),
      'lands on research; read by write_draft = "notes from the archive"',
    );
    assert.equal((await env.services.client.listExecutions({})).executions.length, before.executions.length, "planning created no execution");
    await env.screenshot("03-replay-plan");

    // Run it: the page opens the new execution and follows it to the end.
    await page.click("#replay-run");
    await page.waitForFunction(`location.hash.startsWith("#/executions/") && !location.hash.endsWith(${JSON.stringify(source)})`);
    const replay = decodeURIComponent((await hash(page)).split("/").pop()!);
    await page.waitForSelector('.execution-header [data-status="completed"]');
    await page.waitForSelector('g.node[data-node="research"].marker-overridden');

    // The diff beside the lineage: research overridden, the rest re-executed with changed outputs.
    await page.waitForSelector(`li[data-lineage="${source}"] li[data-lineage="${replay}"]`);
    // (The diff is read again as the replay runs; wait for the one of the finished replay.)
    const expectedKinds = ["research:overridden", "write_draft:changed output", "publish:changed output"];
    const kindsNow = `[...document.querySelectorAll("tr[data-diff-call]")].map((r) => r.dataset.diffCall + ":" + r.dataset.kind).join(",")`;
    await page.waitForFunction(`${kindsNow} === ${JSON.stringify(expectedKinds.join(","))}`).catch(async (error: unknown) => {
      assert.fail(`diff kinds: ${await page.evaluate(kindsNow)} (${String(error)})`);
    });
    const writeDraftChanges = await page.$eval('tr[data-diff-call="write_draft"]', (r) => r.textContent ?? "");
    assert.match(writeDraftChanges, /notes from the archive/);
    await env.screenshot("04-replay-and-diff");
  });

  it("answers a wait through the form generated from its schema, with the runner's validation errors in place", async () => {
    const { page } = env;
    const started = await env.services.client.startExecution({ flowName: "approval", input: { topic: "tides" } });
    const execId = started.execution!.execId;
    await waitForStatus(execId, ExecutionStatus.WAITING);
    await page.goto(`${env.console.url}#/executions/${execId}`);
    const form = await page.waitForSelector('form[data-wait="approve"]');
    assert.ok(form);
    // An invalid answer first: an empty reviewer (the schema wants at least one character).
    await page.click('form[data-wait="approve"] input[name="approved"]');
    await page.click('form[data-wait="approve"] button[type="submit"]');
    await page.waitForFunction(`(document.querySelector('[data-error-for="reviewer"]')?.textContent ?? "") !== ""`);
    const fieldError = await page.$eval('[data-error-for="reviewer"]', (e) => e.textContent ?? "");
    assert.ok(fieldError.length > 0);
    await env.screenshot("05-wait-validation");
    const { execution: stillWaiting } = await env.services.client.getExecution({ execId });
    assert.equal(stillWaiting?.status, ExecutionStatus.WAITING);

    // Where things are while it waits: a live status change must not move them.
    const titleBefore = await (await page.$(".execution-header h1"))!.boundingBox();
    const graphBefore = await (await page.$(".graph"))!.boundingBox();

    await page.type('form[data-wait="approve"] input[name="reviewer"]', "ana");
    await page.click('form[data-wait="approve"] button[type="submit"]');
    await page.waitForSelector('.execution-header [data-status="completed"]');
    await waitForStatus(execId, ExecutionStatus.COMPLETED);
    const { execution } = await env.services.client.getExecution({ execId });
    assert.deepEqual(execution?.result?.kind, { case: "stringValue", value: "published 'draft about tides', approved by ana" });
    await env.screenshot("06-wait-answered");
    assert.deepEqual(await (await page.$(".execution-header h1"))!.boundingBox(), titleBefore, "the title did not move when the status changed");
    assert.deepEqual(await (await page.$(".graph"))!.boundingBox(), graphBefore, "the graph did not move or resize");

    // A large screen: the same page, wider panels.
    await page.setViewport({ width: 2560, height: 1440 });
    await page.goto(`${env.console.url}#/executions`);
    await page.waitForSelector(`tr[data-exec-id="${execId}"]`);
    await env.screenshot("09-executions-large-screen");
    await page.setViewport({ width: 1440, height: 900 });
  });

  it("the waits tab names the execution a replay copied a wait's answer from, and says why another waits", async () => {
    const { page } = env;
    const answered = (await env.services.client.startExecution({ flowName: "approval", input: { topic: "kelp" } })).execution!.execId;
    await waitForStatus(answered, ExecutionStatus.WAITING);
    const asked = { execId: answered, from: "draft", answerWaitsFromSource: ["approve"] };
    await env.services.client.resolveWait({
      execId: answered,
      wait: "approve",
      value: {
        kind: {
          case: "structValue",
          value: { fields: { approved: { kind: { case: "boolValue", value: true } }, reviewer: { kind: { case: "stringValue", value: "ana" } } } },
        },
      },
    });
    await waitForStatus(answered, ExecutionStatus.COMPLETED);
    const copied = (await env.services.plannerClient.replayExecution(asked)).execution!.execId;
    await waitForStatus(copied, ExecutionStatus.COMPLETED);
    await page.goto(`${env.console.url}#/executions/${copied}`);
    await page.waitForSelector('.execution-header [data-status="completed"]');
    await page.click("#tab-waits");
    const line = await page.waitForSelector('.copied-answer[data-wait="approve"]');
    assert.equal(await line!.evaluate((e) => e.textContent), `approve: answered, copied from execution ${answered}`);

    // A source still waiting has no answer to copy: the replay waits too, and its form says why.
    const waiting = (await env.services.client.startExecution({ flowName: "approval", input: { topic: "reefs" } })).execution!.execId;
    await waitForStatus(waiting, ExecutionStatus.WAITING);
    const stopped = (await env.services.plannerClient.replayExecution({ ...asked, execId: waiting })).execution!.execId;
    await waitForStatus(stopped, ExecutionStatus.WAITING);
    await page.goto(`${env.console.url}#/executions/${stopped}`);
    const note = await page.waitForSelector('form[data-wait="approve"] .source-answer-note');
    assert.equal(await note!.evaluate((e) => e.textContent), `Not answered from execution ${waiting}: its wait 'approve' was never answered.`);
    await env.screenshot("10-wait-not-answered-from-source");
  });
});
