import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { CheckpointCallStatus, ExecutionStatus, ExecutionView, FailureOrigin, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { DivergenceKind } from "#gen/kitaru/errors/v1/errors_pb.ts";
import { errorFromConnectError, KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import { contentPipeline, executions } from "../fixtures/flows/content-pipeline.ts";
import { contentPipeline as changedPipeline } from "../fixtures/flows/content-pipeline-with-validation.ts";
import { closeGate, gatedPipeline, openGate } from "../fixtures/flows/gated-pipeline.ts";
import { reviewedPipeline, runs } from "../fixtures/flows/reviewed-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";
import { rejection } from "../support/grpc-clients.ts";

async function finished(env: ServicesEnv, execId: string, statuses = [ExecutionStatus.COMPLETED, ExecutionStatus.FAILED]): Promise<Execution> {
  return eventually(
    async () => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!,
    (e) => statuses.includes(e.status),
    20_000,
  );
}

describe("replay through the planner and the runner", () => {
  let env: ServicesEnv;
  before(async () => {
    env = await createServicesEnv([contentPipeline, reviewedPipeline, gatedPipeline]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });
  afterEach(() => {
    for (const key of Object.keys(executions)) delete executions[key];
  });

  it("replays the seed example: from write_draft, new topic, research overridden", async () => {
    const { execution: source } = await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "Old topic" } });
    const done = await finished(env, source!.execId);
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.deepEqual(executions, { research: 1, write_draft: 1, publish: 1 });

    const { execution: replayed } = await env.plannerClient.replayExecution({
      execId: source!.execId,
      from: "write_draft",
      args: { topic: "New topic" },
      overrides: { "checkpoint.research": "Edited notes" },
    });
    assert.ok(replayed);
    assert.notEqual(replayed.execId, source!.execId);
    assert.equal(replayed.originalExecId, source!.execId);
    const result = await finished(env, replayed.execId);
    assert.equal(result.status, ExecutionStatus.COMPLETED);
    assert.equal(result.result?.kind.value, "published: draft about New topic from [Edited notes]");
    assert.deepEqual(result.input, { topic: "New topic" });
    const byId = new Map(result.checkpoints.map((c) => [c.invocationId, c]));
    assert.equal(byId.get("research")?.status, CheckpointCallStatus.REUSED);
    assert.equal(byId.get("research")?.overridden, true);
    assert.equal(byId.get("research")?.reusedFromCallId, done.checkpoints.find((c) => c.invocationId === "research")?.callId);
    // Its own output stays the recorded one; the flow and write_draft saw the override.
    assert.equal(byId.get("research")?.output?.kind.value, "notes on Old topic");
    assert.equal(byId.get("research")?.overrideValue?.kind.value, "Edited notes");
    assert.equal(byId.get("write_draft")?.status, CheckpointCallStatus.COMPLETED);
    assert.equal(byId.get("publish")?.status, CheckpointCallStatus.COMPLETED);
    // research was not executed again; write_draft and publish were.
    assert.deepEqual(executions, { research: 1, write_draft: 2, publish: 2 });
    assert.deepEqual(result.replay?.roots, ["write_draft"]);
    // The source is unchanged.
    const sourceAfter = await finished(env, source!.execId);
    assert.equal(sourceAfter.result?.kind.value, "published: draft about Old topic from [notes on Old topic]");
  });

  it("previews a plan without creating anything (dry run)", async () => {
    const { execution: source } = await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "Plan" } });
    await finished(env, source!.execId);
    const before = (await env.client.listExecutions({ flowName: "content_pipeline", pageSize: 200 })).executions.length;
    const { plan } = await env.plannerClient.planReplay({
      execId: source!.execId,
      from: "publish",
      overrides: { "checkpoint.research": "Edited" },
    });
    assert.deepEqual(
      plan?.roots.map((c) => c.invocationId),
      ["write_draft", "publish"],
    );
    assert.deepEqual(
      plan?.reexecute.map((c) => c.invocationId),
      ["write_draft", "publish"],
    );
    assert.deepEqual(
      plan?.reuse.map((c) => c.invocationId),
      ["research"],
    );
    assert.deepEqual(
      plan?.overrides.map((o) => [o.key, o.target?.invocationId, o.consumerInvocationIds]),
      [["checkpoint.research", "research", ["write_draft"]]],
    );
    const afterCount = (await env.client.listExecutions({ flowName: "content_pipeline", pageSize: 200 })).executions.length;
    assert.equal(afterCount, before);
    // The dry run reports the same validation errors, including the flow's input schema.
    const invalid = errorFromConnectError(await rejection(env.plannerClient.planReplay({ execId: source!.execId, from: "publish", args: { topic: "" } })));
    assert.equal(invalid.reason, "KITARU_USAGE_ERROR");
  });

  it("asks every wait again, before and after `from`", async () => {
    const { execution: source } = await env.client.startExecution({ flowName: "reviewed_pipeline", input: { topic: "waits" } });
    const execId = source!.execId;
    for (const wait of ["approve_research", "approve_draft"]) {
      await eventually(
        async () => (await env.client.listPendingWaits({ execId })).waits,
        (waits) => waits.some((w) => w.name === wait),
      );
      await env.client.resolveWait({ execId, wait, value: { kind: { case: "boolValue", value: true } } });
    }
    const done = await finished(env, execId);
    assert.equal(done.result?.kind.value, "published: draft from [notes on waits]");

    const { execution: replayed } = await env.plannerClient.replayExecution({ execId, from: "write_draft" });
    const newId = replayed!.execId;
    const firstWait = await eventually(
      async () => (await env.client.getExecution({ execId: newId })).execution!,
      (e) => e.status === ExecutionStatus.WAITING,
    );
    assert.deepEqual(
      firstWait.pendingWaits.map((w) => w.name),
      ["approve_research"],
    );
    await env.client.resolveWait({ execId: newId, wait: "approve_research", value: { kind: { case: "boolValue", value: true } } });
    const secondWait = await eventually(
      async () => (await env.client.getExecution({ execId: newId })).execution!,
      (e) => e.status === ExecutionStatus.WAITING && e.pendingWaits.some((w) => w.name === "approve_draft"),
    );
    assert.deepEqual(
      secondWait.pendingWaits.map((w) => w.name),
      ["approve_draft"],
    );
    await env.client.resolveWait({ execId: newId, wait: "approve_draft", value: { kind: { case: "boolValue", value: true } } });
    const result = await finished(env, newId);
    assert.equal(result.status, ExecutionStatus.COMPLETED);
    assert.deepEqual(runs, { research: 1, write_draft: 2, publish: 2 });
  });

  it("returns the same execution for the same request ID", async () => {
    const { execution: source } = await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "Idempotent" } });
    await finished(env, source!.execId);
    const request = { execId: source!.execId, from: "publish", requestId: "replay-once-123" };
    const [first, second] = await Promise.all([env.plannerClient.replayExecution(request), env.plannerClient.replayExecution(request)]);
    const third = await env.plannerClient.replayExecution(request);
    assert.equal(first.execution?.execId, second.execution?.execId);
    assert.equal(first.execution?.execId, third.execution?.execId);
    const replays = (await env.client.listExecutions({ flowName: "content_pipeline", pageSize: 200 })).executions.filter(
      (e) => e.originalExecId === source!.execId,
    );
    assert.equal(replays.length, 1);

    // The same request ID for another replay (other overrides) is refused, not answered with the first one.
    const otherReplay = errorFromConnectError(
      await rejection(env.plannerClient.replayExecution({ ...request, overrides: { "checkpoint.research": "other notes" } })),
    );
    assert.ok(otherReplay instanceof KitaruUsageError, otherReplay.message);
    assert.match(otherReplay.message, /Request ID 'replay-once-123' was already used for a different request/);
    assert.equal(otherReplay.metadata["execId"], first.execution?.execId);
  });

  it("refuses to replay a running execution with a state error", async () => {
    closeGate();
    const { execution: source } = await env.client.startExecution({ flowName: "gated_pipeline", input: { topic: "busy" } });
    const error = errorFromConnectError(await rejection(env.plannerClient.replayExecution({ execId: source!.execId, from: "blocked" })));
    assert.ok(error instanceof KitaruStateError);
    assert.match(error.message, /Replay requires a non-running source execution/);
    assert.equal(error.state?.status, "running");
    openGate();
    await finished(env, source!.execId);
  });

  it("answers NOT_FOUND for an unknown execution and a typed state error for an unknown selector", async () => {
    const missing = await rejection(env.plannerClient.replayExecution({ execId: "kr-doesnotexist00", from: "research" }));
    assert.equal(missing.code, Code.NotFound);
    const { execution: source } = await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "Selectors" } });
    await finished(env, source!.execId);
    const unknown = errorFromConnectError(await rejection(env.plannerClient.replayExecution({ execId: source!.execId, from: "nope" })));
    assert.ok(unknown instanceof KitaruStateError);
    assert.deepEqual(unknown.selector?.availableNames, ["publish", "research", "write_draft"]);
    const waitKey = errorFromConnectError(
      await rejection(env.plannerClient.replayExecution({ execId: source!.execId, from: "research", overrides: { "wait.approve": true } })),
    );
    assert.equal(waitKey.reason, "KITARU_USAGE_ERROR");
  });
});

