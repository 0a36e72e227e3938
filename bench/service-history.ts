/**
 * The history benchmark through the services: fill the store with completed
 * 10-call executions, then at each size start a real runner and planner on it
 * (in-process, over gRPC) and time what clients do: start an execution and
 * watch it to completed, GetExecution (BASIC and FULL), PlanReplay and
 * ReplayExecution of a 10-call execution; then the runner process's CPU while
 * idle.
 *
 *   node --import tsx bench/service-history.ts [--store sqlite|mongo] [--sizes 0,1000,5000,20000,100000]
 *     [--samples 200|3] [--runs 10|3] [--replays 10|2] [--idle-s 10] [--dir <directory>] [--fill-dir <directory>]
 *
 * sqlite (default sizes 0,1k,5k,20k,100k): filled through the store API on
 * /dev/shm, measured on a copy on the real disk (bench/support/history-fill.ts).
 * mongo (default sizes 0,1k,5k, few samples: every FerretDB query scans its
 * collection): MONGODB_URI, else a local FerretDB. See bench/README.md.
 */
import path from "node:path";
import { ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ExecutionStore } from "../services/runner/src/store/execution-store.ts";
import { MongoExecutionStore } from "../services/runner/src/store/mongo-execution-store.ts";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import { intFlag, machineLoad, median, startBenchEnvOn, stringFlag, timeOp, type BenchEnv, type Timing } from "./support/common.ts";
import { startAndWatch } from "./support/grpc-runs.ts";
import { FILL_CALLS, fillExecId, idleCpu, mongoHistory, parseSizes, sqliteHistory, type HistoryLevel } from "./support/history-fill.ts";
import { timeReplay } from "./support/replay-timing.ts";
import { benchFlows, invocationIdOf } from "./flows.ts";

const kind = stringFlag("store", "sqlite");
if (kind !== "sqlite" && kind !== "mongo") throw new Error(`--store must be sqlite or mongo, got ${kind}`);
const sqlite = kind === "sqlite";
const SIZES = parseSizes(stringFlag("sizes", sqlite ? "0,1000,5000,20000,100000" : "0,1000,5000"));
/** Sequential GetExecution and PlanReplay calls per size (FerretDB: each reads the calls collection, seconds at 5k). */
const SAMPLES = intFlag("samples", sqlite ? 200 : 3);
const RUNS = intFlag("runs", sqlite ? 10 : 3);
const REPLAYS = intFlag("replays", sqlite ? 10 : 2);
const IDLE_S = intFlag("idle-s", 10);
/** Executions run untimed first at each size (JIT, caches, connections). */
const WARMUP_RUNS = sqlite ? 10 : 2;
/** Replays start from this call of a 10-call execution: 4 calls reused, 6 executed. */
const FROM = invocationIdOf(5);
/** The targets (bench/README.md): every row at the largest size within this factor of its value at 0; idle CPU below 1 % of a core. */
const MAX_GROWTH = 1.5;
const MAX_IDLE_PCT = 1;

interface Level {
  readonly size: number;
  readonly fillMs: number;
  readonly startToCompleted: Timing;
  readonly getBasic: Timing;
  readonly getFull: Timing;
  readonly planReplay: Timing;
  readonly replay: Timing;
  readonly idleCpuPct: number;
  readonly serverIdleCpuPct: number | undefined;
  readonly load: string;
}

/** Median and p95 of timings taken one by one. */
function timing(values: readonly number[]): Timing {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: median(sorted), p95: sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]! };
}

/**
 * Times the services on `store` at one history size, then the idle CPU (the
 * env closes the store); `warmUp` makes the same pass without the idle
 * measure and throws its figures away.
 */
async function measure(store: ExecutionStore, where: string, { size, fillMs }: HistoryLevel, serverPid?: number, warmUp = false): Promise<Level | undefined> {
  const env: BenchEnv = await startBenchEnvOn(store, where, { flows: benchFlows, withPlanner: true });
  try {
    const client = env.runnerClient;
    const own: string[] = [];
    const starts: number[] = [];
    for (let r = 0; r < WARMUP_RUNS + RUNS; r++) {
      const run = await startAndWatch(client, "bench_chain", { calls: FILL_CALLS });
      own.push(run.execId);
      if (r >= WARMUP_RUNS) starts.push(run.doneAt - run.sentAt);
    }
    // Reads and replays hit random `bench_chain` executions across the whole history (the even fills).
    const pick = (i: number) => (size === 0 ? own[i % own.length]! : fillExecId(2 * Math.floor((Math.random() * size) / 2)));
    const getBasic = await timeOp(SAMPLES, (i) => client.getExecution({ execId: pick(i), view: ExecutionView.BASIC }));
    const getFull = await timeOp(SAMPLES, async (i) => {
      const { execution } = await client.getExecution({ execId: pick(i), view: ExecutionView.FULL });
      if (execution?.checkpoints.length !== FILL_CALLS) throw new Error(`FULL view of ${execution?.execId} has ${execution?.checkpoints.length} calls`);
    });
    const planReplay = await timeOp(SAMPLES, async (i) => {
      const { plan } = await env.plannerClient!.planReplay({ execId: pick(i), from: FROM });
      if (plan?.reuse.length !== 4 || plan.reexecute.length !== 6) throw new Error(`plan reuses ${plan?.reuse.length}, re-executes ${plan?.reexecute.length}`);
    });
    const replays: number[] = [];
    for (let r = 0; r < REPLAYS + 1; r++) {
      const replay = await timeReplay(env, pick(r), FROM);
      if (replay.reused !== 4 || replay.executed !== 6) throw new Error(`replay recorded ${replay.reused} reused / ${replay.executed} executed calls`);
      if (r > 0) replays.push(replay.totalMs); // the first one warms up
    }
    if (warmUp) return undefined;
    const load = machineLoad();
    // Idle: the runner polls findClaimable every 250 ms and sweeps waiting executions once per lease TTL.
    const cpu = await idleCpu(IDLE_S, serverPid);
    return {
      size,
      fillMs,
      startToCompleted: timing(starts),
      getBasic,
      getFull,
      planReplay,
      replay: timing(replays),
      idleCpuPct: cpu.processPct,
      serverIdleCpuPct: cpu.serverPct,
      load,
    };
  } finally {
    await env.teardown();
  }
}

