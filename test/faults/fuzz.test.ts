/**
 * Fault suite, fuzzed requests to both services: a runner child and a
 * planner child, `KITARU_FAULTS_FUZZ_REQUESTS` seeded random requests
 * (default 10,000; seed `KITARU_FAULTS_FUZZ_SEED`) to every method of
 * RunnerService and PlannerService (fuzz-requests.ts says what they hold),
 * 16 at a time over 6 connections, 10 of them past the size bounds (JSON
 * values above 32 MiB, requests above 64 MiB and above 80 MiB; each kind once
 * in the warm-up and once after). A bystander connection reads from both
 * services every 100 ms meanwhile.
 *
 * Asserted:
 * - no answer is UNKNOWN or INTERNAL, and no service logs an internal error;
 * - every error answer the services make carries a kitaru ErrorInfo, and
 *   every OK answer decodes as the method's response type and is at most
 *   RESPONSE_MESSAGE_BYTES (3.5 MiB: under the 4 MiB default of gRPC
 *   clients, one execution in the pool holding 12 MiB of values);
 * - a request breaking a bound checked before any handler (a string beyond
 *   1024 characters, a JSON value not set, not finite or nested too deep, an
 *   `x-request-id` header beyond 1024 characters, more than 16 KiB of
 *   headers) is answered INVALID_ARGUMENT (RESOURCE_EXHAUSTED above the
 *   transport's 80 MiB);
 * - no unary call runs into its deadline (10 s; 60 s for the huge ones), and
 *   streams, cancelled after 300 ms or 3 messages (a stream past a bound is
 *   left to be refused), never hang;
 * - the bystander never fails (one request cannot take a service down for
 *   other connections);
 * - both children still run and report SERVING;
 * - memory back to baseline: once settled after the fuzz (see
 *   `settledMemory`), each child's V8 heap after a full GC (the memory probe,
 *   test/support/memory-probe.mjs) is at most 16 MiB above its baseline
 *   (settled after the warm-up), its memory outside the heap at most 16 MiB
 *   above, and its RSS at most 192 MiB above (the bounds are justified below).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromBinary, type DescMethod } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "#gen/grpc/health/v1/health_pb.ts";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { ERROR_DOMAIN } from "#contract/errors/index.ts";
import { RESPONSE_MESSAGE_BYTES } from "../../services/runner/src/server/response-bounds.ts";
import { seededRandom, sleep } from "./chaos-support.ts";
import { startChildRunner, type ChildRunner } from "../runner/child-runner.ts";
import { jsonValue } from "../runner/rpc-helpers.ts";
import { startChildPlanner, type ChildPlanner } from "../support/child-planner.ts";
import type { ChildMemory, ChildService } from "../support/child-service.ts";
import { stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { envCount, mib, reportFigures } from "./faults-support.ts";
import { FAULTS_FLOWS } from "./faults-flows.ts";
import { RequestFuzzer, type FuzzPool, type FuzzRequest } from "./fuzz-requests.ts";
import { ClientSessions } from "../support/grpc-clients.ts";

const REQUESTS = envCount("KITARU_FAULTS_FUZZ_REQUESTS", 10_000);
const SEED = Number(process.env.KITARU_FAULTS_FUZZ_SEED || Date.now() % 1_000_000_000);
const IN_FLIGHT = 16;
/** Requests before the memory baseline: the code paths are loaded and compiled by then. */
const WARM_UP = Math.min(500, Math.floor(REQUESTS / 10));
const UNARY_DEADLINE_MS = 10_000;
/** Requests of 33–85 MiB: measured 0.1–0.5 s on an idle runner, 9–13 s while it serves ~1,000 small calls a second. */
const HUGE_DEADLINE_MS = 60_000;
const STREAM_DEADLINE_MS = 5_000;
/** A stream is cancelled after this (or after 3 messages), unless it ends first. */
const STREAM_READ_MS = 300;
/**
 * Memory bounds, after a full GC and settling, over the baseline taken (the
 * same way) after the warm-up:
 * - V8 heap in use, 16 MiB: what the services keep per request is nothing
 *   once it is answered (the executions the fuzz creates live in the
 *   database), so a leak of even 2 KiB per request (20 MiB over 10,000)
 *   shows; the rest is caches that settle (compiled code, descriptors).
 *   Measured: +0.8 to +1.7 MiB.
 * - Buffers and other memory V8 tracks outside its heap (`external`), 16 MiB:
 *   the same for request and response bytes held on to. Measured: +0.
 * - RSS, 192 MiB: only a gross native leak (above ~20 KiB per request).
 *   RSS also counts what the C allocator keeps after freeing. glibc's main
 *   arena grows to the peak of the transient buffers (16 calls in flight,
 *   GetExecution of the 12 MiB execution building responses, requests
 *   up to 85 MiB received in 16 KiB chunks) and hands memory back only from
 *   its top: measured +25 to +137 MiB of RSS after a run depending on the
 *   seed, while the V8 heap grew +2 MiB and `external` +0, with the runner's
 *   `[heap]` mapping (glibc's, not V8's) at 207 MB resident. Retained pages,
 *   not a leak: the next burst reuses them.
 */
