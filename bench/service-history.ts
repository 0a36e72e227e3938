/**
 * The history benchmark through the services: fill the store with completed
 * 10-call executions, start a real runner and planner on each size's store
 * (in-process, over gRPC) and time what clients do: start an execution and
 * watch it to completed, GetExecution (BASIC and FULL), PlanReplay and
 * ReplayExecution of a 10-call execution; then the CPU of a runner process of
 * its own on each size's store while idle. On the embedded store all sizes are
 * open at once and measured in rounds across them, so that load changing on a
 * shared machine hits every size alike.
 *
 *   node --conditions=kitaru-source --import tsx bench/service-history.ts [--store sqlite|mongo] [--sizes 0,1000,5000,20000,100000]
 *     [--samples 200|3] [--runs 10|3] [--replays 10|2] [--idle-s 10] [--dir <directory>] [--fill-dir <directory>]
 *
 * sqlite (default sizes 0,1k,5k,20k,100k): filled through the store API on
 * /dev/shm, measured on a copy on the real disk (bench/support/history-fill.ts).
 * mongo (default sizes 0,1k,5k, few samples: every FerretDB query scans its
 * collection): MONGODB_URI, else a local FerretDB. See bench/README.md.
 */
import { ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ExecutionStore } from "../services/runner/src/store/execution-store.ts";
import { MongoExecutionStore } from "../services/runner/src/store/mongo-execution-store.ts";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import { intFlag, machineLoad, median, now, quantile, runBench, startBenchEnvOn, stringFlag, type BenchEnv, type Timing } from "./support/common.ts";
import { startAndWatch } from "./support/grpc-runs.ts";
import { spawnRunner, type RunnerProcess } from "./support/runner-process.ts";
import { buildSqliteHistory, FILL_CALLS, fillExecId, mongoHistory, parseSizes, processCpuMs, type HistoryLevel } from "./support/history-fill.ts";
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
/** Executions run untimed first at each size (JIT, caches, connections; the picks of size 0). */
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
  readonly idleBusyPct: number;
  readonly idleGc: string;
  readonly idleStoreCalls: string;
  readonly serverIdleCpuPct: number | undefined;
  readonly load: string;
}

/** Median and p95 of timings taken one by one. */
function timing(values: readonly number[]): Timing {
  return { p50: median(values), p95: quantile(values, 0.95) };
}

/** Time one call of `op`, in ms. */
async function timed(op: () => Promise<unknown>): Promise<number> {
  const t0 = now();
  await op();
  return now() - t0;
}

/** One size under test: a runner and planner on its store, the executions the bench ran there, and the timings so far. */
interface Target {
  readonly level: HistoryLevel;
  readonly env: BenchEnv;
  readonly own: string[];
  readonly times: { start: number[]; getBasic: number[]; getFull: number[]; plan: number[]; replay: number[] };
}

/** Starts a runner and planner on `store` (the env closes it) and runs the untimed first executions there. */
async function openTarget(store: ExecutionStore, where: string, level: HistoryLevel): Promise<Target> {
  const env = await startBenchEnvOn(store, where, { flows: benchFlows, withPlanner: true });
  const own: string[] = [];
  for (let r = 0; r < WARMUP_RUNS; r++) own.push((await startAndWatch(env.runnerClient, "bench_chain", { calls: FILL_CALLS })).execId);
  return { level, env, own, times: { start: [], getBasic: [], getFull: [], plan: [], replay: [] } };
}

const ROUNDS = Math.max(RUNS, REPLAYS);

/**
 * Round `round` on one size: a start→completed (while `round` < RUNS), its
 * share of the `SAMPLES` reads of each kind, a replay (while < REPLAYS); with
 * `record` false the same untimed.
 */
