import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ExecutionStatus, WaitStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruStateError, KitaruUsageError, KitaruWaitValidationError } from "#contract/errors/index.ts";
import { approvalFlow, executions, twinReviewFlow } from "../fixtures/flows/approval.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { expectRpcError, jsonValue } from "./rpc-helpers.ts";

const TIMEOUT = 30_000;

describe("waits and input", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([approvalFlow, twinReviewFlow]);
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  const get = async (execId: string) => (await env.client.getExecution({ execId })).execution!;
  const untilStatus = (execId: string, status: ExecutionStatus) =>
    eventually(
      () => get(execId),
      (e) => e.status === status,
      TIMEOUT,
    );

  /** Starts the approval flow and returns once it is suspended on its wait. */
  async function startWaiting(topic: string): Promise<string> {
    const { execution } = await env.client.startExecution({ flowName: "approval", input: { topic } });
    const execId = execution!.execId;
    const waiting = await untilStatus(execId, ExecutionStatus.WAITING);
    assert.equal(waiting.status, ExecutionStatus.WAITING);
    return execId;
  }

  it("suspends at a wait: waiting, the wait listed with its question and schema, no compute held", async () => {
    const execId = await startWaiting("suspension");
    const { waits } = await env.client.listPendingWaits({ execId });
    assert.equal(waits.length, 1);
    const [wait] = waits;
    assert.equal(wait?.name, "approve");
    assert.equal(wait?.status, WaitStatus.PENDING);
    assert.equal(wait?.question, "Publish the draft about suspension?");
    assert.match(wait!.waitId, /^wait-/);
    assert.deepEqual(wait?.metadata, { topic: "suspension" });
    const schema = wait?.schema as { type?: string; properties?: Record<string, { type?: string }>; required?: string[] };
    assert.equal(schema.type, "object");
    assert.equal(schema.properties?.approved?.type, "boolean");
    assert.equal(schema.properties?.reviewer?.type, "string");
    assert.deepEqual([...(schema.required ?? [])].sort(), ["approved", "reviewer"]);
    // The same wait is shown on the execution itself.
    assert.deepEqual(
      (await get(execId)).pendingWaits.map((w) => w.waitId),
      [wait!.waitId],
    );
    const released = await eventually(
      async () => env.runner.engine.activeExecutionIds,
      (ids) => !ids.includes(execId),
      TIMEOUT,
    );
    assert.ok(!released.includes(execId), "a waiting execution holds no run on the runner");
  });

  it("rejects an invalid wait value and stays waiting", async () => {
    const execId = await startWaiting("invalid input");
    const { error, raw, reason } = await expectRpcError(
      env.client.resolveWait({ execId, wait: "approve", value: jsonValue({}) }),
      Code.InvalidArgument,
      KitaruWaitValidationError,
    );
    assert.equal(reason, "KITARU_WAIT_VALIDATION_ERROR");
    assert.equal(error.waitName, "approve");
    assert.equal(error.execId, execId);
    assert.deepEqual(error.violations.map((v) => v.field).sort(), ["approved", "reviewer"]);
    assert.match(raw.rawMessage, /approve/);

    const typed = await expectRpcError(
      env.client.resolveWait({ execId, wait: "approve", value: jsonValue({ approved: "yes", reviewer: "ana" }) }),
      Code.InvalidArgument,
      KitaruWaitValidationError,
    );
    assert.deepEqual(
      typed.error.violations.map((v) => v.field),
      ["approved"],
    );

    // Nothing was lost: still waiting, the wait still pending, and it takes a valid value afterwards.
    assert.equal((await get(execId)).status, ExecutionStatus.WAITING);
    const { waits } = await env.client.listPendingWaits({ execId });
    assert.deepEqual(
      waits.map((w) => [w.name, w.status]),
      [["approve", WaitStatus.PENDING]],
    );
    await env.client.resolveWait({ execId, wait: "approve", value: jsonValue({ approved: false, reviewer: "ana" }) });
    assert.equal((await untilStatus(execId, ExecutionStatus.COMPLETED)).result?.kind.value, "rejected by ana");
  });

  it("accepts a valid value and the flow finishes by itself", async () => {
    const before = executions.draft ?? 0;
    const execId = await startWaiting("valid input");
    const { execution } = await env.client.resolveWait({
      execId,
      wait: "approve",
      value: jsonValue({ approved: true, reviewer: "bo" }),
    });
    assert.equal(execution?.execId, execId);
    assert.deepEqual(execution?.pendingWaits, [], "the accepted wait is no longer pending");
    const done = await untilStatus(execId, ExecutionStatus.COMPLETED);
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, "published 'draft about valid input', approved by bo");
    // The draft checkpoint ran once: resuming after the wait reused its recorded output.
    assert.equal((executions.draft ?? 0) - before, 1);
  });

  it("refuses a selector that matches no pending wait and lists the available ones", async () => {
    const execId = await startWaiting("no match");
    const { error } = await expectRpcError(
      env.client.resolveWait({ execId, wait: "aprove", value: jsonValue({ approved: true, reviewer: "cy" }) }),
      Code.FailedPrecondition,
      KitaruStateError,
    );
    assert.equal(error.waitSelection?.selector, "aprove");
    assert.deepEqual(error.waitSelection?.availableWaitNames, ["approve"]);
    assert.equal((await get(execId)).status, ExecutionStatus.WAITING);
  });

  it("refuses input for an execution with no pending waits", async () => {
    const execId = await startWaiting("already answered");
    await env.client.resolveWait({ execId, wait: "approve", value: jsonValue({ approved: false, reviewer: "di" }) });
    await untilStatus(execId, ExecutionStatus.COMPLETED);
    const { error } = await expectRpcError(
      env.client.resolveWait({ execId, wait: "approve", value: jsonValue({ approved: true, reviewer: "di" }) }),
      Code.FailedPrecondition,
      KitaruStateError,
    );
    assert.equal(error.state?.execId, execId);
    assert.match(error.message, /no pending waits/);
  });

  it("refuses a blank wait selector as a usage error", async () => {
    const execId = await startWaiting("blank selector");
    for (const wait of ["", "   "]) {
      const { reason } = await expectRpcError(
        env.client.resolveWait({ execId, wait, value: jsonValue({ approved: true, reviewer: "ed" }) }),
        Code.InvalidArgument,
        KitaruUsageError,
      );
      assert.equal(reason, "KITARU_USAGE_ERROR");
    }
    assert.equal((await get(execId)).status, ExecutionStatus.WAITING);
  });

  it("cancels the execution when its wait is aborted", async () => {
    const execId = await startWaiting("aborted");
    const publishedBefore = executions.publish ?? 0;
    const { execution } = await env.client.abortWait({ execId, wait: "approve" });
    assert.equal(execution?.status, ExecutionStatus.CANCELLED);
    const later = await untilStatus(execId, ExecutionStatus.CANCELLED);
    assert.equal(later.status, ExecutionStatus.CANCELLED);
    assert.equal(later.failure, undefined);
    assert.deepEqual((await env.client.listPendingWaits({ execId })).waits, []);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await get(execId)).status, ExecutionStatus.CANCELLED);
    assert.equal(executions.publish ?? 0, publishedBefore, "nothing after the wait ran");
  });

  it("refuses to pick between two waits of the same name, and takes their wait IDs", async () => {
    const { execution } = await env.client.startExecution({ flowName: "twin_review", input: {} });
    const execId = execution!.execId;
    const { waits } = await eventually(
      () => env.client.listPendingWaits({ execId }),
      (r) => r.waits.length === 2,
      TIMEOUT,
    );
    assert.deepEqual(waits.map((w) => w.name).sort(), ["review", "review_2"]);
    const first = waits.find((w) => w.name === "review")!;
    const second = waits.find((w) => w.name === "review_2")!;

    const { error } = await expectRpcError(
      env.client.resolveWait({ execId, wait: "review", value: jsonValue("yes") }),
      Code.FailedPrecondition,
      KitaruStateError,
    );
    assert.match(error.message, /wait ID/);
    assert.deepEqual([...(error.waitSelection?.matchingWaitIds ?? [])].sort(), [first.waitId, second.waitId].sort());

    await env.client.resolveWait({ execId, wait: second.waitId, value: jsonValue("second says no") });
    const remaining = await eventually(
      () => env.client.listPendingWaits({ execId }),
      (r) => r.waits.length === 1,
      TIMEOUT,
    );
    assert.deepEqual(
      remaining.waits.map((w) => w.waitId),
      [first.waitId],
    );
    await env.client.resolveWait({ execId, wait: first.waitId, value: jsonValue("first says yes") });
    const done = await untilStatus(execId, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, "first says yes / second says no");
  });
});
