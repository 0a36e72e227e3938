import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExecutionStatus, ExecutionView, type ExecutionEvent } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { commitBurst } from "../fixtures/flows/commit-burst.ts";
import { releaseAnalyze, watchedFlow } from "../fixtures/flows/watched-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { jsonValue, plainJson } from "./rpc-helpers.ts";

const TIMEOUT = 60_000;

/** A short label per event: `callCompleted:gather`, `waitPending:approve`, `status:WAITING`, ... */
function label(event: ExecutionEvent | undefined): string {
  const kind = event?.kind;
  switch (kind?.case) {
    case "callStarted":
    case "callCompleted":
    case "callReused":
    case "callFailed":
      return `${kind.case}:${kind.value.invocationId}`;
    case "waitPending":
    case "waitResolved":
      return `${kind.case}:${kind.value.name}`;
    case "statusChanged":
      return `status:${ExecutionStatus[kind.value.status]}`;
    default:
      return String(kind?.case);
  }
}

/** Asserts that `expected` occur in `events` in this order (other events may sit between them). */
function assertInOrder(events: readonly string[], expected: readonly string[]): void {
  let at = -1;
  for (const wanted of expected) {
    const found = events.indexOf(wanted, at + 1);
    assert.ok(found > at, `'${wanted}' after position ${at} in ${JSON.stringify(events)}`);
    at = found;
  }
}

describe("watching an execution", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([watchedFlow]);
  });
  after(async () => {
    for (const l of ["w1", "w2", "w3"]) releaseAnalyze(l);
    await env?.teardown();
    await stopTestServer();
  });

  /** Reads the whole stream; `onEvent` runs before the next event is read. */
  async function watch(execId: string, followWaits: boolean, onEvent: (event: ExecutionEvent, seen: string[]) => Promise<void> = async () => undefined) {
    const seen: string[] = [];
    const events: ExecutionEvent[] = [];
    for await (const { event } of env.client.watchExecution({ execId, followWaits }, { signal: AbortSignal.timeout(TIMEOUT) })) {
      assert.ok(event);
      assert.equal(event.execId, execId);
      events.push(event);
      seen.push(label(event));
      await onEvent(event, seen);
    }
    return { seen, events };
  }

  async function startAfterGather(label: string): Promise<string> {
    const { execution } = await env.client.startExecution({ flowName: "watched", input: { label } });
    const execId = execution!.execId;
    await eventually(
      async () => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!,
      (e) => e.checkpoints.some((c) => c.invocationId === "gather"),
      TIMEOUT,
    );
    return execId;
  }

  it("streams the history first, then live events in order, and ends when the execution waits", async () => {
    const execId = await startAfterGather("w1");
    let historyBeforeRelease: string[] = [];
    const { seen } = await watch(execId, false, async (_event, seen) => {
      if (seen.length === 2) {
        historyBeforeRelease = [...seen];
        releaseAnalyze("w1"); // everything after this point is live
      }
    });
    assert.deepEqual(historyBeforeRelease, ["callCompleted:gather", "status:RUNNING"]);
    assert.deepEqual(seen, ["callCompleted:gather", "status:RUNNING", "callCompleted:analyze", "waitPending:approve", "status:WAITING"]);
    assert.equal((await env.client.getExecution({ execId })).execution?.status, ExecutionStatus.WAITING);
  });

  it("follows the execution past its wait after input, up to the terminal status", async () => {
    releaseAnalyze("w2");
    const { execution } = await env.client.startExecution({ flowName: "watched", input: { label: "w2" } });
    const execId = execution!.execId;
    let answered = false;
    const { seen, events } = await watch(execId, true, async (event) => {
      if (!answered && label(event) === "status:WAITING") {
        answered = true;
        await env.client.resolveWait({ execId, wait: "approve", value: jsonValue("looks good") });
      }
    });
    assertInOrder(seen, [
      "callCompleted:gather",
      "callCompleted:analyze",
      "waitPending:approve",
      "status:WAITING",
      "waitResolved:approve",
      "callCompleted:report",
      "status:COMPLETED",
    ]);
    // A live call_started is best effort (dropped when the call's end is read in the same pass), but never late.
    if (seen.includes("callStarted:report")) assertInOrder(seen, ["waitResolved:approve", "callStarted:report", "callCompleted:report"]);
    assert.equal(seen.at(-1), "status:COMPLETED", "the stream ends at the terminal status");
    assert.equal(seen.filter((s) => s === "callCompleted:report").length, 1, "no event twice");
    const resolved = events.find((e) => e.kind.case === "waitResolved")?.kind.value as { value?: Parameters<typeof plainJson>[0] };
    assert.equal(plainJson(resolved.value), "looks good");
    const final = events.at(-1)?.kind;
    assert.equal(final?.case, "statusChanged");
    assert.equal(plainJson(final.value.result), "analysis of data for w2 (looks good)");
  });

  it("replays the whole history of a finished execution and ends", async () => {
    releaseAnalyze("w3");
    const { execution } = await env.client.startExecution({ flowName: "watched", input: { label: "w3" } });
    const execId = execution!.execId;
    await eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.WAITING,
      TIMEOUT,
    );
    await env.client.resolveWait({ execId, wait: "approve", value: jsonValue("fine") });
    await eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    const { seen } = await watch(execId, false);
    assert.deepEqual(seen, [
      "callCompleted:gather",
      "callCompleted:analyze",
      "waitPending:approve",
      "waitResolved:approve",
      "callCompleted:report",
      "status:COMPLETED",
    ]);
  });
});

describe("watching a long execution", () => {
  const STEPS = 2500;
  let env: RunnerEnv;
  let execId: string;
  before(async () => {
    env = await createRunnerEnv([commitBurst]);
    const { execution } = await env.client.startExecution({ flowName: "commit_burst", input: { steps: STEPS, marker: "/dev/null" } });
    execId = execution!.execId;
    await eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  const read = async (request: { statusOnly?: boolean; afterSequence?: number }) => {
    const seen: string[] = [];
    for await (const { event } of env.client.watchExecution({ execId, ...request }, { signal: AbortSignal.timeout(TIMEOUT) })) seen.push(label(event));
    return seen;
  };
  const invocation = (k: number) => `callCompleted:${k === 1 ? "step" : `step_${k}`}`;

  it("streams a history longer than a page, every call once and in issue order, then the status", async () => {
    assert.deepEqual(await read({}), [...Array.from({ length: STEPS }, (_, i) => invocation(i + 1)), "status:COMPLETED"]);
  });

  it("starts the history after a call sequence number", async () => {
    assert.deepEqual(await read({ afterSequence: STEPS - 3 }), [invocation(STEPS - 2), invocation(STEPS - 1), invocation(STEPS), "status:COMPLETED"]);
  });

  it("sends only the current status to a status-only watch, with the result", async () => {
    const events: ExecutionEvent[] = [];
    for await (const { event } of env.client.watchExecution({ execId, statusOnly: true })) events.push(event!);
    assert.deepEqual(events.map(label), ["status:COMPLETED"]);
    const change = events[0]!.kind;
    assert.equal(change.case === "statusChanged" ? plainJson(change.value.result) : undefined, STEPS);
  });
});
