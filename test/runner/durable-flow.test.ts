import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExecutionStatus, CheckpointCallStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { contentPipeline, executions } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";

describe("a flow with checkpoints", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([contentPipeline]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("completes and its journal holds every call with its lineage", async () => {
    const { execution } = await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "durable agents" } });
    assert.ok(execution);
    assert.match(execution.execId, /^kr-[a-z2-7]{16}$/);
    const done = await eventually(
      async () => (await env.client.getExecution({ execId: execution.execId, view: ExecutionView.FULL })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, "published: draft about durable agents from [notes on durable agents]");
    assert.deepEqual(
      done.checkpoints.map((c) => [c.invocationId, c.status, c.dataDependencies, c.loadDependencies]),
      [
        ["research", CheckpointCallStatus.COMPLETED, [], []],
        ["write_draft", CheckpointCallStatus.COMPLETED, ["research"], []],
        ["publish", CheckpointCallStatus.COMPLETED, ["write_draft"], []],
      ],
    );
    assert.equal(done.checkpoints[0]?.output?.kind.value, "notes on durable agents");
    assert.deepEqual(executions, { research: 1, write_draft: 1, publish: 1 });
  });
});
