/**
 * Replay from the LAST call of an N-call execution: N-1 calls are reused and
 * one is executed. Measures the replay's wall time and counts the database
 * requests (and writes) it makes; reused calls should cost O(1) round trips
 * in total, not one each.
 *
 *   node --conditions=kitaru-source --import tsx bench/replay-reuse.ts [--calls N] [--runs R] [--style handles|await] [--shared-db] [--no-count]
 *
 * Planner and runner run in-process (as in test/support/services-env.ts);
 * server: MONGODB_URI or a local FerretDB started by scripts/ferretdb/start.mjs.
 */
import { MongoClient } from "mongodb";
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import {
  benchServer,
  boolFlag,
  dropDatabase,
  freshDatabase,
  intFlag,
  machineLoad,
  median,
  ms,
  now,
  startBenchEnv,
  storeCallsBetween,
  stringFlag,
  type BenchEnv,
  type StoreTrace,
} from "./support/common.ts";
import { timeReplay, type ReplayTiming } from "./support/replay-timing.ts";
import { formatGroups, startWireCounter, summarize, type WireRequest } from "./support/wire-counter.ts";
import { benchFlows, invocationIdOf } from "./flows.ts";

const N = intFlag("calls", 1000);
const R = intFlag("runs", 3);
const style = stringFlag("style", "handles");
const flowName = style === "await" ? "bench_chain_await" : style === "handles" ? "bench_chain" : undefined;
if (flowName === undefined) throw new Error(`--style must be handles or await, got ${style}`);

/** A source execution and its replay from the last call. */
interface ReplayRun extends ReplayTiming {
  readonly sourceExecId: string;
  readonly sourceMs: number;
}

async function runOnce(env: BenchEnv, calls: number): Promise<ReplayRun> {
  const s0 = now();
  const source = (await env.runner.engine.startExecution({ namespace: DEFAULT_NAMESPACE, flowName: flowName!, input: { calls } })).execution;
  const sourceDone = await env.finished(source.execId);
  const sourceMs = sourceDone.t - s0;
  if (sourceDone.event.kind !== "status_changed" || sourceDone.event.state.status !== "completed") throw new Error("source did not complete");

  const replay = await timeReplay(env, source.execId, invocationIdOf(calls));
  // Same result as the source, N-1 reused calls and 1 executed call recorded.
  if (JSON.stringify(replay.state.result) !== JSON.stringify(sourceDone.event.state.result)) throw new Error("replay result differs from the source");
  if (replay.reused !== calls - 1 || replay.executed !== 1) throw new Error(`replay recorded ${replay.reused} reused / ${replay.executed} executed calls`);
  return { ...replay, sourceExecId: source.execId, sourceMs };
}

async function countCalls(uri: string, database: string): Promise<number> {
  const client = new MongoClient(uri);
  try {
    return await client.db(database).collection("calls").countDocuments();
  } finally {
    await client.close();
  }
}

const WRITES = new Set(["insert", "update", "delete", "findAndModify"]);

function writesOf(requests: readonly WireRequest[], db: string, from: number, to: number) {
  const writes = requests.filter((r) => r.db === db && r.at >= from && r.at <= to && WRITES.has(r.command));
  return { requests: writes.length, callInserts: writes.filter((r) => r.command === "insert" && r.collection === "calls") };
}

