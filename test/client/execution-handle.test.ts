// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { DivergenceDetailSchema, DivergenceKind } from "#gen/kitaru/errors/v1/errors_pb.ts";
import { ExecutionStatus, FailureOrigin, FailureSchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ExecutionEvent } from "../../clients/ts/src/convert/event.ts";
import type { Execution } from "../../clients/ts/src/convert/execution.ts";
import { KitaruDivergenceError, KitaruExecutionError, KitaruStateError, KitaruUserCodeError } from "#contract/errors/kitaru-error.ts";
import { KitaruPendingWaitError } from "../../clients/ts/src/pending-wait-error.ts";
import { ExecutionHandle } from "../../clients/ts/src/execution-handle.ts";
import type { ExecutionReader } from "../../clients/ts/src/follow-execution.ts";
import { execution, T0, waitPb } from "./builders.ts";

/** A reader whose n-th watch yields rounds[n].events and whose following get returns rounds[n].execution. */
function reader(rounds: { events: ExecutionEvent[]; execution: Execution }[]): ExecutionReader & { watches: number; gets: string[] } {
  let round = 0;
  const state = {
    watches: 0,
    gets: [] as string[],
    async get(_execId: string, options?: { view?: "basic" | "full" }) {
      state.gets.push(options?.view ?? "full");
      const current = rounds[Math.min(round, rounds.length - 1)]!;
      round += 1;
      return current.execution;
    },
    async *watch() {
      state.watches += 1;
      yield* rounds[Math.min(round, rounds.length - 1)]!.events;
    },
  };
  return state;
}

const failed = (origin: FailureOrigin, extra: Parameters<typeof create<typeof FailureSchema>>[1] = {}) =>
  execution({
    status: ExecutionStatus.FAILED,
    result: undefined,
    failure: create(FailureSchema, { origin, message: "boom", exceptionType: "TypeError", invocationId: "write_draft", ...extra }),
  });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

describe("ExecutionHandle.wait", () => {
  it("resolves to the result of a completed execution", async () => {
    const handle = new ExecutionHandle<string>(reader([{ events: [], execution: execution() }]), "kr-test");
    assert.equal(await handle.wait(), "final text");
  });

  it("raises KitaruDivergenceError with the detail from failure.divergence", async () => {
    const divergence = create(DivergenceDetailSchema, {
      execId: "kr-test",
      sourceExecId: "kr-src",
      invocationId: "write_draft",
      kind: DivergenceKind.DEPENDS_ON_CHANGED_CALL,
      recorded: "depends on research",
      seen: "depends on research (re-executed)",
    });
    const handle = new ExecutionHandle(reader([{ events: [], execution: failed(FailureOrigin.DIVERGENCE, { divergence }) }]), "kr-test");
    const error = await rejection(handle.wait());
    assert.ok(error instanceof KitaruDivergenceError);
    assert.equal(error.detail.kind, "depends_on_changed_call");
    assert.equal(error.detail.sourceExecId, "kr-src");
    assert.equal(error.execId, "kr-test");
    assert.equal(error.status, "failed");
    assert.equal(error.failure?.origin, "divergence");
  });

  it("raises KitaruUserCodeError for a user_code failure", async () => {
    const error = await rejection(new ExecutionHandle(reader([{ events: [], execution: failed(FailureOrigin.USER_CODE) }]), "kr-test").wait());
    assert.ok(error instanceof KitaruUserCodeError);
    assert.match((error as Error).message, /TypeError: boom/);
  });

  it("raises a plain KitaruExecutionError for other failure origins", async () => {
    for (const origin of [FailureOrigin.RUNTIME, FailureOrigin.BACKEND, FailureOrigin.UNKNOWN]) {
      const error = await rejection(new ExecutionHandle(reader([{ events: [], execution: failed(origin) }]), "kr-test").wait());
      assert.ok(error instanceof KitaruExecutionError);
      assert.ok(!(error instanceof KitaruUserCodeError) && !(error instanceof KitaruDivergenceError));
    }
  });

  it("raises KitaruExecutionError with status cancelled for a cancelled execution", async () => {
    const cancelled = execution({ status: ExecutionStatus.CANCELLED, result: undefined });
    const error = await rejection(new ExecutionHandle(reader([{ events: [], execution: cancelled }]), "kr-test").wait());
    assert.ok(error instanceof KitaruExecutionError);
    assert.equal(error.status, "cancelled");
  });

  it("stops at a pending wait with KitaruPendingWaitError saying how to answer it", async () => {
    const waiting = execution({ status: ExecutionStatus.WAITING, result: undefined, pendingWaits: [waitPb()] });
    const error = await rejection(new ExecutionHandle(reader([{ events: [], execution: waiting }]), "kr-test").wait());
    assert.ok(error instanceof KitaruPendingWaitError);
    assert.ok(error instanceof KitaruStateError);
    assert.equal(error.execId, "kr-test");
    assert.deepEqual(
      error.pendingWaits.map((w) => w.name),
      ["approve"],
    );
    assert.match(error.message, /kitaru executions input kr-test --value/);
    assert.match(error.message, /client\.executions\.input\(/);
    assert.match(error.message, /Publish the draft\?/);
  });

  it("points to --interactive when several waits are pending", async () => {
    const waiting = execution({
      status: ExecutionStatus.WAITING,
      result: undefined,
      pendingWaits: [waitPb(), waitPb({ waitId: "w-2", name: "review" })],
    });
    const error = await rejection(new ExecutionHandle(reader([{ events: [], execution: waiting }]), "kr-test").wait());
    assert.ok(error instanceof KitaruPendingWaitError);
    assert.match(error.message, /approve, review/);
    assert.match(error.message, /--interactive/);
  });

  it("re-watches while running and delivers each event once", async () => {
    const started: ExecutionEvent = { kind: "statusChanged", metadata: {}, execId: "kr-test", time: T0, status: "running", result: undefined };
    const running = execution({ status: ExecutionStatus.RUNNING, result: undefined, endTime: undefined });
    const fake = reader([
      { events: [started], execution: running },
      { events: [started], execution: execution() },
    ]);
    const seen: ExecutionEvent[] = [];
    const result = await new ExecutionHandle(fake, "kr-test").wait({ onEvent: (e) => void seen.push(e) });
    assert.equal(result, "final text");
    assert.equal(fake.watches, 2);
    assert.equal(seen.length, 1);
    assert.deepEqual(fake.gets, ["basic", "basic"]);
  });

  it("treats a waiting status without pending waits as not settled yet", async () => {
    const fake = reader([
      { events: [], execution: execution({ status: ExecutionStatus.WAITING, result: undefined }) },
      { events: [], execution: execution() },
    ]);
    assert.equal(await new ExecutionHandle(fake, "kr-test").wait(), "final text");
    assert.equal(fake.watches, 2);
  });

  it("get() reads the full view and watch() streams the reader's events", async () => {
    const event: ExecutionEvent = { kind: "statusChanged", metadata: {}, execId: "kr-test", time: T0, status: "completed", result: 1 };
    const fake = reader([{ events: [event], execution: execution() }]);
    const handle = new ExecutionHandle(fake, "kr-test");
    assert.equal((await handle.get()).execId, "kr-test");
    assert.deepEqual(fake.gets, ["full"]);
    const events: ExecutionEvent[] = [];
    for await (const e of handle.watch()) events.push(e);
    assert.deepEqual(events, [event]);
  });
});
