/**
 * Fault suite, database kill and restart, on the MongoDB store: two runner
 * children on one FerretDB server run `chaos_pipeline` (8 checkpoints and a
 * wait), 6 executions in flight; the test SIGKILLs the database server,
 * keeps it down, and restarts it on the same data directory and port,
 * `KITARU_FAULTS_DB_KILLS` times (default 3), each outage
 * `KITARU_FAULTS_DB_DOWN_MS` long (default 4000, longer than the runners'
 * 3 s lease, so claims lapse while it is down).
 *
 * Asserted, per outage: both runners report NOT_SERVING (health) within
 * 10 s; once they do, RunnerService calls (read, list, start, input) fail with
 * UNAVAILABLE and a `KitaruBackendError` saying since when, within 500 ms
 * even with a 30 s deadline; no call during the whole outage is answered
 * UNKNOWN or INTERNAL; both runners report SERVING within 20 s of the
 * restart. At the end: the runners never exited, every execution completed
 * with the right result, each checkpoint has exactly one call record, each
 * wait one answer, and every checkpoint ran at least once.
 *
 * Always on FerretDB (a MongoDB store the test can kill), whatever
 * `KITARU_TEST_STORE` says: the embedded SQLite store lives in the runner
 * process, so there is no database server to kill.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "#gen/grpc/health/v1/health_pb.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { errorFromConnectError, KitaruBackendError } from "#contract/errors/index.ts";
import { startFerretDB, type LocalFerretDB } from "../../scripts/ferretdb/start.mjs";
import { MongoExecutionStore } from "../../services/runner/src/store/mongo-execution-store.ts";
import { CHAOS_FLOWS, sleep } from "./chaos-support.ts";
import { chaosPipelineResult, markerRuns, pipelineIds } from "../fixtures/flows/chaos-flows.ts";
import { ClientSessions } from "../support/grpc-clients.ts";
import { type ChildRunner, KillableRunners } from "../support/killable-runners.ts";
import { jsonValue } from "../runner/rpc-helpers.ts";
import { freshDatabaseName } from "../support/database.ts";
import { envCount, reportFigures } from "./faults-support.ts";
import { ValueCodec } from "../../services/runner/src/store/value-codec.ts";

const CYCLES = envCount("KITARU_FAULTS_DB_KILLS", 3);
const DOWN_MS = envCount("KITARU_FAULTS_DB_DOWN_MS", 4000);
const IN_FLIGHT = 6;
const RUNNERS = 2;
const LEASE_TTL_MS = 3000;
/** Health must say NOT_SERVING within this of the kill (the runner pings every 2 s, a ping times out after 2 s). */
const DETECT_LIMIT_MS = 10_000;
/** A call made while health says NOT_SERVING must fail within this, although its deadline is 30 s. */
const FAIL_FAST_LIMIT_MS = 500;
const RECOVER_LIMIT_MS = 20_000;
const SETTLE_MS = 120_000;

interface Tracked {
  readonly n: number;
  readonly marker: string;
  readonly seed: number;
  readonly add: number;
  execId?: string;
  status?: ExecutionStatus;
}

interface Outage {
  /** Per runner: kill → health NOT_SERVING. */
  readonly detectMs: number[];
  /** Latency of each probe call made while NOT_SERVING. */
  readonly failMs: number[];
  /** Kill → restart. */
  readonly downMs: number;
  /** Restart → both runners SERVING. */
  readonly recoverMs: number;
  /** Executions not yet completed when the database went down. */
  readonly inFlight: number;
}