const HEAP_BOUND = 16 * 1024 * 1024;
const EXTERNAL_BOUND = 16 * 1024 * 1024;
const RSS_BOUND = 192 * 1024 * 1024;

interface Outcome {
  readonly request: FuzzRequest;
  readonly code: grpc.status;
  readonly details: string;
  /** Why the answer is wrong; undefined when it is fine. */
  readonly problem?: string;
}

describe("faults: fuzzed requests to both services", () => {
  let database: TestDatabase;
  let runner: ChildRunner;
  let planner: ChildPlanner;
  const sessions = new ClientSessions();
  const clients: grpc.Client[] = [];

  before(async () => {
    database = await testDatabase();
    runner = await startChildRunner({ flowsModule: FAULTS_FLOWS, db: database, memoryProbe: true });
    planner = await startChildPlanner({ runnerUrl: `http://${runner.address}`, memoryProbe: true });
  });
  after(async () => {
    for (const client of clients) client.close();
    sessions.close();
    planner?.close();
    await planner?.kill("SIGTERM");
    runner?.close();
    await runner?.kill("SIGTERM");
    database?.remove();
    await stopTestServer();
  });

  it(`answers ${REQUESTS} fuzzed requests without UNKNOWN or INTERNAL, crashes or a lasting memory increase`, async (t) => {
    const pool = await makePool(runner, planner);
    const random = seededRandom(SEED);
    const fuzzer = new RequestFuzzer(random, pool, [
      { service: RunnerService, weight: 0.7 },
      { service: PlannerService, weight: 0.3 },
    ]);
    const connect = (address: string) => {
      const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": -1,
        "grpc.max_send_message_length": -1,
      });
      clients.push(client);
      return client;
    };
    const runnerConnections = Array.from({ length: 4 }, () => connect(runner.address));
    const plannerConnections = Array.from({ length: 2 }, () => connect(planner.address));
    // A huge request goes on a connection of its own: under this load it takes seconds to upload (HTTP/2's
    // 64 KiB windows, refilled at the pace of a busy event loop), and it must not hold small ones up.
    const hugeConnections = { runner: connect(runner.address), planner: connect(planner.address) };
    const connectionFor = (request: FuzzRequest, n: number) => {
      const toPlanner = request.method.parent.typeName === PlannerService.typeName;
      if (request.kind === "huge") return toPlanner ? hugeConnections.planner : hugeConnections.runner;
      return toPlanner ? plannerConnections[n % 2]! : runnerConnections[n % 4]!;
    };

    // The bystander: plain calls on connections of their own, all along.
    const bystander = startBystander(runner, planner, pool, sessions);

    // The requests: the seeded stream, with the huge ones at fixed places: each kind once in the
    // warm-up (so the baseline includes what the allocator keeps after one), then again later.
    const hugeKinds = [
      () => fuzzer.huge(RunnerService.method.resolveWait, { valueBytes: 33 * 1024 * 1024 }),
      () => fuzzer.huge(RunnerService.method.startExecution, { valueBytes: 33 * 1024 * 1024 }),
      () => fuzzer.huge(RunnerService.method.getExecution, { messageBytes: 70 * 1024 * 1024 }),
      () => fuzzer.huge(PlannerService.method.planReplay, { messageBytes: 70 * 1024 * 1024 }),
      () => fuzzer.huge(RunnerService.method.getExecution, { messageBytes: 85 * 1024 * 1024 }),
    ];
    const huge = new Map<number, () => FuzzRequest>([
      ...hugeKinds.map((make, i) => [Math.floor((WARM_UP * (i + 1)) / (hugeKinds.length + 1)), make] as const),
      ...hugeKinds.map((make, i) => [WARM_UP + Math.floor(((REQUESTS - WARM_UP) * (i + 1)) / (hugeKinds.length + 1)), make] as const),
    ]);
    const outcomes: Outcome[] = [];
    let sent = 0;
    const run = async (upTo: number) => {
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (sent < upTo) {
            const n = sent++;
            const request = huge.get(n)?.() ?? fuzzer.next();
            outcomes.push(await send(connectionFor(request, n), request));
          }
        }),
      );
    };

    const startedAt = performance.now();
    await run(WARM_UP);
    const baseline = { runner: await settledMemory(runner), planner: await settledMemory(planner) };
    await run(REQUESTS);
    const fuzzMs = performance.now() - startedAt;
    const bystanderResult = await bystander.stop();
    const final = { runner: await settledMemory(runner), planner: await settledMemory(planner) };

    // --- the verdicts
    const byCode = new Map<string, number>();
    for (const o of outcomes) byCode.set(grpc.status[o.code] ?? String(o.code), (byCode.get(grpc.status[o.code] ?? String(o.code)) ?? 0) + 1);
    const histogram = [...byCode]
      .sort((a, b) => b[1] - a[1])
      .map(([code, count]) => `${code} ${count}`)
      .join(", ");
    const describeOutcome = (o: Outcome) =>
      `${o.request.path} [${o.request.kind}${o.request.why ? `: ${o.request.why}` : ""}] → ${grpc.status[o.code]}: ${o.details.slice(0, 300)}${o.problem ? ` (${o.problem})` : ""}`;

    const unknownOrInternal = outcomes.filter((o) => o.code === grpc.status.UNKNOWN || o.code === grpc.status.INTERNAL);
    assert.deepEqual(
      unknownOrInternal.slice(0, 5).map(describeOutcome),
      [],
      `${unknownOrInternal.length} UNKNOWN/INTERNAL answers (seed ${SEED}; ${histogram})`,
    );
    const problems = outcomes.filter((o) => o.problem !== undefined);
    assert.deepEqual(problems.slice(0, 5).map(describeOutcome), [], `${problems.length} wrong answers (seed ${SEED}; ${histogram})`);
    assert.equal(outcomes.length, REQUESTS);

    assert.deepEqual(bystanderResult.failures.slice(0, 5), [], `the bystander's calls failed ${bystanderResult.failures.length} times`);
    for (const child of [runner, planner]) {
      assert.ok(child.alive(), `a service exited:\n${child.stderr().slice(-3000)}`);
      const internal = child.stderr().match(/internal error|uncaught|unhandled/gi) ?? [];
      assert.equal(internal.length, 0, `a service logged internal errors:\n${child.stderr().slice(-3000)}`);
    }
    assert.equal(await servingStatus(runner.address, sessions), Serving.SERVING, "the runner reports SERVING");
    assert.equal(await servingStatus(planner.address, sessions), Serving.SERVING, "the planner reports SERVING");

    const growth = (name: "runner" | "planner") => ({
      heap: final[name].heapUsed - baseline[name].heapUsed,
      external: final[name].external - baseline[name].external,
      rss: final[name].rss - baseline[name].rss,
    });
    const memoryText = (name: "runner" | "planner", m: { baseline: ChildMemory; final: ChildMemory }) =>
      `${name} heap ${mib(m.baseline.heapUsed)} → ${mib(m.final.heapUsed)} MiB (V8 committed ${mib(m.baseline.heapTotal)} → ${mib(m.final.heapTotal)}), ` +
      `external ${mib(m.baseline.external)} → ${mib(m.final.external)} MiB, RSS ${mib(m.baseline.rss)} → ${mib(m.final.rss)} MiB`;
    for (const name of ["runner", "planner"] as const) {
      const g = growth(name);
      const m = memoryText(name, { baseline: baseline[name], final: final[name] });
      assert.ok(g.heap <= HEAP_BOUND, `${m}: the heap stayed ${mib(g.heap)} MiB above its baseline (bound ${mib(HEAP_BOUND)})`);
      assert.ok(
        g.external <= EXTERNAL_BOUND,
        `${m}: memory outside the heap (external) stayed ${mib(g.external)} MiB above its baseline (bound ${mib(EXTERNAL_BOUND)})`,
      );
      assert.ok(g.rss <= RSS_BOUND, `${m}: RSS stayed ${mib(g.rss)} MiB above its baseline (bound ${mib(RSS_BOUND)})`);
    }

    const invalid = outcomes.filter((o) => o.request.expectInvalid).length;
    const count = (c: grpc.status) => byCode.get(grpc.status[c]) ?? 0;
    const r = growth("runner");
    const p = growth("planner");
    reportFigures(t, {
      scenario: "fuzz",
      text:
        `fuzz ${REQUESTS} requests to ${fuzzer.methods.length} methods of both services → 0 UNKNOWN/INTERNAL, 0 crashes ` +
        `(${count(grpc.status.OK)} OK, ${count(grpc.status.INVALID_ARGUMENT)} INVALID_ARGUMENT of which ${invalid} past a bound, ` +
        `${outcomes.length - count(grpc.status.OK) - count(grpc.status.INVALID_ARGUMENT)} other errors, in ${(fuzzMs / 1000).toFixed(0)} s, seed ${SEED}); ` +
        `memory after GC vs baseline: runner heap ${mib(r.heap, true)} MiB RSS ${mib(r.rss, true)} MiB, planner heap ${mib(p.heap, true)} MiB RSS ${mib(p.rss, true)} MiB (bounds ${mib(HEAP_BOUND)}/${mib(RSS_BOUND)}); ` +
        `bystander ${bystanderResult.calls} calls, 0 failed, max ${bystanderResult.maxMs.toFixed(0)} ms`,
      figures: {
        requests: REQUESTS,
        seed: SEED,
        methods: fuzzer.methods.length,
        codes: histogram,
        pastABound: invalid,
        fuzzMs: Math.round(fuzzMs),
        runnerHeapGrowth: r.heap,
        runnerExternalGrowth: r.external,
        runnerRssGrowth: r.rss,
        plannerHeapGrowth: p.heap,
        plannerExternalGrowth: p.external,
        plannerRssGrowth: p.rss,
        bystanderCalls: bystanderResult.calls,
        bystanderMaxMs: Math.round(bystanderResult.maxMs),
      },
    });
  });
});

