import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Client } from "@connectrpc/connect";
import { CheckpointCallStatus, ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import type { RunningRunner } from "../../services/runner/src/runner-server.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { crashPipeline, markerCounts } from "../fixtures/flows/crash-pipeline.ts";
import { bigText, digest } from "../fixtures/flows/large-output.ts";
import { stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { type ChildRunner, KillableRunners } from "../support/killable-runners.ts";
import { eventually } from "../support/runner-env.ts";

const FLOWS_MODULE = fileURLToPath(new URL("../fixtures/flows/crash-pipeline.ts", import.meta.url));
const TIMEOUT = 60_000;
/** Resolves with `value` after `ms`, without keeping the process alive. */
const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms).unref());

describe("recovery of executions from a runner that went away", () => {
  let scratch: string;
  const runners = new KillableRunners({ flowsModule: FLOWS_MODULE, flows: [crashPipeline] });
  const markers: string[] = [];

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-crash-"));
  });
  after(async () => {
    for (const marker of markers) writeFileSync(`${marker}.release`, ""); // lets orphaned checkpoint loops end
    await runners.teardown();
    rmSync(scratch, { recursive: true, force: true });
    await stopTestServer();
  });

  const openStore = (database: TestDatabase): Promise<ExecutionStore> => runners.openStore(database);
  /** An in-process runner with the crash pipeline on `store`'s database. */
  const inProcessRunner = (store: ExecutionStore, leaseTtlMs?: number): Promise<RunningRunner> => runners.startInProcess(store, { leaseTtlMs });
  const clientOf = (address: string): Client<typeof RunnerService> => runners.client(address, { readMaxBytes: 256 << 20 });

  function newMarker(name: string): string {
    const marker = path.join(scratch, `${name}.log`);
    writeFileSync(marker, "");
    markers.push(marker);
    return marker;
  }

  const counts = (marker: string) => markerCounts(readFileSync(marker, "utf8"));
  const full = async (client: Client<typeof RunnerService>, execId: string) => (await client.getExecution({ execId, view: ExecutionView.FULL })).execution!;

  /** Starts a runner child on `database` (lease `leaseTtlMs`). */
  const child = (database: TestDatabase, leaseTtlMs?: number): Promise<ChildRunner> => runners.startChild(database, { leaseTtlMs });

  /** Starts the crash pipeline on `runner` and resolves once it ran fetch and parse and is blocked inside slow_step. */
  async function startBlocked(runner: ChildRunner, marker: string, mib = 0): Promise<string> {
    const { execution } = await runner.client.startExecution({ flowName: "crash_pipeline", input: { marker, mib } });
    const execId = execution!.execId;
    const blocked = await eventually(
      () => full(runner.client, execId),
      (e) => e.checkpoints.length === 2 && counts(marker).slow_step === 1,
      TIMEOUT,
    );
    assert.deepEqual(
      blocked.checkpoints.map((c) => [c.invocationId, c.status]),
      [
        ["fetch", CheckpointCallStatus.COMPLETED],
        ["parse", CheckpointCallStatus.COMPLETED],
      ],
      `the child ran fetch and parse and is inside slow_step\n${runner.stderr()}`,
    );
    assert.deepEqual(counts(marker), { fetch: 1, parse: 1, slow_step: 1 });
    assert.equal(blocked.status, ExecutionStatus.RUNNING);
    return execId;
  }

  /** Runs the crash pipeline in a child until it blocks in slow_step, then SIGKILLs the child. */
  async function runUntilKilled(database: TestDatabase, marker: string, mib: number): Promise<string> {
    const runner = await child(database);
    const execId = await startBlocked(runner, marker, mib);
    await runner.kill("SIGKILL");
    assert.equal(runner.process.signalCode, "SIGKILL");
    return execId;
  }

  it("continues a SIGKILLed runner's execution on another runner without re-running completed checkpoints", async () => {
    const database = await testDatabase();
    const marker = newMarker("killed");
    const execId = await runUntilKilled(database, marker, 0);

    writeFileSync(`${marker}.release`, "");
    const survivor = await inProcessRunner(await openStore(database));
    const client = clientOf(survivor.address);
    const done = await eventually(
      () => full(client, execId),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED, `still ${ExecutionStatus[done.status]}`);
    assert.equal(done.result?.kind.value, `parsed 7 chars, slow step done; fetched 7 chars, sha256 ${digest("fetched").sha256}`);
    assert.deepEqual(
      counts(marker),
      { fetch: 1, parse: 1, slow_step: 2, finish: 1 },
      "checkpoints completed before the kill ran once in total; the interrupted one ran again",
    );
    assert.deepEqual(
      done.checkpoints.map((c) => [c.invocationId, c.status]),
      ["fetch", "parse", "slow_step", "finish"].map((id) => [id, CheckpointCallStatus.COMPLETED]),
    );
  });

  it("carries a checkpoint output larger than 16 MiB across a crash", async () => {
    const database = await testDatabase();
    const marker = newMarker("killed-large");
    const execId = await runUntilKilled(database, marker, 17);

    writeFileSync(`${marker}.release`, "");
    const survivor = await inProcessRunner(await openStore(database));
    const client = clientOf(survivor.address);
    const done = await eventually(
      () => full(client, execId),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    const expected = digest(bigText(17));
    assert.equal(
      done.result?.kind.value,
      `parsed ${expected.length} chars, slow step done; fetched ${expected.length} chars, sha256 ${expected.sha256}`,
      "finish, run only after the crash, received fetch's recorded output intact",
    );
    assert.deepEqual(counts(marker), { fetch: 1, parse: 1, slow_step: 2, finish: 1 });
  });

  it("recovers every execution of a killed runner at once, even while one of them is blocked", async () => {
    const database = await testDatabase();
    const runner = await child(database);
    const markersInOrder = [newMarker("stuck"), newMarker("free")];
    const [stuckId, freeId] = [await startBlocked(runner, markersInOrder[0]!), await startBlocked(runner, markersInOrder[1]!)];
    await runner.kill("SIGKILL");

    writeFileSync(`${markersInOrder[1]}.release`, ""); // only the second may finish
    const store = await openStore(database);
    const survivor = await inProcessRunner(store);
    const client = clientOf(survivor.address);
    const free = await eventually(
      () => full(client, freeId!),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.equal(free.status, ExecutionStatus.COMPLETED, "the free execution is not held up by the blocked one");
    const active = await eventually(
      async () => survivor.engine.activeExecutionIds,
      (ids) => ids.includes(stuckId!),
      TIMEOUT,
    );
    assert.ok(active.includes(stuckId!), "the blocked execution was recovered too");
    assert.equal(counts(markersInOrder[0]!).slow_step, 2);
    assert.deepEqual(counts(markersInOrder[1]!), { fetch: 1, parse: 1, slow_step: 2, finish: 1 });

    // The survivor still stops promptly while the execution it recovered is blocked, and a third runner finishes it.
    const stopping = await Promise.race([survivor.stop().then(() => "stopped"), later(20_000, "still stopping")]);
    assert.equal(stopping, "stopped");
    const third = await inProcessRunner(store);
    writeFileSync(`${markersInOrder[0]}.release`, "");
    const stuck = await eventually(
      () => full(clientOf(third.address), stuckId!),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.equal(stuck.status, ExecutionStatus.COMPLETED);
    assert.deepEqual(counts(markersInOrder[0]!), { fetch: 1, parse: 1, slow_step: 3, finish: 1 });
  });

  it("hands the execution back when a runner process gets SIGTERM, and the process exits", async () => {
    const leaseTtlMs = 60_000; // so a takeover within the test can only come from the hand-back
    const database = await testDatabase();
    const runner = await child(database, leaseTtlMs);
    const marker = newMarker("terminated");
    const execId = await startBlocked(runner, marker);
    const survivor = await inProcessRunner(await openStore(database), leaseTtlMs);

    const stoppedAt = Date.now();
    runner.process.kill("SIGTERM");
    const ended = await Promise.race([runner.exited, later(20_000, "still running")]);
    assert.deepEqual(ended, { code: 0, signal: null }, `the runner exits after handing back\n${runner.stderr()}`);
    assert.doesNotMatch(runner.stderr(), /releasing execution .* failed/);
    const taken = await eventually(
      async () => survivor.engine.activeExecutionIds,
      (ids) => ids.includes(execId),
      TIMEOUT,
    );
    assert.deepEqual(taken, [execId], "another runner took the execution over");
    assert.ok(Date.now() - stoppedAt < leaseTtlMs / 2, `takeover took ${Date.now() - stoppedAt} ms`);

    writeFileSync(`${marker}.release`, "");
    const done = await eventually(
      () => full(clientOf(survivor.address), execId),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.deepEqual(counts(marker), { fetch: 1, parse: 1, slow_step: 2, finish: 1 });
  });

  it("hands an execution back on graceful stop, and another runner continues it before the lease would expire", async () => {
    const leaseTtlMs = 60_000; // so a takeover within the test can only come from the hand-back
    const database = await testDatabase();
    const store = await openStore(database);
    const first = await inProcessRunner(store, leaseTtlMs);
    const marker = newMarker("stopped");
    const { execution } = await clientOf(first.address).startExecution({ flowName: "crash_pipeline", input: { marker } });
    const execId = execution!.execId;
    await eventually(
      async () => counts(marker).slow_step ?? 0,
      (n) => n === 1,
      TIMEOUT,
    );
    assert.deepEqual(first.engine.activeExecutionIds, [execId]);

    const second = await inProcessRunner(store, leaseTtlMs);
    const stoppedAt = Date.now();
    await first.stop();
    assert.deepEqual(first.engine.activeExecutionIds, []);
    const taken = await eventually(
      async () => second.engine.activeExecutionIds,
      (ids) => ids.includes(execId),
      TIMEOUT,
    );
    assert.deepEqual(taken, [execId], "the second runner took the execution over");
    assert.ok(Date.now() - stoppedAt < leaseTtlMs / 2, `takeover took ${Date.now() - stoppedAt} ms`);

    await eventually(
      async () => counts(marker).slow_step ?? 0,
      (n) => n === 2,
      TIMEOUT,
    );
    writeFileSync(`${marker}.release`, "");
    const client = clientOf(second.address);
    const done = await eventually(
      () => full(client, execId),
      (e) => e.status === ExecutionStatus.COMPLETED,
      TIMEOUT,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, `parsed 7 chars, slow step done; fetched 7 chars, sha256 ${digest("fetched").sha256}`);
    assert.deepEqual(counts(marker), { fetch: 1, parse: 1, slow_step: 2, finish: 1 });
  });
});
