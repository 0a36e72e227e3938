import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import {
  KitaruClient,
  KitaruDivergenceError,
  KitaruPendingWaitError,
  KitaruStateError,
  KitaruUsageError,
  KitaruUserCodeError,
} from "../../clients/ts/src/index.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { contentPipeline as changedPipeline } from "../fixtures/flows/content-pipeline-with-validation.ts";
import { reviewedPipeline } from "../fixtures/flows/reviewed-pipeline.ts";
import { chattyFlow } from "../fixtures/flows/observability.ts";
import { outage, publishOutage } from "../fixtures/flows/publish-outage.ts";
import { stopTestServer } from "../support/database.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function urls(env: ServicesEnv) {
  return { runnerUrl: `http://${env.runner.address}`, plannerUrl: `http://${env.planner.address}` };
}

/** Runs the real `kitaru` command against the test services. */
function kitaru(env: ServicesEnv, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { runnerUrl, plannerUrl } = urls(env);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, "bin", "kitaru.mjs"), ...args], {
      env: { ...process.env, KITARU_RUNNER_URL: runnerUrl, KITARU_PLANNER_URL: plannerUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the typed client and the CLI against the real services", () => {
  let env: ServicesEnv;
  let client: KitaruClient;
  before(async () => {
    env = await createServicesEnv([contentPipeline, reviewedPipeline, chattyFlow, publishOutage]);
    client = new KitaruClient(urls(env));
  });
  after(async () => {
    await client.close();
    await env.teardown();
    await stopTestServer();
  });

  it("runs and replays through flow objects, and the handle gives the result", async () => {
    const original = await contentPipeline.run({ topic: "Flows" }, { client });
    assert.equal(await original.wait(), "published: draft about Flows from [notes on Flows]");
    const replayed = await contentPipeline.replay({
      execId: original.execId,
      from: "write_draft",
      args: { topic: "New topic" },
      overrides: { "checkpoint.research": "Edited notes" },
      client,
    });
    assert.equal(await replayed.wait(), "published: draft about New topic from [Edited notes]");
    const execution = await client.executions.get(replayed.execId);
    assert.equal(execution.originalExecId, original.execId);
    assert.deepEqual(
      execution.checkpoints.map((c) => [c.invocationId, c.status]),
      [
        ["research", "reused"],
        ["write_draft", "completed"],
        ["publish", "completed"],
      ],
    );
  });

  it("executes a flow to its end in one call, once per request ID, failing as wait() fails", async () => {
    assert.equal(await contentPipeline.execute({ topic: "Once" }, { client }), "published: draft about Once from [notes on Once]");
    const requestId = randomUUID();
    const first = await client.flows.execute("content_pipeline", { topic: "Twice" }, { requestId });
    const again = await client.flows.execute("content_pipeline", { topic: "Twice" }, { requestId });
    assert.equal(first, "published: draft about Twice from [notes on Twice]");
    assert.equal(again, first);
    const twice = (await client.executions.list({ flow: "content_pipeline" })).filter((e) => (e.input as { topic?: string }).topic === "Twice");
    assert.equal(twice.length, 1, "the repeated request ID started a second execution");
    await assert.rejects(client.flows.execute("content_pipeline", { topic: 42 }), KitaruUsageError);
    await assert.rejects(reviewedPipeline.execute({ topic: "Execute review" }, { client }), KitaruPendingWaitError);
    outage.down = true;
    try {
      await assert.rejects(
        publishOutage.execute({ topic: "Down" }, { client }),
        (e: unknown) => e instanceof KitaruUserCodeError && /publish API unavailable/.test(e.message),
      );
    } finally {
      outage.down = false;
    }
  });

  it("stops handle.wait() at a pending wait with an error that says how to answer it", async () => {
    const handle = await reviewedPipeline.run({ topic: "Review" }, { client });
    await assert.rejects(handle.wait(), (e: unknown) => e instanceof KitaruPendingWaitError && /executions input/.test(e.message));
    await client.executions.input(handle.execId, { wait: "approve_research", value: false });
    assert.equal(await handle.wait(), "research rejected");
  });

  it("replays with the CLI: --plan previews, --wait -o json follows to the end", async () => {
    const source = await contentPipeline.run({ topic: "CLI" }, { client });
    await source.wait();
    const plan = await kitaru(env, [
      "executions",
      "replay",
      source.execId,
      "--from",
      "write_draft",
      "--overrides",
      '{"checkpoint.research":"Edited"}',
      "--plan",
      "-o",
      "json",
    ]);
    assert.equal(plan.code, 0, plan.stderr);
    const planItem = JSON.parse(plan.stdout);
    assert.equal(planItem.command, "executions.replay");
    assert.deepEqual(planItem.item.roots, ["write_draft"]);
    assert.deepEqual(planItem.item.reuse, ["research"]);
    assert.deepEqual(planItem.item.reexecute, ["write_draft", "publish"]);

    const run = await kitaru(env, ["executions", "replay", source.execId, "--from", "write_draft", "--args", '{"topic":"Shell"}', "--wait", "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const item = JSON.parse(run.stdout).item;
    assert.equal(item.original_exec_id, source.execId);
    assert.equal(item.status, "completed");
    assert.equal(item.result, "published: draft about Shell from [notes on CLI]");
    assert.deepEqual(
      item.checkpoints.map((c: { invocation_id: string; status: string }) => [c.invocation_id, c.status]),
      [
        ["research", "reused"],
        ["write_draft", "completed"],
        ["publish", "completed"],
      ],
    );
  });

  it("answers a wait with the CLI and reports typed errors as JSON on stderr", async () => {
    const handle = await reviewedPipeline.run({ topic: "CLI waits" }, { client });
    await assert.rejects(handle.wait(), KitaruPendingWaitError);
    const bad = await kitaru(env, ["executions", "input", handle.execId, "--value", '"yes"', "-o", "json"]);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.stderr).error.type, "KitaruWaitValidationError");
    const good = await kitaru(env, ["executions", "input", handle.execId, "--value", "true"]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, new RegExp(`Resolved wait input for execution: ${handle.execId}`));
    const replayOfMissing = await kitaru(env, ["executions", "replay", "kr-missing0000000", "--from", "research", "-o", "json"]);
    assert.equal(replayOfMissing.code, 1);
    assert.equal(JSON.parse(replayOfMissing.stderr).error.type, "KitaruNotFoundError");
  });

  it("shows logs, metadata and flows through the client and the CLI", async () => {
    const handle = await chattyFlow.run({ label: "e2e" }, { client });
    assert.equal(await handle.wait(), "quiet talked e2e");
    const execution = await client.executions.get(handle.execId);
    assert.deepEqual(execution.metadata, { run: "e2e", stage: "end" });
    assert.deepEqual(execution.checkpoints.find((c) => c.invocationId === "talk")?.metadata, { items: 3, label: "e2e" });
    const entries = await client.executions.logs(handle.execId, { checkpoint: "talk", limit: 3 });
    assert.deepEqual(
      entries.map((e) => [e.level, e.message]),
      [
        ["info", "starting e2e with 3 items"],
        ["info", "from the logger { label: 'e2e' }"],
        ["warn", "careful"],
      ],
    );
    const followed: string[] = [];
    for await (const event of client.executions.followLogs(handle.execId)) followed.push(event.kind === "log" ? event.entry.message : `status ${event.status}`);
    assert.deepEqual(followed, ["starting e2e with 3 items", "from the logger { label: 'e2e' }", "careful", "something odd", "status completed"]);
    assert.deepEqual(
      (await client.flows.list()).map((f) => f.name),
      ["chatty", "content_pipeline", "publish_outage", "reviewed_pipeline"],
    );

    const logs = await kitaru(env, ["executions", "logs", handle.execId, "-v"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO  starting e2e with 3 items\n/);
    assert.match(logs.stdout, /WARNING careful\n/);
    const follow = await kitaru(env, ["executions", "logs", handle.execId, "--follow", "-o", "json"]);
    assert.equal(follow.code, 0, follow.stderr);
    const events = follow.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; item: Record<string, unknown> });
    assert.deepEqual(
      events.map((e) => e.event),
      ["log", "log", "log", "log", "terminal"],
    );
    assert.equal(events[0]?.item["checkpoint_name"], "talk");
    const got = await kitaru(env, ["executions", "get", handle.execId]);
    assert.match(got.stdout, /  Metadata: \{"run":"e2e","stage":"end"\}/);
    const flows = await kitaru(env, ["flows", "list"]);
    assert.match(flows.stdout, /^chatty  input: label \(string, required\)$/m);
  });

  it("raises KitaruStateError from the client when retrying a completed execution", async () => {
    const source = await contentPipeline.run({ topic: "State" }, { client });
    await source.wait();
    await assert.rejects(client.executions.retry(source.execId), KitaruStateError);
  });
});

describe("handle.wait() on a diverged replay", () => {
  after(async () => {
    await stopTestServer();
  });

  it("raises KitaruDivergenceError with the divergence detail", async () => {
    const original = await createServicesEnv([contentPipeline]);
    const firstClient = new KitaruClient(urls(original));
    const source = await contentPipeline.run({ topic: "Diverge" }, { client: firstClient });
    await source.wait();
    await firstClient.close();
    await original.teardown({ keepDatabase: true });

    const changed = await createServicesEnv([changedPipeline], { database: original.database });
    const client = new KitaruClient(urls(changed));
    try {
      const replayed = await client.executions.replay(source.execId, { from: "publish" });
      await assert.rejects(client.executions.handle(replayed.execId).wait(), (e: unknown) => {
        assert.ok(e instanceof KitaruDivergenceError, String(e));
        assert.equal(e.detail.invocationId, "write_draft");
        assert.deepEqual(e.detail.recordedDependencies, ["research"]);
        assert.deepEqual(e.detail.seenDependencies, ["validate"]);
        return true;
      });
    } finally {
      await client.close();
      await changed.teardown();
    }
  });
});