async function measureRound(target: Target, round: number, record: boolean): Promise<void> {
  const { env, own, times, level } = target;
  const client = env.runnerClient;
  // Reads and replays hit random `bench_chain` executions across the whole history (the even fills).
  const pick = () => (level.size === 0 ? own[Math.floor(Math.random() * own.length)]! : fillExecId(2 * Math.floor((Math.random() * level.size) / 2)));
  const keep = (list: number[], ms: number) => void (record && list.push(ms));
  if (round < RUNS) {
    const run = await startAndWatch(client, "bench_chain", { calls: FILL_CALLS });
    own.push(run.execId);
    keep(times.start, run.doneAt - run.sentAt);
  }
  const reads = Math.floor(SAMPLES / ROUNDS) + (round < SAMPLES % ROUNDS ? 1 : 0);
  for (let i = 0; i < reads; i++) keep(times.getBasic, await timed(() => client.getExecution({ execId: pick(), view: ExecutionView.BASIC })));
  for (let i = 0; i < reads; i++) {
    keep(
      times.getFull,
      await timed(async () => {
        const { execution } = await client.getExecution({ execId: pick(), view: ExecutionView.FULL });
        if (execution?.checkpoints.length !== FILL_CALLS) throw new Error(`FULL view of ${execution?.execId} has ${execution?.checkpoints.length} calls`);
      }),
    );
  }
  for (let i = 0; i < reads; i++) {
    keep(
      times.plan,
      await timed(async () => {
        const { plan } = await env.plannerClient!.planReplay({ execId: pick(), from: FROM });
        if (plan?.reuse.length !== 4 || plan.reexecute.length !== 6)
          throw new Error(`plan reuses ${plan?.reuse.length}, re-executes ${plan?.reexecute.length}`);
      }),
    );
  }
  if (round < REPLAYS) {
    const replay = await timeReplay(env, pick(), FROM);
    if (replay.reused !== 4 || replay.executed !== 6) throw new Error(`replay recorded ${replay.reused} reused / ${replay.executed} executed calls`);
    keep(times.replay, replay.totalMs);
  }
}

/**
 * One untimed round on every target (JIT, caches), then `ROUNDS` timed ones,
 * each visiting every target once, in an order that rotates from round to
 * round: load that comes and goes on a shared machine then hits every size
 * alike, instead of whichever size was being measured at the time.
 */
async function measureRounds(targets: readonly Target[]): Promise<void> {
  for (const target of targets) await measureRound(target, 0, false);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < targets.length; k++) await measureRound(targets[(round + k) % targets.length]!, round, true);
  }
}

/** A runner process's idle window. */
interface RunnerIdle {
  readonly cpuPct: number;
  /** Event-loop busy time, % of the window. */
  readonly busyPct: number;
  /** Garbage collection pauses in the window, and how many were major ones. */
  readonly gcMs: number;
  readonly majorGcs: number;
  /** The store calls it made in the window, e.g. "findClaimable ×40". */
  readonly storeCalls: string;
  /** The database server's CPU over the same window, when its PID is known. */
  readonly serverPct: number | undefined;
}

/**
 * The idle CPU of runner processes of their own (runner-child.ts: the bench
 * flows, default timing, no planner, no bench garbage in the process), one per
 * store in `stores` (an SQLite file, or a URI and database), measured together
 * over the same `IDLE_S` window after 3 s to settle. An idle runner polls
 * `findClaimable` every 250 ms, pings its database every 2 s and sweeps
 * waiting executions once per lease TTL (15 s).
 */
async function idleRunners(stores: readonly { where: string; database?: string }[], serverPid?: number): Promise<RunnerIdle[]> {
  const runners: RunnerProcess[] = [];
  try {
    for (const { where, database } of stores) runners.push(await spawnRunner(where, database));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const runner of runners) runner.reset();
    const server0 = serverPid === undefined ? undefined : processCpuMs(serverPid);
    const t0 = now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const stats = await Promise.all(runners.map((r) => r.stats()));
    const server1 = serverPid === undefined ? undefined : processCpuMs(serverPid);
    const serverPct = server0 === undefined || server1 === undefined ? undefined : ((server1 - server0) / (now() - t0)) * 100;
    return stats.map((s) => ({
      cpuPct: (s.cpuMs / s.wallMs) * 100,
      busyPct: (s.busyMs / s.wallMs) * 100,
      gcMs: s.gcMs,
      majorGcs: s.majorGcs,
      storeCalls:
        Object.entries(s.storeCalls)
          .map(([name, c]) => `${name} ×${c.calls}`)
          .join(", ") || "none",
      serverPct,
    }));
  } finally {
    for (const runner of runners) await runner.stop();
  }
}

function levelOf(target: Target, idle: RunnerIdle, load: string): Level {
  const { times, level } = target;
  return {
    size: level.size,
    fillMs: level.fillMs,
    startToCompleted: timing(times.start),
    getBasic: timing(times.getBasic),
    getFull: timing(times.getFull),
    planReplay: timing(times.plan),
    replay: timing(times.replay),
    idleCpuPct: idle.cpuPct,
    idleBusyPct: idle.busyPct,
    idleGc: `${idle.gcMs.toFixed(0)} ms of GC pauses (${idle.majorGcs} major)`,
    idleStoreCalls: idle.storeCalls,
    serverIdleCpuPct: idle.serverPct,
    load,
  };
}

