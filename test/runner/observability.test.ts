import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import {
  CallAttemptStatus,
  CheckpointCallStatus,
  ExecutionStatus,
  ExecutionView,
  FailureOrigin,
  LogLevel,
  type LogEntry,
} from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import { chattyFlow, flakyFlow, gates, observed, sleepingFlow, stepwiseFlow, terminalFlow, verboseFlow } from "../fixtures/flows/observability.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { expectRpcError } from "./rpc-helpers.ts";

const TIMEOUT = 20_000;

describe("what a user sees of an execution: metadata, logs, failures, attempts, cancellation", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([chattyFlow, verboseFlow, flakyFlow, terminalFlow, sleepingFlow, stepwiseFlow]);
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  const full = async (execId: string) => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!;
  const until = (execId: string, statuses: ExecutionStatus[]) =>
    eventually(
      () => full(execId),
      (e) => statuses.includes(e.status),
      TIMEOUT,
    );
  const start = async (flowName: string, input: Record<string, string | number>) => (await env.client.startExecution({ flowName, input })).execution!.execId;
  const allLogs = async (execId: string, checkpoint = "") => {
    const entries: LogEntry[] = [];
    let pageToken = "";
    do {
      const page = await env.client.listExecutionLogs({ execId, checkpoint, pageSize: 2, pageToken });
      entries.push(...page.entries);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return entries;
  };

  it("shows execution and checkpoint metadata in the execution and in watch events", async () => {
    const execId = await start("chatty", { label: "m1" });
    const done = await until(execId, [ExecutionStatus.COMPLETED]);
    assert.deepEqual(done.metadata, { run: "m1", stage: "end" });
    const talk = done.checkpoints.find((c) => c.invocationId === "talk");
    assert.deepEqual(talk?.metadata, { items: 3, label: "m1" });
    assert.equal(done.checkpointCount, 2);

    const events = [];
    for await (const message of env.client.watchExecution({ execId })) events.push(message.event);
    const completedTalk = events.find((e) => e?.kind.case === "callCompleted" && e.kind.value.invocationId === "talk");
    assert.deepEqual(completedTalk?.kind.value && "metadata" in completedTalk.kind.value ? completedTalk.kind.value.metadata : undefined, {
      items: 3,
      label: "m1",
    });
    const last = events.at(-1);
    assert.equal(last?.kind.case, "statusChanged");
    assert.deepEqual(last?.kind.case === "statusChanged" ? last.kind.value.metadata : undefined, { run: "m1", stage: "end" });
  });

  it("lists checkpoint_count in list pages too", async () => {
    const execId = await start("chatty", { label: "m2" });
    await until(execId, [ExecutionStatus.COMPLETED]);
    const { executions } = await env.client.listExecutions({ flowName: "chatty", pageSize: 50 });
    const listed = executions.find((e) => e.execId === execId);
    assert.equal(listed?.checkpointCount, 2);
  });

  it("stores console output and logger lines of checkpoint code per attempt, and pages through them", async () => {
    const execId = await start("chatty", { label: "l1" });
    await until(execId, [ExecutionStatus.COMPLETED]);
    const entries = await allLogs(execId);
    assert.deepEqual(
      entries.map((e) => [e.checkpointName, e.level, e.message, e.source]),
      [
        ["talk", LogLevel.INFO, "starting l1 with 3 items", "console"],
        ["talk", LogLevel.INFO, "from the logger { label: 'l1' }", "logger"],
        ["talk", LogLevel.WARN, "careful", "console"],
        ["talk", LogLevel.ERROR, "something odd", "logger"],
      ],
    );
    for (const entry of entries) {
      assert.equal(entry.invocationId, "talk");
      assert.equal(entry.attempt, 1);
      assert.equal(entry.execId, execId);
      assert.ok(entry.callId.startsWith("call-"));
    }
    assert.deepEqual(await allLogs(execId, "quiet"), [], "a filter keeps only that checkpoint's lines");
    assert.equal((await allLogs(execId, "talk")).length, 4);
  });

  it("refuses a checkpoint filter that names no call of a finished execution, and a bad page token", async () => {
    const execId = await start("chatty", { label: "l2" });
    await until(execId, [ExecutionStatus.COMPLETED]);
    const { error } = await expectRpcError(env.client.listExecutionLogs({ execId, checkpoint: "tlak" }), Code.FailedPrecondition, KitaruStateError);
    assert.match(error.message, /Available checkpoint names: quiet, talk/);
    await expectRpcError(env.client.listExecutionLogs({ execId, pageToken: "nonsense" }), Code.InvalidArgument, KitaruUsageError);
  });

  it("keeps at most 1000 lines of an attempt and says the rest were dropped", async () => {
    const execId = await start("verbose", { lines: 1500 });
    await until(execId, [ExecutionStatus.COMPLETED]);
    const entries = [];
    let pageToken = "";
    do {
      const page = await env.client.listExecutionLogs({ execId, pageSize: 1000, pageToken });
      entries.push(...page.entries);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    assert.equal(entries.length, 1001);
    assert.equal(entries[999]?.message, "line 999");
    assert.match(entries[1000]?.message ?? "", /log limit reached/);
  });

  it("follows log lines live, then ends with the terminal status", async () => {
    const execId = await start("stepwise", { label: "f1" });
    const seen: string[] = [];
    const stream = env.client.watchExecutionLogs({ execId });
    let opened = false;
    for await (const message of stream) {
      if (message.kind.case === "entry") {
        seen.push(message.kind.value.message);
        if (!opened) {
          // The first line arrived while the checkpoint is still blocked on its gate.
          assert.deepEqual(
            seen.filter((s) => !s.startsWith("status")),
            ["before the gate of f1"],
          );
          opened = true;
          gates.open("f1");
        }
      } else if (message.kind.case === "statusChanged") {
        seen.push(`status ${ExecutionStatus[message.kind.value.status]}`);
      }
    }
    assert.deepEqual(
      seen.filter((s) => !s.startsWith("status RUNNING")),
      ["before the gate of f1", "after the gate of f1", "status COMPLETED"],
    );
  });

  it("a failure carries the stack trace, and every attempt keeps its own error", async () => {
    const execId = await start("always_flaky", { label: "t1" });
    const failed = await until(execId, [ExecutionStatus.FAILED]);
    assert.equal(failed.failure?.origin, FailureOrigin.USER_CODE);
    assert.equal(failed.failure?.exceptionType, "UpstreamError");
    assert.match(failed.failure?.traceback ?? "", /^UpstreamError: upstream refused attempt 3\n\s+at /);
    assert.match(failed.failure?.traceback ?? "", /Caused by: Error: connection reset/);
    const call = failed.checkpoints.find((c) => c.invocationId === "flaky");
    assert.equal(call?.status, CheckpointCallStatus.FAILED);
    assert.equal(call?.attempts, 3);
    assert.deepEqual(
      call?.attemptHistory.map((a) => [a.number, a.status, a.failure?.message]),
      [
        [1, CallAttemptStatus.FAILED, "upstream refused attempt 1"],
        [2, CallAttemptStatus.FAILED, "upstream refused attempt 2"],
        [3, CallAttemptStatus.FAILED, "upstream refused attempt 3"],
      ],
    );
    assert.match(call?.attemptHistory[0]?.failure?.traceback ?? "", /UpstreamError: upstream refused attempt 1/);
    assert.equal(call?.failure?.message, "upstream refused attempt 3");
    // Each attempt's log lines are kept under its own attempt number.
    const entries = await allLogs(execId);
    assert.deepEqual(
      entries.map((e) => [e.attempt, e.message]),
      [
        [1, "attempt 1"],
        [2, "attempt 2"],
        [3, "attempt 3"],
      ],
    );
  });

  it("a NonRetryableError skips the remaining retries", async () => {
    const execId = await start("terminal", { label: "n1" });
    const failed = await until(execId, [ExecutionStatus.FAILED]);
    assert.equal(observed["n1"]?.attempts, 1);
    assert.equal(failed.failure?.exceptionType, "NonRetryableError");
    assert.equal(failed.failure?.message, "input n1 can never be accepted");
    assert.equal(failed.checkpoints[0]?.attempts, 1);
  });

  it("cancel aborts the running checkpoint's signal and records the call as cancelled", async () => {
    const execId = await start("sleeping", { label: "c1" });
    await eventually(
      async () => observed["c1"]?.attempts ?? 0,
      (n) => n === 1,
      TIMEOUT,
    );
    await env.client.cancelExecution({ execId });
    const cancelled = await until(execId, [ExecutionStatus.CANCELLED]);
    await eventually(
      async () => observed["c1"]?.aborted,
      (aborted) => aborted === true,
      TIMEOUT,
    );
    const call = await eventually(
      async () => (await full(execId)).checkpoints.find((c) => c.invocationId === "sleeper"),
      (c) => c?.status === CheckpointCallStatus.CANCELLED,
      TIMEOUT,
    );
    assert.equal(call?.status, CheckpointCallStatus.CANCELLED);
    assert.deepEqual(
      call?.attemptHistory.map((a) => [a.number, a.status]),
      [[1, CallAttemptStatus.CANCELLED]],
    );
    assert.equal(cancelled.failure, undefined);
    // The lines it wrote before the cancel are kept.
    assert.deepEqual(
      (await allLogs(execId)).map((e) => e.message),
      ["sleeping in sleeper/sleeper"],
    );
  });

  it("lists the flows it serves with their input JSON schemas", async () => {
    const { flows } = await env.client.listFlows({});
    assert.deepEqual(
      flows.map((f) => f.flowName),
      ["always_flaky", "chatty", "sleeping", "stepwise", "terminal", "verbose"],
    );
    const chatty = flows.find((f) => f.flowName === "chatty");
    assert.equal(chatty?.name, "flows/chatty");
    assert.deepEqual(chatty?.inputSchema?.["properties"], { label: { type: "string" } });
    assert.deepEqual(chatty?.inputSchema?.["required"], ["label"]);
  });
});