/**
 * A child's memory once it has settled: after a full GC, sampled every second
 * until its RSS moved by less than 2 MiB since the last sample (at most 20 s).
 * The allocator hands pages back to the system a while after a burst (a
 * huge request, 10,000 small ones), so one sample right after would measure
 * the burst, not what the service keeps.
 */
async function settledMemory(child: ChildService): Promise<ChildMemory> {
  let last = await child.memory();
  for (let i = 0; i < 20; i++) {
    await sleep(1000);
    const next = await child.memory();
    const moved = Math.abs(next.rss - last.rss);
    last = next;
    if (moved < 2 * 1024 * 1024) break;
  }
  return last;
}

/** Executions for realistic requests to name: completed, waiting, large, replayed. */
async function makePool(runner: ChildRunner, planner: ChildPlanner): Promise<FuzzPool> {
  const client = runner.client;
  const start = async (flowName: string, input: Record<string, unknown>) =>
    (await client.startExecution({ flowName, input: input as never })).execution!.execId;
  const settle = (execId: string, statuses: ExecutionStatus[]) =>
    eventually(
      async () => (await client.getExecution({ execId })).execution!.status,
      (s) => statuses.includes(s),
      60_000,
    );
  const completed = await Promise.all(Array.from({ length: 6 }, (_, i) => start("content_pipeline", { topic: `pool ${i}` })));
  const approvals = await Promise.all(Array.from({ length: 8 }, (_, i) => start("approval", { topic: `pool ${i}` })));
  const answers = await Promise.all(Array.from({ length: 3 }, () => start("first_answer", {})));
  const twin = await start("twin_review", {});
  // 12 MiB of values, past one response's budget: GetExecution leaves some out, ReadExecutionValue streams them.
  const large = await start("many_large_outputs", { mib: 3, parts: 4 });
  const cancelled = await start("approval", { topic: "cancelled" });
  for (const execId of completed) await settle(execId, [ExecutionStatus.COMPLETED]);
  for (const execId of [...approvals, ...answers, twin, cancelled]) await settle(execId, [ExecutionStatus.WAITING]);
  await client.cancelExecution({ execId: cancelled });
  await client.resolveWait({ execId: approvals[0]!, wait: "approve", value: jsonValue({ approved: true, reviewer: "pool" }) });
  await settle(large, [ExecutionStatus.COMPLETED]);
  const replayed = (await planner.client.replayExecution({ execId: completed[0]!, from: "write_draft", overrides: { "checkpoint.research": "edited" } }))
    .execution!.execId;
  await settle(replayed, [ExecutionStatus.COMPLETED]);
  return {
    execIds: [...completed, ...approvals, ...answers, twin, large, cancelled, replayed, "kr-aaaaaaaaaaaaaaaa", "kr-zzzzzzzzzzzzzzzzzzzz"],
    flows: ["content_pipeline", "approval", "first_answer", "twin_review", "many_large_outputs", "chaos_steps", "no_such_flow"],
    waits: ["approve", "answer", "review", "review_2", "go", "nope"],
    checkpoints: ["research", "write_draft", "publish", "draft", "part", "part_2", "acknowledge", "a", "b", "nope"],
    valuePaths: [
      "input",
      "result",
      "checkpoints/research/output",
      "checkpoints/part/output",
      "checkpoints/part_3/output",
      "checkpoints/research/override_value",
      "nope",
      "checkpoints//output",
    ],
  };
}

