/**
 * The grpcurl examples of PlanReplay and ReplayExecution in docs/replay.md
 * (the block after `<!-- grpcurl-replay -->`), run as written against a
 * planner and a runner, with a source execution of the content pipeline
 * made here (issue 19: the docs had none). Substituted: the source's
 * execution ID for kr-a8f3c2, the planner's address for 127.0.0.1:50052,
 * and grpcurl's path.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { grpcurlPath } from "../support/grpcurl.ts";
import { createServicesEnv, finishedExecution, type ServicesEnv } from "../support/services-env.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The commands of the block after `<!-- grpcurl-replay -->`, continuation lines joined. */
function documentedCommands(): string[] {
  const doc = readFileSync(path.join(REPO_ROOT, "docs/replay.md"), "utf8");
  const block = /<!-- grpcurl-replay -->\n```bash\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, "docs/replay.md has the grpcurl-replay block");
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "");
}

/** A shell line's words: 'single quoted' and bare ones. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

describe("the grpcurl examples of docs/replay.md, as written", () => {
  let env: ServicesEnv;
  let sourceId: string;
  before(async () => {
    env = await createServicesEnv([contentPipeline]);
    const { execution } = await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "agents" } });
    sourceId = execution!.execId;
    assert.equal((await finishedExecution(env, sourceId)).status, ExecutionStatus.COMPLETED);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("plan the replay (creating nothing), then replay it", async () => {
    const grpcurl = await grpcurlPath();
    const [plan, replay] = documentedCommands();
    assert.ok(plan?.includes("PlanReplay") && replay?.includes("ReplayExecution"), "PlanReplay, then ReplayExecution");
    const runLine = async (line: string) => {
      const [command, ...args] = words(line.replaceAll("kr-a8f3c2", sourceId).replaceAll("127.0.0.1:50052", env.planner.address));
      assert.equal(command, "grpcurl");
      const { stdout } = await promisify(execFile)(grpcurl, args, { timeout: 60_000 });
      return JSON.parse(stdout) as Record<string, Record<string, unknown>>;
    };
    const before = (await env.client.listExecutions({})).executions.length;
    const planned = (await runLine(plan!)).plan!;
    assert.deepEqual(
      (planned["roots"] as { invocationId: string }[]).map((c) => c.invocationId),
      ["write_draft"],
    );
    assert.deepEqual(
      (planned["reuse"] as { invocationId: string }[]).map((c) => c.invocationId),
      ["research"],
    );
    assert.equal((await env.client.listExecutions({})).executions.length, before, "a plan creates nothing");
    const created = (await runLine(replay!)).execution!;
    assert.equal(created["originalExecId"], sourceId);
    const done = await finishedExecution(env, String(created["execId"]));
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.equal((await runLine(replay!)).execution!["execId"], created["execId"], "the same requestId returns the same replay");
  });
});
