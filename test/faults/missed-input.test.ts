import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { reviewedPipeline } from "../fixtures/flows/reviewed-pipeline.ts";
import { finishWork, waitBesideWork } from "../fixtures/flows/wait-beside-work.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";

// abortWait records the abort, then appends `cancelled`. These tests leave the
// store exactly as a process that died between the two writes would, and check
// that a runner's sweep finishes the job.
describe("an abort whose process died before the cancelled transition", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([reviewedPipeline, waitBesideWork]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  const status = async (execId: string) => (await env.client.getExecution({ execId })).execution!.status;

  it("is cancelled by the sweep, with no failure", async () => {
    const { execution } = await env.client.startExecution({ flowName: "reviewed_pipeline", input: { topic: "abort" } });
    const execId = execution!.execId;
    assert.equal(
      await eventually(
        () => status(execId),
        (s) => s === ExecutionStatus.WAITING,
      ),
      ExecutionStatus.WAITING,
    );

    assert.equal(await env.store.resolveWait(execId, "approve_research", { kind: "abort", at: new Date() }), true);

    const ended = await eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status !== ExecutionStatus.WAITING,
      15_000,
    );
    assert.equal(ended.status, ExecutionStatus.CANCELLED);
    assert.equal(ended.failure, undefined);
    assert.deepEqual(ended.pendingWaits, []);
  });

  it("is cancelled by the runner holding it when the body is still running", async () => {
    const { execution } = await env.client.startExecution({ flowName: "wait_beside_work", input: {} });
    const execId = execution!.execId;
    await eventually(
      async () => (await env.store.listWaits(execId)).length,
      (n) => n === 1,
    );
    assert.equal(await status(execId), ExecutionStatus.RUNNING);

    assert.equal(await env.store.resolveWait(execId, "decide", { kind: "abort", at: new Date() }), true);

    const ended = await eventually(
      () => status(execId),
      (s) => s !== ExecutionStatus.RUNNING,
      15_000,
    );
    finishWork();
    assert.equal(ended, ExecutionStatus.CANCELLED);
  });

  it("leaves a waiting execution with no answer alone", async () => {
    const { execution } = await env.client.startExecution({ flowName: "reviewed_pipeline", input: { topic: "patience" } });
    const execId = execution!.execId;
    await eventually(
      () => status(execId),
      (s) => s === ExecutionStatus.WAITING,
    );
    // Several sweeps (one per lease TTL of 1.5 s) pass; nothing may change.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    assert.equal(await status(execId), ExecutionStatus.WAITING);
    assert.equal((await env.store.getExecution(execId))!.state.kind, "waiting");
  });
});
