/**
 * Fault suite, the planner killed between planning a replay and the runner
 * starting it. A runner child, a planner child, and between them a gRPC
 * proxy (runner-proxy.ts) that SIGKILLs the planner when its `StartReplay`
 * passes:
 *
 * - before: the plan is made, `StartReplay` never reaches the runner;
 * - during: `StartReplay` is on its way to the runner (which creates the
 *   execution after the planner died);
 * - after: the runner created the execution and answered; the planner died
 *   before passing the answer on.
 *
 * Each time the caller's `ReplayExecution` fails; it asks a restarted
 * planner again with the SAME request ID (twice), and must get one
 * execution: the one the runner created for the dead planner when there was
 * one. `ListExecutions` then shows exactly one replay of the source, and it
 * runs to completion.
 *
 * A last case is the planner's own retry (defect: the planner's call to the
 * runner timed out, the caller got UNAVAILABLE while the runner had created
 * the execution): the proxy holds the runner's first answer past the
 * planner's `--runner-timeout-ms`; the caller's one `ReplayExecution` must
 * succeed with the execution that first attempt created, the runner having
 * seen every attempt under one request ID.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruBackendError, KitaruClient } from "../../clients/ts/src/index.ts";
import { CHAOS_FLOWS, sleep } from "./chaos-support.ts";
import { chaosStepsResult } from "../fixtures/flows/chaos-flows.ts";
import { startChildRunner, type ChildRunner } from "../runner/child-runner.ts";
import { jsonValue, plainJson } from "../runner/rpc-helpers.ts";
import { startChildPlanner, type ChildPlanner } from "../support/child-planner.ts";
import { stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { reportFigures } from "./faults-support.ts";
import { startRunnerProxy, type RunnerProxy } from "./runner-proxy.ts";

const RPC = { timeoutMs: 20_000 };
const ADD = 3;

type Moment = "before" | "during" | "after";

describe("faults: the planner killed between plan and start", () => {
  let database: TestDatabase;
  let scratch: string;
  let runner: ChildRunner;
  let proxy: RunnerProxy;
  const planners: ChildPlanner[] = [];
  const outcomes: string[] = [];
  /** What the caller of each killed planner saw. */
  const firstCodes: string[] = [];

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-planner-kills-"));
    database = await testDatabase();
    runner = await startChildRunner({ flowsModule: CHAOS_FLOWS, db: database });
    proxy = await startRunnerProxy(runner.address);
  });
  after(async () => {
    for (const planner of planners) {
      planner.close();
      await planner.kill("SIGKILL");
    }
    await proxy?.close();
    runner?.close();
    await runner?.kill("SIGTERM");
    database?.remove();
    rmSync(scratch, { recursive: true, force: true });
    await stopTestServer();
  });

  const startPlanner = async (args: string[] = []) => {
    const planner = await startChildPlanner({ runnerUrl: `http://${proxy.address}`, args });
    planners.push(planner);
    return planner;
  };

  /** A completed `chaos_steps` execution to replay (its own per case, so its replays can be counted). */
  const completedSource = async (label: string) => {
    const marker = path.join(scratch, `${label}.log`);
    writeFileSync(marker, "");
    const { execution } = await runner.client.startExecution({ flowName: "chaos_steps", input: { marker, seed: 7 } }, RPC);
    const execId = execution!.execId;
    await eventually(
      async () => (await runner.client.getExecution({ execId })).execution!.status,
      (s) => s === ExecutionStatus.WAITING,
      30_000,
    );
    await runner.client.resolveWait({ execId, wait: "go", value: jsonValue({ add: ADD }) }, RPC);
    const done = await eventually(
      async () => (await runner.client.getExecution({ execId })).execution!.status,
      (s) => s === ExecutionStatus.COMPLETED,
      30_000,
    );
    assert.equal(done, ExecutionStatus.COMPLETED);
    return execId;
  };

  /** Every execution whose original is `sourceExecId`, over all pages of ListExecutions. */
  const replaysOf = async (sourceExecId: string): Promise<Execution[]> => {
    const found: Execution[] = [];
    let pageToken = "";
    do {
      const page = await runner.client.listExecutions({ flowName: "chaos_steps", pageSize: 100, pageToken }, RPC);
      found.push(...page.executions.filter((e) => e.originalExecId === sourceExecId));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return found;
  };

  /** The replay runs like any execution: it reaches the wait again, takes an answer, completes. */
  const completes = async (execId: string) => {
    await eventually(
      async () => (await runner.client.getExecution({ execId })).execution!.status,
      (s) => s === ExecutionStatus.WAITING,
      30_000,
    );
    await runner.client.resolveWait({ execId, wait: "go", value: jsonValue({ add: ADD }) }, RPC);
    const done = await eventually(
      async () => (await runner.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      30_000,
    );
    assert.equal(plainJson(done.result), chaosStepsResult(7, ADD));
  };

  for (const moment of ["before", "during", "after"] as const satisfies readonly Moment[]) {
    it(`killed ${moment} StartReplay: a retry with the same request ID against a restarted planner gives exactly one execution`, async () => {
      const source = await completedSource(`source-${moment}`);
      const requestId = `faults-replay-${moment}`;
      const planner = await startPlanner();
      const seenBefore = proxy.startReplays.length;
      proxy.onStartReplay = async ({ forward, respond }) => {
        if (moment === "before") {
          await planner.kill("SIGKILL"); // planned, never sent on: the runner knows nothing
          respond({ error: Object.assign(new Error("proxy: the planner is gone"), { code: 14, details: "gone", metadata: undefined as never }) });
          return;
        }
        const reply = forward();
        if (moment === "during")
          await planner.kill("SIGKILL"); // the runner is creating it right now
        else await reply.then(() => planner.kill("SIGKILL")); // created and answered; the answer dies with the planner
        respond(await reply);
      };
      const first = await planner.client.replayExecution({ execId: source, from: "b", requestId }, RPC).then(
        () => assert.fail("the replay call should fail: its planner was killed"),
        (e: unknown) => e,
      );
      assert.ok(first instanceof ConnectError, String(first));
      firstCodes.push(Code[first.code]);
      assert.equal((await planner.exited).signal, "SIGKILL");
      planner.close();
      proxy.onStartReplay = undefined;
      const attempts = proxy.startReplays.slice(seenBefore);
      assert.equal(attempts.length, 1, "the killed planner sent one StartReplay");
      assert.equal(attempts[0]!.requestId, requestId, "under the caller's request ID");
      const created = moment === "before" ? undefined : await attempts[0]!.outcome;
      if (created !== undefined) assert.ok("execId" in created, `the runner answered the dead planner's StartReplay: ${JSON.stringify(created)}`);
      assert.equal((await replaysOf(source)).length, moment === "before" ? 0 : 1, "what the killed planner left behind");

      const restarted = await startPlanner();
      const { execution } = await restarted.client.replayExecution({ execId: source, from: "b", requestId }, RPC);
      const again = await restarted.client.replayExecution({ execId: source, from: "b", requestId }, RPC);
      assert.ok(execution?.execId);
      assert.equal(execution.originalExecId, source);
      if (created !== undefined && "execId" in created)
        assert.equal(execution.execId, created.execId, "the retry returns the execution the runner created for the killed planner");
      assert.equal(again.execution?.execId, execution.execId, "a second retry returns it again");
      const replays = await replaysOf(source);
      assert.deepEqual(
        replays.map((e) => e.execId),
        [execution.execId],
        "exactly one replayed execution exists",
      );
      await completes(execution.execId);
      outcomes.push(`${moment}: ${execution.execId}`);
    });
  }

  it("killed after StartReplay under the TS client: its error names the request ID it generated, and repeating with it gives the same execution", async () => {
    const source = await completedSource("source-client");
    const planner = await startPlanner();
    const seenBefore = proxy.startReplays.length;
    proxy.onStartReplay = async ({ forward, respond }) => {
      const reply = await forward();
      await planner.kill("SIGKILL");
      respond(reply);
    };
    const client = new KitaruClient({ runnerUrl: `http://${runner.address}`, plannerUrl: `http://${planner.address}` });
    let error: unknown;
    try {
      // No request ID given: the client makes one, retries with it while the planner is gone, then gives up.
      await client.executions.replay(source, { from: "b" }).then(() => assert.fail("the replay should fail: its planner was killed"));
    } catch (e) {
      error = e;
    } finally {
      client.close();
    }
    proxy.onStartReplay = undefined;
    planner.close();
    assert.ok(error instanceof KitaruBackendError, `got ${String(error)}`);
    firstCodes.push(`client:${error.name}`);
    const requestId = error.metadata["requestId"];
    assert.ok(requestId, `the error names the request ID to repeat: ${JSON.stringify(error.metadata)}`);
    const attempts = proxy.startReplays.slice(seenBefore);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]!.requestId, requestId, "the one the runner created the execution under");
    const created = await attempts[0]!.outcome;
    assert.ok("execId" in created);

    const restarted = await startPlanner();
    const again = new KitaruClient({ runnerUrl: `http://${runner.address}`, plannerUrl: `http://${restarted.address}` });
    try {
      const execution = await again.executions.replay(source, { from: "b", requestId });
      assert.equal(execution.execId, created.execId, "repeating with the named request ID returns the execution the killed planner's call created");
    } finally {
      again.close();
    }
    assert.deepEqual(
      (await replaysOf(source)).map((e) => e.execId),
      [created.execId],
      "exactly one replayed execution exists",
    );
    await completes(created.execId);
    outcomes.push(`client: ${created.execId}`);
  });

  it("answers the caller once when the runner's answer to StartReplay comes after the planner's timeout: one execution, the planner having asked again under one request ID", async (t) => {
    const source = await completedSource("source-late");
    const planner = await startPlanner(["--runner-timeout-ms", "500"]);
    const seenBefore = proxy.startReplays.length;
    let held = false;
    proxy.onStartReplay = async ({ forward, respond }) => {
      const reply = await forward();
      if (!held) {
        held = true; // the runner created the execution; its answer arrives after the planner gave up on this attempt
        await sleep(1500);
      }
      respond(reply);
    };
    const { execution } = await planner.client.replayExecution({ execId: source, from: "b", requestId: "faults-replay-late" }, RPC);
    proxy.onStartReplay = undefined;
    const attempts = proxy.startReplays.slice(seenBefore);
    assert.ok(attempts.length >= 2, `the planner asked ${attempts.length} time(s)`);
    assert.deepEqual([...new Set(attempts.map((a) => a.requestId))], ["faults-replay-late"], "every attempt under the caller's request ID");
    const first = await attempts[0]!.outcome;
    assert.ok("execId" in first && first.execId === execution?.execId, "the caller got the execution the first attempt created");
    assert.deepEqual(
      (await replaysOf(source)).map((e) => e.execId),
      [execution!.execId],
      "exactly one replayed execution exists",
    );
    await completes(execution!.execId);
    outcomes.push(`late: ${execution!.execId}`);
    planner.close();
    if (outcomes.length === 5) {
      reportFigures(t, {
        scenario: "planner-kills",
        text:
          `planner kills 4/4 (before/during/after StartReplay, after under the TS client) → 1 execution each on retry with the same request ID; ` +
          `runner answering late → 1 execution after ${attempts.length} StartReplay attempts`,
        figures: { kills: 4, executionsPerReplay: 1, lateRunnerAttempts: attempts.length, firstCallCodes: firstCodes.join("/") },
      });
    }
  });
});