/**
 * One untimed pass on a store of its own (JIT: without it the first size is
 * measured cold, ~1.5× slower), then a pause like the idle measure that
 * precedes every later size.
 */
async function warmUp(open: () => Promise<ExecutionStore>): Promise<void> {
  await measure(await open(), "warm-up", { size: 0, fillMs: 0 }, undefined, true);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
}

const fmt = (value: number) => (value < 1 ? `${(value * 1000).toFixed(0)} µs` : `${value.toFixed(2)} ms`);

function report(levels: readonly Level[]): void {
  const rows: [string, (l: Level) => Timing, number][] = [
    [`start→completed, ${FILL_CALLS} checkpoints (StartExecution + WatchExecution), median of ${RUNS}`, (l) => l.startToCompleted, RUNS],
    [`GetExecution BASIC, p50 of ${SAMPLES}`, (l) => l.getBasic, SAMPLES],
    [`GetExecution FULL (${FILL_CALLS} calls with outputs), p50 of ${SAMPLES}`, (l) => l.getFull, SAMPLES],
    [`PlanReplay from ${FROM} of a ${FILL_CALLS}-call execution, p50 of ${SAMPLES}`, (l) => l.planReplay, SAMPLES],
    [`ReplayExecution from ${FROM} → completed (4 reused, 6 executed), median of ${REPLAYS}`, (l) => l.replay, REPLAYS],
  ];
  const base = levels[0]!;
  const last = levels.at(-1)!;
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  console.log("");
  // The first size is measured first, and comes out somewhat slower despite the warm-up (JIT); the
  // ratio to the fastest size is the stricter test.
  console.log(`| | ${levels.map((l) => l.size.toLocaleString("en")).join(" | ")} | ${last.size.toLocaleString("en")} / ${base.size} | ${last.size.toLocaleString("en")} / fastest | ≤ ${MAX_GROWTH}× |`);
  console.log(`|---|${levels.map(() => "---|").join("")}---|---|---|`);
  for (const [label, pick] of rows) {
    const ratio = pick(last).p50 / pick(base).p50;
    const strict = pick(last).p50 / Math.min(...levels.map((l) => pick(l).p50));
    console.log(`| ${label} | ${levels.map((l) => fmt(pick(l).p50)).join(" | ")} | ${ratio.toFixed(2)}× | ${strict.toFixed(2)}× | ${verdict(ratio <= MAX_GROWTH)} |`);
  }
  const idleOk = levels.every((l) => l.idleCpuPct < MAX_IDLE_PCT);
  console.log(`| runner process CPU idle over ${IDLE_S} s, % of a core | ${levels.map((l) => `${l.idleCpuPct.toFixed(2)} %`).join(" | ")} | | | < ${MAX_IDLE_PCT} %: ${verdict(idleOk)} |`);
  if (levels.some((l) => l.serverIdleCpuPct !== undefined)) {
    console.log(`| database server process CPU idle, % of a core | ${levels.map((l) => `${l.serverIdleCpuPct?.toFixed(2) ?? "?"} %`).join(" | ")} | | | |`);
  }
  for (const [label, pick] of rows) console.log(`p95, ${label.replace(/, (p50|median) of \d+$/, "")}: ${levels.map((l) => fmt(pick(l).p95)).join(" / ")}`);
  console.log(`fill time to each size: ${levels.map((l) => `${(l.fillMs / 1000).toFixed(1)} s`).join(" / ")}`);
  for (const l of levels) console.log(`at ${l.size.toLocaleString("en")}: measured under ${l.load}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(
    `service-history: sizes ${SIZES.join(", ")} completed ${FILL_CALLS}-call executions; ${SAMPLES} samples per read, ${RUNS} runs, ${REPLAYS} replays per size; ` +
      `runner and planner in this process over gRPC; an untimed warm-up pass on a store of its own first; node ${process.version}; ${machineLoad()}`,
  );
  const levels: Level[] = [];
  const log = (line: string) => console.log(`service-history: ${line}`);
  if (sqlite) {
    for await (const level of sqliteHistory(SIZES, { dir: stringFlag("dir", "") || undefined, fillRoot: stringFlag("fill-dir", "") || undefined, log })) {
      if (levels.length === 0) await warmUp(async () => SqliteExecutionStore.open({ path: path.join(path.dirname(level.file), "warm-up.db") }));
      levels.push((await measure(await SqliteExecutionStore.open({ path: level.file }), level.file, level))!);
      console.log(`measured at ${level.size} executions (${machineLoad()})`);
    }
  } else {
    for await (const level of mongoHistory(SIZES, { log })) {
      const open = () => MongoExecutionStore.connect({ uri: level.uri, database: level.database });
      if (levels.length === 0) await warmUp(open);
      levels.push((await measure(await open(), level.database, level, level.serverPid))!);
      console.log(`measured at ${level.size} executions (${machineLoad()})`);
    }
  }
  report(levels);
  console.log(`after: ${machineLoad()}; took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
