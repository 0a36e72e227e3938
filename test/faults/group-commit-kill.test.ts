/**
 * Durability of acknowledged checkpoints under group commit: a `kitaru
 * runner` process runs 40 executions of 30 fast checkpoints at once (the
 * embedded store commits the records of many executions per transaction) and
 * SIGKILLs itself right after its store acknowledged the 300th checkpoint
 * record (crash point `after-checkpoint-commit:300`), while the records of
 * other executions are in flight. A checkpoint counts as acknowledged when
 * the function of the next step of its execution started in that process:
 * the body awaits each step's value, which it gets only once the record is
 * acknowledged. A new runner finishes the executions; then no acknowledged
 * checkpoint may have run again (its record survived the kill), every
 * execution holds each checkpoint exactly once, and every result is right.
 * A start the kill cut off before its answer (under load the first executions
 * can reach the crash point while others are still being started) is repeated
 * on the new runner with its request ID, as a client would: still one
 * execution per request.
 *
 * On MongoDB the same holds through the server's write acknowledgement (a
 * smaller run there: 10 executions of 15 checkpoints, killed at the 60th, as
 * every query scans on FerretDB).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { ConnectError } from "@connectrpc/connect";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { startChildRunner, type ChildRunner } from "../runner/child-runner.ts";
import { stopTestServer, testDatabase, testStoreKind } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";

const FLOWS_MODULE = fileURLToPath(new URL("../fixtures/flows/commit-burst.ts", import.meta.url));
const small = testStoreKind() === "mongo";
const EXECUTIONS = small ? 10 : 40;
const STEPS = small ? 15 : 30;
const KILL_AT = small ? 60 : 300;

/** The step number of an invocation ID of `step` (`step` is 1, `step_2` is 2, ...). */
const stepNumber = (invocationId: string) => (invocationId === "step" ? 1 : Number(invocationId.slice("step_".length)));
const invocationOf = (k: number) => (k === 1 ? "step" : `step_${k}`);

describe("group commit under a SIGKILL", () => {
  const children: ChildRunner[] = [];
  const stores: ExecutionStore[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), "kitaru-group-kill-"));
  after(async () => {
    for (const child of children) {
      child.close();
      await child.kill("SIGKILL");
    }
    for (const store of stores) await store.close();
    rmSync(scratch, { recursive: true, force: true });
    await stopTestServer();
  });

  it(`keeps every checkpoint acknowledged before the kill, and records each checkpoint once (${EXECUTIONS} × ${STEPS}, killed at ${KILL_AT})`, {
    timeout: 180_000,
  }, async (t) => {
    const db = await testDatabase();
    const marker = path.join(scratch, "runs");
    const first = await startChildRunner({ flowsModule: FLOWS_MODULE, db, crashPoints: `after-checkpoint-commit:${KILL_AT}` });
    children.push(first);
    // Each start carries a request ID: the kill can come before the last starts are answered (under load, the first
    // executions reach the 300th checkpoint while others are still being started), and such a start is repeated
    // against the next runner with the same request ID, as a client would, which gives the one execution it made, if any.
    const requestIds = Array.from({ length: EXECUTIONS }, (_, n) => `group-kill-${n}-${randomUUID()}`);
    const start = async (runner: ChildRunner, requestId: string) => {
      const { execution } = await runner.client.startExecution({ flowName: "commit_burst", input: { steps: STEPS, marker }, requestId });
      return execution!.execId;
    };
    const startedFirst = await Promise.all(
      requestIds.map((requestId) => start(first, requestId).catch((error: unknown) => (error instanceof ConnectError ? undefined : Promise.reject(error)))),
    );
    const killed = await first.exited;
    first.close();
    assert.equal(killed.signal, "SIGKILL", "the runner killed itself at the crash point");
    const firstPid = String(first.process.pid);

    /** Function runs per `<execId> <invocationId>`, and the checkpoints acknowledged in the killed process. */
    const runs = new Map<string, number>();
    const acknowledged = new Set<string>();
    const countRuns = () => {
      runs.clear();
      for (const line of readFileSync(marker, "utf8").split("\n").filter(Boolean)) {
        const [pid, execId, invocationId] = line.split(" ") as [string, string, string];
        runs.set(`${execId} ${invocationId}`, (runs.get(`${execId} ${invocationId}`) ?? 0) + 1);
        const k = stepNumber(invocationId);
        if (pid === firstPid && k > 1) acknowledged.add(`${execId} ${invocationOf(k - 1)}`);
      }
    };
    countRuns();
    assert.ok(acknowledged.size >= KILL_AT - EXECUTIONS, `${acknowledged.size} checkpoints were acknowledged before the kill`);
    assert.ok(acknowledged.size < EXECUTIONS * STEPS, "the kill came while executions ran");

    const second = await startChildRunner({ flowsModule: FLOWS_MODULE, db });
    children.push(second);
    const execIds = await Promise.all(requestIds.map((requestId, n) => startedFirst[n] ?? start(second, requestId)));
    assert.equal(new Set(execIds).size, EXECUTIONS, "one execution per request ID");
    const repeated = startedFirst.filter((execId) => execId === undefined).length;
    if (repeated > 0) t.diagnostic(`${repeated} of ${EXECUTIONS} starts were cut by the kill and repeated on the next runner`);
    const states = await eventually(
      () => Promise.all(execIds.map(async (execId) => (await second.client.getExecution({ execId })).execution?.status)),
      (all) => all.every((status) => status === ExecutionStatus.COMPLETED),
      150_000,
    );
    assert.equal(states.filter((status) => status === ExecutionStatus.COMPLETED).length, EXECUTIONS, "every execution completed after the restart");

    countRuns();
    const rerun = [...acknowledged].filter((key) => runs.get(key) !== 1);
    assert.deepEqual(rerun, [], `acknowledged checkpoints that ran again after the kill (their records were lost): ${rerun.length} of ${acknowledged.size}`);
    const store = await db.open();
    stores.push(store);
    for (const execId of execIds) {
      const completed = (await store.listCalls(execId)).filter((c) => c.status === "completed");
      assert.equal(completed.length, STEPS, `execution ${execId} holds ${completed.length} completed records for ${STEPS} checkpoints`);
      assert.equal(new Set(completed.map((c) => c.invocationId)).size, STEPS, `execution ${execId}: each checkpoint recorded once`);
      const result = (await store.getExecution(execId))?.state.result;
      assert.equal(result?.kind === "inline" ? result.json : undefined, String(STEPS), `execution ${execId} returned ${STEPS}`);
    }
  });
});
