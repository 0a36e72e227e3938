/**
 * Fault suite, racing inputs, on each store (the embedded SQLite store and
 * MongoDB, here FerretDB): a runner child whose database already holds
 * `KITARU_FAULTS_BACKGROUND` executions (default 300, each waiting for its
 * own input), then `KITARU_FAULTS_RACERS` concurrent ResolveWait calls
 * (default 1000) on one wait, from 20 connections, each with its own value
 * and a 10 s deadline.
 *
 * Asserted: exactly one is accepted; every other is answered
 * FAILED_PRECONDITION with a `KitaruStateError` (as
 * test/runner/concurrent-input.test.ts expects of 50); none runs into its
 * deadline; the winner is told it won within its deadline; the execution
 * continues with the winner's value. The figures are the winner's latency
 * and the p50 and max over all calls, from the moment they were all sent.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { errorFromConnectError, KitaruStateError } from "#contract/errors/index.ts";
import { startChildRunner, type ChildRunner } from "../runner/child-runner.ts";
import { jsonValue, plainJson } from "../runner/rpc-helpers.ts";
import { stopTestServer, testDatabase, type TestDatabase, type TestStoreKind } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { envCount, quantile, reportFigures } from "./faults-support.ts";
import { FAULTS_FLOWS } from "./faults-flows.ts";
import { ClientSessions } from "../support/grpc-clients.ts";

const BACKGROUND = envCount("KITARU_FAULTS_BACKGROUND", 300);
const RACERS = envCount("KITARU_FAULTS_RACERS", 1000);
const CONNECTIONS = 20;
const DEADLINE_MS = 10_000;

describe("faults: racing inputs to one wait, with hundreds of executions in the database", () => {
  const children: ChildRunner[] = [];
  const databases: TestDatabase[] = [];
  const sessions = new ClientSessions();
  const parts: { kind: TestStoreKind; winnerMs: number; p50Ms: number; maxMs: number }[] = [];
  after(async () => {
    sessions.close();
    for (const child of children) {
      child.close();
      await child.kill("SIGTERM");
    }
    for (const database of databases) database.remove();
    await stopTestServer();
  });

  for (const kind of ["sqlite", "mongo"] as const) {
    const store = kind === "mongo" ? "MongoDB store (FerretDB)" : "embedded SQLite store";
    it(`on the ${store}: accepts exactly one of ${RACERS} simultaneous inputs and tells the winner within its deadline`, async (t) => {
      const database = await testDatabase(undefined, kind);
      databases.push(database);
      const runner = await startChildRunner({ flowsModule: FAULTS_FLOWS, db: database });
      children.push(runner);
      const client = runner.client;
      // The background: executions waiting for input, as a busy deployment has.
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < BACKGROUND) {
            next += 1;
            await client.startExecution({ flowName: "first_answer", input: {} }, { timeoutMs: 60_000 });
          }
        }),
      );
      const settledBackground = await eventually(
        async () => (await client.listExecutions({ status: ExecutionStatus.RUNNING, pageSize: 10 })).executions.length,
        (running) => running === 0,
        120_000,
      );
      assert.equal(settledBackground, 0, "the background executions reached their waits");

      const { execution } = await client.startExecution({ flowName: "first_answer", input: {} });
      const execId = execution!.execId;
      const waiting = await eventually(
        async () => (await client.getExecution({ execId })).execution!.status,
        (s) => s === ExecutionStatus.WAITING,
        30_000,
      );
      assert.equal(waiting, ExecutionStatus.WAITING);

      const clients: Client<typeof RunnerService>[] = Array.from({ length: CONNECTIONS }, () => sessions.client(RunnerService, runner.address));
      // Connections open first, so the inputs race on the server rather than on connection set-up.
      await Promise.all(clients.map((c) => c.listPendingWaits({ execId })));

      const sentAt = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: RACERS }, (_, n) =>
          clients[n % CONNECTIONS]!.resolveWait({ execId, wait: "answer", value: jsonValue({ n }) }, { timeoutMs: DEADLINE_MS }).then(
            () => ({ n, ms: performance.now() - sentAt, error: undefined }),
            (error: unknown) => ({ n, ms: performance.now() - sentAt, error }),
          ),
        ),
      );

      const winners = outcomes.filter((o) => o.error === undefined);
      const codes = new Map<string, number>();
      for (const { error } of outcomes) {
        const code = error === undefined ? "OK" : error instanceof ConnectError ? Code[error.code] : String(error);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      const histogram = [...codes].map(([code, count]) => `${code} ${count}`).join(", ");
      const slowest = Math.max(...outcomes.map((o) => o.ms));
      assert.equal(
        winners.length,
        1,
        `exactly one input is accepted; accepted: ${JSON.stringify(winners.map((w) => w.n))} (answers: ${histogram}; slowest ${slowest.toFixed(0)} ms)`,
      );
      const winner = winners[0]!;
      const wrong: string[] = [];
      for (const { n, error } of outcomes) {
        if (error === undefined) continue;
        if (!(error instanceof ConnectError)) {
          wrong.push(`#${n}: ${String(error)}`);
          continue;
        }
        const decoded = errorFromConnectError(error);
        if (error.code !== Code.FailedPrecondition || !(decoded instanceof KitaruStateError))
          wrong.push(`#${n}: ${Code[error.code]} ${decoded.name}: ${error.rawMessage.slice(0, 200)}`);
      }
      assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} losers were not told FAILED_PRECONDITION (KitaruStateError); answers: ${histogram}`);
      assert.ok(winner.ms < DEADLINE_MS, `the winner was told after ${winner.ms.toFixed(0)} ms`);

      const done = await eventually(
        async () => (await client.getExecution({ execId })).execution!,
        (e) => e.status === ExecutionStatus.COMPLETED,
        30_000,
      );
      assert.equal(plainJson(done.result), `accepted answer ${winner.n}`, "the flow saw the accepted value");

      const all = outcomes.map((o) => o.ms);
      parts.push({ kind, winnerMs: winner.ms, p50Ms: quantile(all, 0.5), maxMs: slowest });
      if (parts.length === 2) {
        const describePart = (p: (typeof parts)[number]) =>
          `${p.kind === "mongo" ? "FerretDB" : "SQLite"}: winner told in ${p.winnerMs.toFixed(0)} ms, all answered p50 ${p.p50Ms.toFixed(0)} / max ${p.maxMs.toFixed(0)} ms`;
        reportFigures(t, {
          scenario: "racing-inputs",
          text: `racing inputs ${RACERS} (${BACKGROUND} other executions in the store) → 1 accepted, the rest FAILED_PRECONDITION (${parts.map(describePart).join("; ")})`,
          figures: Object.fromEntries(
            parts
              .flatMap((p) => [
                [`${p.kind}WinnerMs`, Math.round(p.winnerMs)],
                [`${p.kind}P50Ms`, Math.round(p.p50Ms)],
                [`${p.kind}MaxMs`, Math.round(p.maxMs)],
              ])
              .concat([
                ["racers", RACERS],
                ["background", BACKGROUND],
              ]),
          ),
        });
      }
    });
  }
});
