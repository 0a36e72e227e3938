// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { chattyFlow, flakyFlow } from "../fixtures/flows/observability.ts";
import { eventually } from "../support/runner-env.ts";

describe("the runner's console: one line per execution started, recovered and ended", () => {
  let env: EngineEnv;
  before(async () => {
    env = await createEngineEnv([chattyFlow, flakyFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  const linesOf = (execId: string) => env.info.filter((line) => line.includes(execId));

  it("says when an execution starts and completes", async () => {
    const execId = await env.start("chatty", { label: "c1" });
    await env.settled(execId);
    await eventually(
      async () => linesOf(execId),
      (lines) => lines.length >= 2,
    );
    const [started, completed] = linesOf(execId);
    assert.equal(started, `execution ${execId} (flow chatty) started`);
    assert.match(completed ?? "", new RegExp(`^execution ${execId} \\(flow chatty\\) completed \\(\\d+\\.\\d s on this runner\\)$`));
  });

  it("says why an execution failed", async () => {
    const execId = await env.start("always_flaky", { label: "c2" });
    await env.settled(execId);
    await eventually(
      async () => linesOf(execId),
      (lines) => lines.length >= 2,
    );
    assert.equal(linesOf(execId)[1], `execution ${execId} (flow always_flaky) failed (user_code in 'flaky'): upstream refused attempt 3`);
  });

  it("says when it recovers an execution whose runner stopped renewing its lease", async () => {
    // An execution claimed by a runner that died at once: its claim expired long ago.
    const execId = "kr-consoletestrecover1";
    const createdAt = new Date();
    await env.store.insertExecution({ execId, flowName: "chatty", input: await env.engine.context.values.save({ label: "c3" }, "The flow input"), createdAt });
    const created = (await env.store.getExecution(execId))!.state;
    const past = new Date(Date.now() - 60_000);
    const claimed = await env.store.appendTransition(execId, created, {
      kind: "claimed",
      status: "running",
      generation: 0,
      at: past,
      claim: { epoch: created.seq + 1, runnerId: "runner-gone", at: past, expiresAt: new Date(past.getTime() + 1000) },
    });
    assert.ok(claimed);
    const view = await env.settled(execId);
    assert.equal(view.execution.state.status, "completed");
    assert.equal(linesOf(execId)[0], `execution ${execId} (flow chatty) recovered: runner runner-gone stopped renewing its lease; continuing from the journal`);
  });
});