describe("faults: the database killed and restarted under load", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(`loses no execution over ${CYCLES} database kills; NOT_SERVING and fast UNAVAILABLE while it is down`, async (t) => {
    const scratch = mkdtempSync(path.join(tmpdir(), "kitaru-db-kills-"));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
    const dataDir = path.join(scratch, "ferretdb");
    let server: LocalFerretDB = await startFerretDB({ dataDir });
    cleanups.push(() => server.stop());
    const port = server.port;
    const name = freshDatabaseName("kitaru_faults_db");
    const runnerArgs = ["--mongodb-uri", server.uri, "--database", name];

    const runners = new KillableRunners({ flowsModule: CHAOS_FLOWS });
    const clients = new ClientSessions();
    // KITARU_FAULTS_LOG_DIR: each runner's log is written there at the end (with MONGODB_LOG_TOPOLOGY=debug
    // MONGODB_LOG_PATH=stderr as well to see the driver's view).
    const logDir = process.env.KITARU_FAULTS_LOG_DIR;
    if (logDir) {
      t.after(() => {
        for (const [i, child] of runners.children.entries()) writeFileSync(path.join(logDir, `database-restarts-runner-${i}.log`), child.stderr());
      });
    }
    cleanups.push(async () => {
      clients.close();
      await runners.teardown();
    });
    const children: ChildRunner[] = [];
    for (let i = 0; i < RUNNERS; i++) children.push(await runners.startChild({ runnerArgs }, { leaseTtlMs: LEASE_TTL_MS }));
    const health: Client<typeof Health>[] = children.map((child) => clients.client(Health, child.address));
    const status = (i: number) =>
      health[i]!.check({ service: "" }, { timeoutMs: 2000 }).then(
        (r) => r.status,
        () => Serving.UNKNOWN,
      );

    // --- the load: executions started, answered and followed through the runners only (black box)
    const tracked: Tracked[] = [];
    const badCodes: string[] = []; // UNKNOWN or INTERNAL answers: never allowed
    let adding = true;
    let halted = false;
    const track = () => {
      const n = tracked.length;
      const marker = path.join(scratch, `exec-${n}.log`);
      writeFileSync(marker, "");
      tracked.push({ n, marker, seed: 2000 + n, add: n % 5 });
    };
    const pending = () => tracked.filter((e) => e.status !== ExecutionStatus.COMPLETED);
    const noteError = (error: unknown) => {
      if (error instanceof ConnectError && (error.code === Code.Unknown || error.code === Code.Internal))
        badCodes.push(`${Code[error.code]}: ${error.rawMessage.slice(0, 300)}`);
    };
    const rpc = { timeoutMs: 10_000 };
    const drive = async () => {
      while (!halted && (adding || pending().length > 0)) {
        if (adding) while (pending().length < IN_FLIGHT) track();
        for (const e of pending()) {
          if (halted) return;
          const client = children[e.n % RUNNERS]!.client;
          try {
            if (e.execId === undefined) {
              const { execution } = await client.startExecution(
                { flowName: "chaos_pipeline", input: { marker: e.marker, seed: e.seed }, requestId: `db-kills-${e.n}` },
                rpc,
              );
              e.execId = execution!.execId;
              continue;
            }
            const { execution } = await client.getExecution({ execId: e.execId }, rpc);
            e.status = execution!.status;
            if (e.status === ExecutionStatus.FAILED || e.status === ExecutionStatus.CANCELLED) return; // lost: reported below
            if (e.status === ExecutionStatus.WAITING || execution!.pendingWaits.some((w) => w.name === "go")) {
              const { waits } = await client.listPendingWaits({ execId: e.execId }, rpc);
              if (waits.some((w) => w.name === "go")) await client.resolveWait({ execId: e.execId, wait: "go", value: jsonValue({ add: e.add }) }, rpc);
            }
          } catch (error) {
            noteError(error); // UNAVAILABLE while the database is down; a lost input is retried on the next round
          }
        }
        await sleep(100);
      }
    };
    const driving = drive();
    driving.catch(() => undefined);

    // --- the outages
    const outages: Outage[] = [];
    let probeN = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await sleep(1500 + 500 * cycle); // executions mid-flight: checkpoints running, waits pending, claims held
      const inFlight = pending().filter((e) => e.execId !== undefined).length;
      const killedAt = Date.now();
      await server.kill("SIGKILL");

      // Each runner notices through its health (its database pings), then fails calls at once.
      const failMs: number[] = [];
      const detectMs = await Promise.all(
        children.map(async (child, i) => {
          for (;;) {
            if ((await status(i)) === Serving.NOT_SERVING) break;
            assert.ok(
              Date.now() - killedAt < DETECT_LIMIT_MS,
              `runner ${i}: still not NOT_SERVING ${DETECT_LIMIT_MS} ms after the database died\n${child.stderr().slice(-4000)}`,
            );
            await sleep(25);
          }
          const detected = Date.now() - killedAt;
          const known = tracked.find((e) => e.execId !== undefined)!.execId!;
          const probes: [string, () => Promise<unknown>][] = [
            ["GetExecution", () => child.client.getExecution({ execId: known }, { timeoutMs: 30_000 })],
            ["ListExecutions", () => child.client.listExecutions({ pageSize: 10 }, { timeoutMs: 30_000 })],
            [
              "StartExecution",
              () =>
                child.client.startExecution(
                  { flowName: "chaos_pipeline", input: { marker: "/dev/null", seed: 0 }, requestId: `db-probe-${probeN++}` },
                  { timeoutMs: 30_000 },
                ),
            ],
            ["ResolveWait", () => child.client.resolveWait({ execId: known, wait: "go", value: jsonValue({ add: 0 }) }, { timeoutMs: 30_000 })],
          ];
          for (const [method, call] of probes) {
            const started = performance.now();
            const error = await call().then(
              () => assert.fail(`${method} succeeded while the database was down`),
              (e: unknown) => e,
            );
            failMs.push(performance.now() - started);
            assert.ok(error instanceof ConnectError, String(error));
            assert.equal(Code[error.code], Code[Code.Unavailable], `${method}: ${error.rawMessage}`);
            const typed = errorFromConnectError(error);
            assert.ok(typed instanceof KitaruBackendError, `${method}: decoded ${typed.name}`);
            assert.ok(typed.metadata["databaseDownSince"], `${method}: says since when the database is down`);
          }
          return detected;
        }),
      );
      const slowest = Math.max(...failMs);
      assert.ok(slowest < FAIL_FAST_LIMIT_MS, `a call took ${slowest.toFixed(0)} ms to fail while NOT_SERVING`);

      await sleep(Math.max(0, killedAt + DOWN_MS - Date.now()));
      const downMs = Date.now() - killedAt;
      server = await startFerretDB({ dataDir, port });
      const restartedAt = Date.now();
      for (let i = 0; i < RUNNERS; i++) {
        for (;;) {
          if ((await status(i)) === Serving.SERVING) break;
          assert.ok(
            Date.now() - restartedAt < RECOVER_LIMIT_MS,
            `runner ${i}: not SERVING ${RECOVER_LIMIT_MS} ms after the database came back (cycle ${cycle + 1})\n${children[i]!.stderr().slice(-4000)}`,
          );
          await sleep(25);
        }
      }
      outages.push({ detectMs, failMs, downMs, recoverMs: Date.now() - restartedAt, inFlight });
    }
    adding = false;

    // --- every execution completes, none lost
    const settled = await Promise.race([driving.then(() => true), sleep(SETTLE_MS).then(() => false)]);
    halted = true;
    const lost = tracked.filter((e) => e.status !== ExecutionStatus.COMPLETED);
    assert.ok(
      settled && lost.length === 0,
      `lost executions: ${lost.map((e) => `#${e.n} ${e.execId ?? "(not started)"} ${e.status === undefined ? "" : ExecutionStatus[e.status]}`).join(", ")}\n` +
        children.map((c) => c.stderr().slice(-3000)).join("\n---\n"),
    );
    const internalLogs = children
      .map(
        (c) =>
          c
            .stderr()
            .match(/internal error[\s\S]{0,1500}/g)
            ?.join("\n") ?? "",
      )
      .join("\n---\n");
    assert.deepEqual(badCodes, [], `no call was answered UNKNOWN or INTERNAL; the runners logged:\n${internalLogs}`);
    for (const [i, child] of children.entries()) assert.ok(child.alive(), `runner ${i} exited:\n${child.stderr().slice(-3000)}`);

    // The journal, read from the database itself.
    const store = await MongoExecutionStore.connect({ uri: server.uri, database: name });
    cleanups.push(() => store.close());
    let runs = 0;
    for (const e of tracked) {
      const label = `execution #${e.n} (${e.execId})`;
      const execution = (await store.getExecution(e.execId!))!;
      assert.equal(await new ValueCodec(store).load(execution.state.result!), chaosPipelineResult(e.seed, e.add), `${label}: result`);
      const calls = await store.listCalls(e.execId!);
      assert.deepEqual(
        calls.map((c) => `${c.invocationId}:${c.status}`),
        pipelineIds.map((id) => `${id}:completed`),
        `${label}: each checkpoint recorded exactly once`,
      );
      const waits = await store.listWaits(e.execId!);
      assert.deepEqual(
        waits.map((w) => [w.name, w.resolution?.kind]),
        [["go", "value"]],
        `${label}: one wait, answered once`,
      );
      const ran = markerRuns(readFileSync(e.marker, "utf8"));
      for (const id of pipelineIds)
        assert.ok(
          ran.some((r) => r.id === id),
          `${label}: ${id} never ran`,
        );
      runs += ran.length;
    }

    const detect = outages.flatMap((o) => o.detectMs);
    const fail = outages.flatMap((o) => o.failMs);
    const recover = outages.map((o) => o.recoverMs);
    const calls = tracked.length * pipelineIds.length;
    reportFigures(t, {
      scenario: "database-restarts",
      text:
        `db kills ${CYCLES}/${CYCLES} survived (${tracked.length} executions, 0 lost, ${calls} checkpoints recorded once; ` +
        `NOT_SERVING ≤${(Math.max(...detect) / 1000).toFixed(1)} s after the kill, calls failed in ≤${Math.ceil(Math.max(...fail))} ms while down, ` +
        `SERVING ≤${(Math.max(...recover) / 1000).toFixed(1)} s after the restart)`,
      figures: {
        cycles: CYCLES,
        executions: tracked.length,
        calls,
        functionRuns: runs,
        maxDetectMs: Math.max(...detect),
        maxFailMs: Math.round(Math.max(...fail)),
        probeCalls: fail.length,
        maxRecoverMs: Math.max(...recover),
        downMs: Math.max(...outages.map((o) => o.downMs)),
        inFlightAtKills: outages.map((o) => o.inFlight).join("/"),
      },
    });
  });
});