describe("replay with a changed flow", () => {
  after(async () => {
    await stopTestServer();
  });

  it("fails with divergence when a new dependency is inserted before a reused call", async () => {
    const original = await createServicesEnv([contentPipeline]);
    const { execution: source } = await original.client.startExecution({ flowName: "content_pipeline", input: { topic: "Diverge" } });
    await finished(original, source!.execId);
    await original.teardown({ keepDatabase: true });

    const changed = await createServicesEnv([changedPipeline], { database: original.database });
    try {
      const { execution: replayed } = await changed.plannerClient.replayExecution({ execId: source!.execId, from: "publish" });
      const failed = await finished(changed, replayed!.execId);
      assert.equal(failed.status, ExecutionStatus.FAILED);
      assert.equal(failed.failure?.origin, FailureOrigin.DIVERGENCE);
      assert.equal(failed.failure?.invocationId, "write_draft");
      const detail = failed.failure?.divergence;
      assert.equal(detail?.invocationId, "write_draft");
      assert.equal(detail?.sourceExecId, source!.execId);
      assert.equal(detail?.kind, DivergenceKind.DEPENDS_ON_CHANGED_CALL);
      assert.deepEqual(detail?.recordedDependencies, ["research"]);
      assert.deepEqual(detail?.seenDependencies, ["validate"]);
    } finally {
      await changed.teardown();
    }
  });
});