/** SQLite: every size's store open at once, measured in rounds across them; then the idle CPU size by size. */
async function sqliteLevels(): Promise<Level[]> {
  const log = (line: string) => console.log(`service-history: ${line}`);
  const history = await buildSqliteHistory(SIZES, { dir: stringFlag("dir", "") || undefined, fillRoot: stringFlag("fill-dir", "") || undefined, log });
  try {
    const open = (file: string) => SqliteExecutionStore.open({ path: file });
    const targets: Target[] = [];
    try {
      for (const level of history.levels) targets.push(await openTarget(await open(level.file), level.file, level));
      await measureRounds(targets);
    } finally {
      for (const target of targets) await target.env.teardown();
    }
    const load = machineLoad();
    console.log(`measured ${ROUNDS} rounds over all sizes (${load}); now the idle CPU of a runner process per size`);
    const idle = await idleRunners(history.levels.map((level) => ({ where: level.file })));
    return targets.map((target, i) => levelOf(target, idle[i]!, load));
  } finally {
    history.remove();
  }
}

/**
 * MongoDB: one size at a time (on FerretDB each runner's idle polls scan the
 * executions collection, so runners on several sizes at once would load the
 * server for each other), growing one database.
 */
async function mongoLevels(): Promise<Level[]> {
  const levels: Level[] = [];
  for await (const level of mongoHistory(SIZES, { log: (line) => console.log(`service-history: ${line}`) })) {
    const open = () => MongoExecutionStore.connect({ uri: level.uri, database: level.database });
    const target = await openTarget(await open(), level.database, level);
    try {
      await measureRounds([target]);
    } finally {
      await target.env.teardown();
    }
    const load = machineLoad();
    const [idle] = await idleRunners([{ where: level.uri, database: level.database }], level.serverPid);
    levels.push(levelOf(target, idle!, load));
    console.log(`measured at ${level.size} executions (${load})`);
  }
  return levels;
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
  // The target compares with the first size; the ratio to the fastest size is the stricter test.
  console.log(
    `| | ${levels.map((l) => l.size.toLocaleString("en")).join(" | ")} | ${last.size.toLocaleString("en")} / ${base.size} | ${last.size.toLocaleString("en")} / fastest | ≤ ${MAX_GROWTH}× |`,
  );
  console.log(`|---|${levels.map(() => "---|").join("")}---|---|---|`);
  for (const [label, pick] of rows) {
    const ratio = pick(last).p50 / pick(base).p50;
    const strict = pick(last).p50 / Math.min(...levels.map((l) => pick(l).p50));
    console.log(
      `| ${label} | ${levels.map((l) => fmt(pick(l).p50)).join(" | ")} | ${ratio.toFixed(2)}× | ${strict.toFixed(2)}× | ${verdict(ratio <= MAX_GROWTH)} |`,
    );
  }
  const idleOk = levels.every((l) => l.idleCpuPct < MAX_IDLE_PCT);
  console.log(
    `| runner process (alone) CPU idle over ${IDLE_S} s, % of a core | ${levels.map((l) => `${l.idleCpuPct.toFixed(2)} %`).join(" | ")} | | | < ${MAX_IDLE_PCT} %: ${verdict(idleOk)} |`,
  );
  if (levels.some((l) => l.serverIdleCpuPct !== undefined)) {
    console.log(`| database server process CPU idle, % of a core | ${levels.map((l) => `${l.serverIdleCpuPct?.toFixed(2) ?? "?"} %`).join(" | ")} | | | |`);
  }
  for (const [label, pick] of rows) console.log(`p95, ${label.replace(/, (p50|median) of \d+$/, "")}: ${levels.map((l) => fmt(pick(l).p95)).join(" / ")}`);
  console.log(`fill time to each size: ${levels.map((l) => `${(l.fillMs / 1000).toFixed(1)} s`).join(" / ")}`);
  for (const l of levels)
    console.log(
      `idle window at ${l.size.toLocaleString("en")}: event loop busy ${l.idleBusyPct.toFixed(2)} %, of it ${l.idleGc}; store calls ${l.idleStoreCalls}`,
    );
  for (const l of levels) console.log(`at ${l.size.toLocaleString("en")}: measured under ${l.load}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(
    `service-history: sizes ${SIZES.join(", ")} completed ${FILL_CALLS}-call executions; ${SAMPLES} samples per read, ${RUNS} runs, ${REPLAYS} replays per size; ` +
      `runner and planner in this process over gRPC; ${sqlite ? `all sizes at once, measured in ${ROUNDS} rounds across them after an untimed one` : `one size at a time, ${ROUNDS} rounds after an untimed one`}; node ${process.version}; ${machineLoad()}`,
  );
  const levels = sqlite ? await sqliteLevels() : await mongoLevels();
  report(levels);
  console.log(`after: ${machineLoad()}; took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

runBench(main);
