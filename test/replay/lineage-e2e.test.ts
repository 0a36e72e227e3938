import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { CheckpointCallStatus, ExecutionStatus, ExecutionView, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { awaitingFlow, handlesFlow, ran } from "../fixtures/flows/lineage-styles.ts";
import { stopTestServer } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";

describe("lineage recorded by the runner drives what a replay re-executes", () => {
  let env: ServicesEnv;
  before(async () => {
    env = await createServicesEnv([awaitingFlow, handlesFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });
  beforeEach(() => {
    ran.length = 0;
  });

  const finished = (execId: string): Promise<Execution> =>
    eventually(
      async () => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED || e.status === ExecutionStatus.FAILED,
      20_000,
    );

  const statuses = (execution: Execution) =>
    Object.fromEntries(execution.checkpoints.map((c) => [c.invocationId, c.status === CheckpointCallStatus.REUSED ? "reused" : "executed"]));

  it("records load edges when the flow awaits values, and replays everything issued after the load", async () => {
    const { execution } = await env.client.startExecution({ flowName: "awaiting_flow", input: { topic: "t" } });
    const source = await finished(execution!.execId);
    assert.deepEqual(
      source.checkpoints.map((c) => [c.invocationId, c.dataDependencies, c.loadDependencies]),
      [
        ["fetch_a", [], []],
        ["fetch_b", [], ["fetch_a"]],
        ["combine", [], ["fetch_b"]],
      ],
    );
    ran.length = 0;
    const { execution: replayed } = await env.plannerClient.replayExecution({ execId: source.execId, from: "fetch_a" });
    const result = await finished(replayed!.execId);
    assert.equal(result.status, ExecutionStatus.COMPLETED);
    assert.deepEqual(statuses(result), { fetch_a: "executed", fetch_b: "executed", combine: "executed" });
    assert.deepEqual(ran, ["fetch_a", "fetch_b", "combine"]);
  });

  it("records data edges when the flow passes handles, and reuses the independent branch", async () => {
    const { execution } = await env.client.startExecution({ flowName: "handles_flow", input: { topic: "t" } });
    const source = await finished(execution!.execId);
    assert.deepEqual(
      source.checkpoints.map((c) => [c.invocationId, c.dataDependencies, c.loadDependencies]),
      [
        ["fetch_a", [], []],
        ["fetch_b", [], []],
        ["combine", ["fetch_a", "fetch_b"], []],
      ],
    );
    ran.length = 0;
    const { execution: replayed } = await env.plannerClient.replayExecution({
      execId: source.execId,
      from: "fetch_a",
      args: { topic: "u" },
    });
    const result = await finished(replayed!.execId);
    assert.equal(result.status, ExecutionStatus.COMPLETED);
    assert.deepEqual(statuses(result), { fetch_a: "executed", fetch_b: "reused", combine: "executed" });
    assert.equal(result.result?.kind.value, "a(u)+b(t)");
    assert.deepEqual(ran, ["fetch_a", "combine"]);
  });

  it("overrides an awaited value: every call after its load point re-executes with the override", async () => {
    const { execution } = await env.client.startExecution({ flowName: "awaiting_flow", input: { topic: "t" } });
    const source = await finished(execution!.execId);
    ran.length = 0;
    const { execution: replayed } = await env.plannerClient.replayExecution({
      execId: source.execId,
      from: "combine",
      overrides: { "checkpoint.fetch_a": "A!" },
    });
    const result = await finished(replayed!.execId);
    assert.deepEqual(statuses(result), { fetch_a: "reused", fetch_b: "executed", combine: "executed" });
    assert.equal(result.result?.kind.value, "A!+b(t)");
    assert.deepEqual(ran, ["fetch_b", "combine"]);
  });
});
