/**
 * A graph of 1,000 calls stays usable: the calls of one checkpoint name are
 * drawn as one group node, which expands into its calls (and collapses
 * again), and the page can be zoomed and panned.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { checkpoint, flow } from "kitaru";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type ConsoleEnv, createConsoleEnv } from "./console-env.ts";

const CALLS = 1000;

const step = checkpoint("step", async (n: number) => n * 2);
const total = checkpoint("total", async (...parts: number[]) => parts.reduce((a, b) => a + b, 0));

/** `step` called 1,000 times, every output handed to `total`. */
const thousandCalls = flow("thousand_calls", { input: z.object({ n: z.number().int() }) }, async ({ n }) => {
  const parts = Array.from({ length: n }, (_, i) => step(i));
  return await total(...parts);
});

describe("a graph of 1,000 calls in the console", { timeout: 180_000 }, () => {
  let env: ConsoleEnv;

  before(async () => {
    env = await createConsoleEnv([thousandCalls]);
  });
  after(async () => {
    await env?.teardown();
  });

  it("is drawn collapsed into a group node that expands, collapses, zooms and pans", async () => {
    const { page } = env;
    const started = await env.services.client.startExecution({ flowName: "thousand_calls", input: { n: CALLS } });
    const execId = started.execution!.execId;
    for (let i = 0; ; i++) {
      const { execution } = await env.services.client.getExecution({ execId });
      if (execution?.status === ExecutionStatus.COMPLETED) break;
      assert.ok(i < 1200, "the flow did not complete");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    let t0 = Date.now();
    await page.goto(`${env.console.url}#/executions/${execId}`);
    await page.waitForSelector('g.node[data-node="group:step"][data-status="completed"]');
    const collapsedMs = Date.now() - t0;
    assert.equal(await page.$$eval("g.node", (nodes) => nodes.length), 2, "one group node and total");
    assert.match(await page.$eval('g.node[data-node="group:step"]', (g) => g.textContent ?? ""), /step ×1000/);
    await env.screenshot("07-thousand-calls-collapsed");

    // Zoom and pan change the view box, not the drawing.
    const viewBox = () => page.$eval("svg.graph-canvas", (s) => s.getAttribute("viewBox"));
    const fitted = await viewBox();
    await page.click('button[aria-label="Zoom in"]');
    assert.notEqual(await viewBox(), fitted);
    const canvas = (await page.$("svg.graph-canvas"))!;
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + 50, box.y + 50);
    await page.mouse.down();
    await page.mouse.move(box.x + 250, box.y + 120, { steps: 5 });
    await page.mouse.up();
    const panned = await viewBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel({ deltaY: 300 });
    assert.notEqual(await viewBox(), panned);

    // Expanding draws every call (keyboard: focus the group, press Enter).
    t0 = Date.now();
    await page.$eval('g.node[data-node="group:step"]', (g) => (g as unknown as { focus(): void }).focus());
    await page.keyboard.press("Enter");
    await page.waitForSelector('g.node[data-node="step_1000"]');
    const expandedMs = Date.now() - t0;
    assert.equal(await page.$$eval("g.node", (nodes) => nodes.length), CALLS + 1);
    // The first calls are shown at full size, readable; Fit shows them all.
    await env.screenshot("08-thousand-calls-expanded");
    const firstCall = (await (await page.$('g.node[data-node="step"]'))!.boundingBox())!;
    assert.ok(firstCall.width > 150 && firstCall.y >= box.y && firstCall.y < box.y + box.height, JSON.stringify(firstCall));
    await page.click('button[title="Fit the graph"]');
    assert.ok(expandedMs < 20_000, `expanding took ${expandedMs} ms`);

    await page.click('button[data-collapse="step"]');
    await page.waitForFunction(`document.querySelectorAll("g.node").length === 2`);
    console.log(`# 1,000 calls: collapsed graph shown in ${collapsedMs} ms, expanded in ${expandedMs} ms`);
  });
});