const identity = (bytes: Buffer) => bytes;
/** Codes the transport or the client produce without the service's details. */
const TRANSPORT_CODES = new Set([grpc.status.OK, grpc.status.CANCELLED, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED]);

/** Sends one request and judges the answer. */
function send(client: grpc.Client, request: FuzzRequest): Promise<Outcome> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of request.headers) metadata.set(key, value);
  const method = request.method;
  return new Promise<Outcome>((resolve) => {
    const finish = (code: grpc.status, details: string, trailers: grpc.Metadata | undefined, decodeProblem?: string) =>
      resolve({ request, code, details, problem: decodeProblem ?? judge(request, code, trailers) });
    if (method.methodKind === "unary") {
      const deadline = Date.now() + (request.kind === "huge" ? HUGE_DEADLINE_MS : UNARY_DEADLINE_MS);
      client.makeUnaryRequest(request.path, identity, identity, request.bytes, metadata, { deadline }, (error, bytes) => {
        if (error) return finish(error.code, error.details, error.metadata);
        finish(grpc.status.OK, "", undefined, undecodable(method, bytes!));
      });
      return;
    }
    const call = client.makeServerStreamRequest(request.path, identity, identity, request.bytes, metadata, { deadline: Date.now() + STREAM_DEADLINE_MS });
    let messages = 0;
    let problem: string | undefined;
    // A request past a bound must be refused, however long the busy service takes to say so (up to the deadline).
    const cancel = request.expectInvalid ? undefined : setTimeout(() => call.cancel(), STREAM_READ_MS);
    call.on("data", (bytes: Buffer) => {
      messages += 1;
      problem ??= undecodable(method, bytes);
      if (messages >= 3 && !request.expectInvalid) call.cancel();
    });
    call.on("error", () => undefined); // the status below says it all
    call.on("status", (status: grpc.StatusObject) => {
      clearTimeout(cancel);
      finish(status.code, status.details, status.metadata, problem);
    });
  });
}