async function main(): Promise<void> {
  const server = await benchServer();
  console.log(`replay-reuse: server ${server.description}`);
  console.log(
    `N=${N} calls in the source, replay from the last (${invocationIdOf(N)}): ${N - 1} reused + 1 executed; R=${R} runs; style=${style}; node ${process.version}, ${machineLoad()}`,
  );
  // Default: a fresh database per run, so every run starts from the same state. On FerretDB every
  // non-_id query scans its whole collection, so with --shared-db each run is slower than the last.
  const shared = boolFlag("shared-db");
  const trace: StoreTrace = { calls: [] };
  const runs: ReplayRun[] = [];
  let env: BenchEnv | undefined;
  const envFor = async () => {
    const database = freshDatabase("kitaru_bench_replay");
    return startBenchEnv({ uri: server.uri, database, flows: benchFlows, withPlanner: true, trace });
  };
  const close = async (e: BenchEnv) => {
    await e.teardown();
    await dropDatabase(server.uri, e.database);
  };
  try {
    env = await envFor();
    await runOnce(env, 20); // warm-up
    for (let r = 0; r < R; r++) {
      if (!shared && r > 0) {
        await close(env);
        env = undefined;
        env = await envFor();
      }
      const run = await runOnce(env, N);
      runs.push(run);
      const callDocs = await countCalls(server.uri, env.database);
      console.log(
        `run ${r + 1}: replay total ${ms(run.totalMs, 1)} = plan & create ${ms(run.createMs, 1)} + claim ${ms(run.claimMs, 1)} + run ${ms(run.runMs, 1)} ` +
          `(claimed→first reuse ${ms(run.loadMs, 1)}, ${N - 1} reuses ${ms(run.reuseMs, 1)}); RPC answered after ${ms(run.rpcMs, 1)}; source execution ${ms(run.sourceMs, 0)}; ` +
          `${callDocs} documents in calls`,
      );
      console.log(`  runner store calls, plan & create: ${storeCallsBetween(trace, run.t0, run.createdAt)}`);
      console.log(`  runner store calls, claim: ${storeCallsBetween(trace, run.createdAt, run.claimedAt)}`);
      console.log(`  runner store calls, run (load and body): ${storeCallsBetween(trace, run.claimedAt, run.doneAt)}`);
    }
  } finally {
    if (env) await close(env);
  }
  const med = (pick: (r: ReplayRun) => number) => ms(median(runs.map(pick)), 1);
  console.log("");
  console.log(
    `median of ${R} runs: replay total ${med((r) => r.totalMs)}; plan & create ${med((r) => r.createMs)}, claim ${med((r) => r.claimMs)}, run ${med((r) => r.runMs)} (of it ${N - 1} reuses ${med((r) => r.reuseMs)}); source (${N} executed calls) ${med((r) => r.sourceMs)}`,
  );
  console.log(
    `replay total per source call: ${ms(median(runs.map((r) => r.totalMs)) / N)}; source execution per call: ${ms(median(runs.map((r) => r.sourceMs)) / N)}`,
  );

  console.log(`after the timed runs: ${machineLoad()}`);
  if (!boolFlag("no-count")) await countRequests(server.uri);
  await server.stop();
}

async function countRequests(uri: string): Promise<void> {
  const wire = await startWireCounter(uri);
  const database = freshDatabase("kitaru_bench_replay_count");
  const env = await startBenchEnv({ uri: wire.uri, database, flows: benchFlows, withPlanner: true });
  try {
    await runOnce(env, 20);
    const run = await runOnce(env, N);
    const whole = summarize(wire.requests, database, run.t0, run.doneAt);
    const planPart = summarize(wire.requests, database, run.t0, run.createdAt);
    const claimPart = summarize(wire.requests, database, run.createdAt, run.claimedAt);
    const runPart = summarize(wire.requests, database, run.claimedAt, run.doneAt);
    const writes = writesOf(wire.requests, database, run.t0, run.doneAt);
    const callDocs = writes.callInserts.reduce((n, r) => n + r.documents, 0);
    console.log("");
    console.log(`requests (counting proxy, separate database, one source of N=${N} + replay from the last; timings through the proxy are not used):`);
    console.log(`  ReplayExecution sent → replay completed: ${whole.total} requests; ${formatGroups(whole.groups)}`);
    console.log(`  plan & create: ${planPart.total}; ${formatGroups(planPart.groups)}`);
    console.log(`  claim (overlaps the RPC answer): ${claimPart.total}; ${formatGroups(claimPart.groups)}`);
    console.log(`  run (claimed → completed): ${runPart.total}; ${formatGroups(runPart.groups)}`);
    console.log(
      `  writes: ${writes.requests} requests in all; inserts into calls: ${writes.callInserts.length} requests carrying ${callDocs} documents ` +
        `(${writes.callInserts.map((r) => r.documents).join(" + ")}) for ${N - 1} reused + 1 executed calls`,
    );
  } finally {
    await env.teardown();
    await wire.close();
    await dropDatabase(uri, database);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
