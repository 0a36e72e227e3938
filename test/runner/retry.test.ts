import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { CheckpointCallStatus, ExecutionStatus, ExecutionView, FailureOrigin } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruStateError } from "#contract/errors/index.ts";
import { attemptTimes, control, executions, flakyFlow, heldFlow, parkedFlow, releaseHold, retryPipeline } from "../fixtures/flows/retry-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { expectRpcError } from "./rpc-helpers.ts";

const TIMEOUT = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("retry and cancel", () => {
  let env: RunnerEnv;
  const held: string[] = [];
  before(async () => {
    env = await createRunnerEnv([retryPipeline, heldFlow, parkedFlow, flakyFlow]);
  });
  after(async () => {
    for (const label of held) releaseHold(label);
    await env?.teardown();
    await stopTestServer();
  });

  const full = async (execId: string) => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!;
  const untilStatus = (execId: string, status: ExecutionStatus) =>
    eventually(
      () => full(execId),
      (e) => e.status === status,
      TIMEOUT,
    );
  const start = async (flowName: string, input: Record<string, string | number>) => (await env.client.startExecution({ flowName, input })).execution!.execId;

  it("fails with the user code's error and the failing call, then a retry completes without re-running finished calls", async () => {
    control.failSecond = true;
    const execId = await start("retry_pipeline", { label: "r1" });
    const failed = await untilStatus(execId, ExecutionStatus.FAILED);
    assert.equal(failed.status, ExecutionStatus.FAILED);
    assert.equal(failed.failure?.origin, FailureOrigin.USER_CODE);
    assert.equal(failed.failure?.exceptionType, "SecondStepError");
    assert.equal(failed.failure?.message, "second step refused 'r1:1'");
    assert.equal(failed.failure?.invocationId, "second");
    assert.equal(failed.retryCount, 0);
    assert.deepEqual(
      failed.checkpoints.map((c) => [c.invocationId, c.status]),
      [
        ["first", CheckpointCallStatus.COMPLETED],
        ["second", CheckpointCallStatus.FAILED],
      ],
    );
    assert.equal(executions["r1/first"], 1);
    assert.equal(executions["r1/second"], 1);
    assert.equal(executions["r1/third"], undefined, "nothing after the failed call ran");

    control.failSecond = false;
    const { execution } = await env.client.retryExecution({ execId });
    assert.equal(execution?.execId, execId, "a retry keeps the execution ID");
    const done = await untilStatus(execId, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, "r1:1:2:3");
    assert.equal(done.retryCount, 1);
    assert.equal(done.failure, undefined);
    assert.deepEqual(
      done.checkpoints.map((c) => [c.invocationId, c.status]),
      [
        ["first", CheckpointCallStatus.COMPLETED],
        ["second", CheckpointCallStatus.COMPLETED],
        ["third", CheckpointCallStatus.COMPLETED],
      ],
    );
    assert.equal(executions["r1/first"], 1, "the completed first call was reused, not re-run");
    assert.equal(executions["r1/second"], 2, "the failed call ran again");
    assert.equal(executions["r1/third"], 1);
  });

  it("refuses to retry an execution that did not fail", async () => {
    control.failSecond = false;
    const execId = await start("retry_pipeline", { label: "r2" });
    await untilStatus(execId, ExecutionStatus.COMPLETED);
    const { error } = await expectRpcError(env.client.retryExecution({ execId }), Code.FailedPrecondition, KitaruStateError);
    assert.equal(error.state?.operation, "retry");
    assert.equal(error.state?.status, "completed");
    assert.equal((await full(execId)).retryCount, 0);
  });

  it("cancels a running execution blocked in a checkpoint, and nothing after it runs", async () => {
    held.push("c1");
    const execId = await start("held", { label: "c1" });
    await eventually(
      async () => executions["c1/hold"] ?? 0,
      (n) => n === 1,
      TIMEOUT,
    );
    assert.equal((await full(execId)).status, ExecutionStatus.RUNNING);
    const { execution } = await env.client.cancelExecution({ execId });
    assert.equal(execution?.status, ExecutionStatus.CANCELLED);
    assert.equal(execution?.failure, undefined);
    const released = await eventually(
      async () => env.runner.engine.activeExecutionIds,
      (ids) => !ids.includes(execId),
      TIMEOUT,
    );
    assert.ok(!released.includes(execId), "the runner stopped the cancelled run");
    releaseHold("c1");
    await sleep(500);
    const later = await full(execId);
    assert.equal(later.status, ExecutionStatus.CANCELLED);
    assert.equal(later.failure, undefined);
    assert.equal(later.result, undefined);
    assert.equal(executions["c1/after_hold"], undefined, "the flow did not continue after the cancel");
  });

  it("cancels a waiting execution and its wait is no longer pending", async () => {
    const execId = await start("parked", { label: "c2" });
    await untilStatus(execId, ExecutionStatus.WAITING);
    const { execution } = await env.client.cancelExecution({ execId });
    assert.equal(execution?.status, ExecutionStatus.CANCELLED);
    assert.equal(execution?.failure, undefined);
    assert.deepEqual((await env.client.listPendingWaits({ execId })).waits, []);
  });

  it("refuses to cancel a completed execution", async () => {
    const execId = await start("parked", { label: "c3" });
    await untilStatus(execId, ExecutionStatus.WAITING);
    await env.client.resolveWait({ execId, wait: "go", value: { kind: { case: "boolValue", value: true } } });
    await untilStatus(execId, ExecutionStatus.COMPLETED);
    const { error } = await expectRpcError(env.client.cancelExecution({ execId }), Code.FailedPrecondition, KitaruStateError);
    assert.equal(error.state?.operation, "cancel");
    assert.equal(error.state?.status, "completed");
    assert.equal((await full(execId)).status, ExecutionStatus.COMPLETED);
  });

  it("retries a failing checkpoint with backoff and records every attempt", async () => {
    const execId = await start("flaky", { label: "f1", failures: 2 });
    const done = await untilStatus(execId, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, "succeeded on attempt 3");
    assert.deepEqual(
      done.checkpoints.map((c) => [c.invocationId, c.status, c.attempts]),
      [["flaky", CheckpointCallStatus.COMPLETED, 3]],
    );
    const [t1, t2, t3] = attemptTimes["f1"] ?? [];
    assert.ok(t1 !== undefined && t2 !== undefined && t3 !== undefined);
    // retryDelayMs 10, doubling: about 10 ms before the 2nd attempt and 20 ms before the 3rd.
    assert.ok(t2 - t1 >= 9, `first backoff ${t2 - t1} ms`);
    assert.ok(t3 - t2 >= 19, `second backoff ${t3 - t2} ms`);
  });

  it("fails after the last retry, with every attempt recorded on the failed call", async () => {
    const execId = await start("flaky", { label: "f2", failures: 5 });
    const failed = await untilStatus(execId, ExecutionStatus.FAILED);
    assert.equal(failed.failure?.origin, FailureOrigin.USER_CODE);
    assert.equal(failed.failure?.message, "attempt 3 of flaky failed");
    assert.equal(failed.failure?.invocationId, "flaky");
    assert.deepEqual(
      failed.checkpoints.map((c) => [c.status, c.attempts]),
      [[CheckpointCallStatus.FAILED, 3]],
    );
    assert.equal(executions["f2/flaky"], 3);
  });
});