/**
 * The largest response message allowed (RESPONSE_MESSAGE_BYTES, 3.5 MiB): a
 * response carries at most 2 MiB of values as encoded (the rest is named in
 * `omitted_values` and read with ReadExecutionValue, 1 MiB a message), and
 * lists end early to stay within it. The pool holds an execution with
 * 12 MiB of values.
 */
function undecodable(method: DescMethod, bytes: Buffer): string | undefined {
  if (bytes.length > RESPONSE_MESSAGE_BYTES) return `a response of ${bytes.length} bytes: more than the ${RESPONSE_MESSAGE_BYTES} bytes a response may hold`;
  try {
    fromBinary(method.output, bytes);
    return undefined;
  } catch (error) {
    return `the response does not decode as ${method.output.typeName}: ${String(error)}`;
  }
}

/** What is wrong with an answer, beyond UNKNOWN/INTERNAL (checked separately). */
function judge(request: FuzzRequest, code: grpc.status, trailers: grpc.Metadata | undefined): string | undefined {
  if (request.expectInvalid) {
    const allowed = request.kind === "huge" ? [grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED] : [grpc.status.INVALID_ARGUMENT];
    if (!allowed.includes(code)) return `expected INVALID_ARGUMENT: ${request.why}`;
  }
  if (code === grpc.status.DEADLINE_EXCEEDED && request.method.methodKind === "unary") return "a unary call ran into its deadline";
  if (TRANSPORT_CODES.has(code) || code === grpc.status.UNKNOWN || code === grpc.status.INTERNAL) return undefined;
  // Every error the services make carries a google.rpc.Status with a kitaru ErrorInfo.
  const raw = trailers?.get("grpc-status-details-bin")[0];
  if (!(raw instanceof Buffer)) return "an error without details";
  try {
    const status = fromBinary(StatusSchema, raw);
    const info = status.details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo"));
    if (info === undefined || fromBinary(ErrorInfoSchema, info.value).domain !== ERROR_DOMAIN) return "an error without a kitaru ErrorInfo";
    if (status.code !== code) return `grpc-status ${code} but details say ${status.code}`;
  } catch (error) {
    return `undecodable error details: ${String(error)}`;
  }
  return undefined;
}

/** Plain calls to both services every 100 ms on their own connections, until stopped. */
function startBystander(runner: ChildRunner, planner: ChildPlanner, pool: FuzzPool, sessions: ClientSessions) {
  const runnerClient: Client<typeof RunnerService> = sessions.client(RunnerService, runner.address);
  const plannerClient: Client<typeof PlannerService> = sessions.client(PlannerService, planner.address);
  const failures: string[] = [];
  let calls = 0;
  let maxMs = 0;
  let stopped = false;
  const completedExec = pool.execIds[0]!;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        await runnerClient.listFlows({}, { timeoutMs: 5000 });
        await runnerClient.getExecution({ execId: completedExec }, { timeoutMs: 5000 });
        await plannerClient.planReplay({ execId: completedExec, from: "publish" }, { timeoutMs: 5000 });
      } catch (error) {
        failures.push(String(error));
      }
      calls += 3;
      maxMs = Math.max(maxMs, performance.now() - started);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { calls, maxMs, failures };
    },
  };
}

async function servingStatus(address: string, sessions: ClientSessions): Promise<Serving> {
  const health = sessions.client(Health, address);
  return (await health.check({ service: "" }, { timeoutMs: 5000 })).status;
}
