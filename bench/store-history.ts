/**
 * How the store's hot queries and a new execution's cost change as history
 * accumulates: fill the store with completed 10-call executions, then at each
 * size time the queries the engine makes and a start→completed execution
 * through a real runner, plus the runner's idle CPU.
 *
 *   node --conditions=kitaru-source --import tsx bench/store-history.ts [--store sqlite|mongo] [--sizes 0,1000,5000,20000,100000]
 *     [--samples 300|10] [--runs 5|3] [--idle-s 10] [--dir <directory>] [--fill-dir <directory>]
 *
 * sqlite (default sizes 0,1k,5k,20k,100k): the store is filled through its API
 * in `--fill-dir` (default /dev/shm when it exists: commits there cost no
 * fsync, so 100k executions fill in about half a minute), then copied to
 * `--dir` (default: the OS temp dir, a real disk) and measured there.
 * mongo (default sizes 0,1k,5k, fewer samples): MONGODB_URI, else a local
 * FerretDB; filled in bulk with the store's documents and measured in one
 * fresh database.
 * See bench/README.md for what is measured and the targets.
 */
import type { ExecutionStore } from "../services/runner/src/store/execution-store.ts";
import { MongoExecutionStore } from "../services/runner/src/store/mongo-execution-store.ts";
import type { ExecutionRecord } from "../services/runner/src/store/records.ts";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import { intFlag, machineLoad, median, startBenchEnvOn, stringFlag, timeOp, type Timing } from "./support/common.ts";
import { runFlow } from "./support/flow-run.ts";
import { FILL_CALLS, fillExecId, idleCpu, mongoHistory, parseSizes, buildSqliteHistory, type HistoryLevel } from "./support/history-fill.ts";
import { benchFlows } from "./flows.ts";

const kind = stringFlag("store", "sqlite");
if (kind !== "sqlite" && kind !== "mongo") throw new Error(`--store must be sqlite or mongo, got ${kind}`);
const SIZES = parseSizes(stringFlag("sizes", kind === "sqlite" ? "0,1000,5000,20000,100000" : "0,1000,5000"));
// FerretDB scans a collection per query (seconds at 5k executions): fewer samples there.
const SAMPLES = intFlag("samples", kind === "sqlite" ? 300 : 10);
const RUNS = intFlag("runs", kind === "sqlite" ? 5 : 3);
const IDLE_S = intFlag("idle-s", 10);
const CALLS = FILL_CALLS;
/** Executions run untimed first at each size (JIT, caches). */
const WARMUP_RUNS = 10;

interface Level {
  readonly size: number;
  readonly fillMs: number;
  readonly getExecution: Timing;
  readonly listCalls: Timing;
  readonly firstPage: Timing;
  readonly cursorPage: Timing;
  readonly waitingPage: Timing;
  readonly findClaimable: Timing;
  readonly startToCompleted: number;
  readonly idleCpuPct?: number | undefined;
  readonly serverIdleCpuPct?: number | undefined;
}

/** Times the engine's queries and new executions on `store` (the env closes it). */
async function measure(store: ExecutionStore, where: string, { size, fillMs }: HistoryLevel, idle: boolean, serverPid?: number): Promise<Level> {
  const env = await startBenchEnvOn(store, where, { flows: benchFlows });
  try {
    const durations: number[] = [];
    const ran: string[] = [];
    for (let r = 0; r < RUNS + WARMUP_RUNS; r++) {
      const run = await runFlow(env, "bench_chain", CALLS);
      ran.push(run.execId);
      if (r >= WARMUP_RUNS) durations.push(run.doneAt - run.startedAt);
    }
    // Point reads hit random executions across the whole history.
    const ids = (i: number) => (size === 0 || i % 4 === 0 ? ran[i % ran.length]! : fillExecId(Math.floor(Math.random() * size)));
    const anyExecution = async (i: number): Promise<ExecutionRecord> => (await store.getExecution(ids(i)))!;
    const cursors: { createdAt: Date; execId: string }[] = [];
    for (let i = 0; i < 50; i++) cursors.push(await anyExecution(i));
    const level: Level = {
      size,
      fillMs,
      getExecution: await timeOp(SAMPLES, (i) => store.getExecution(ids(i))),
      listCalls: await timeOp(SAMPLES, (i) => store.listCalls(ids(i))),
      firstPage: await timeOp(SAMPLES, () => store.listExecutions({ limit: 50 })),
      cursorPage: await timeOp(SAMPLES, (i) => store.listExecutions({ limit: 50, after: cursors[i % cursors.length]! })),
      waitingPage: await timeOp(SAMPLES, () => store.listExecutions({ status: "waiting", limit: 50 })),
      findClaimable: await timeOp(SAMPLES * 3, () => store.findClaimable(new Date(), 64)),
      startToCompleted: median(durations),
    };
    if (!idle) return level;
    // Idle: the runner polls findClaimable every 250 ms and sweeps waiting executions once per lease TTL.
    const cpu = await idleCpu(IDLE_S, serverPid);
    return { ...level, idleCpuPct: cpu.processPct, serverIdleCpuPct: cpu.serverPct };
  } finally {
    await env.teardown();
  }
}

const us = (value: number) => (value < 1 ? `${(value * 1000).toFixed(0)} µs` : `${value.toFixed(2)} ms`);

function report(levels: readonly Level[]): void {
  const rows: [string, (l: Level) => number][] = [
    ["getExecution (random execution)", (l) => l.getExecution.p50],
    ["listCalls (10 calls of one execution)", (l) => l.listCalls.p50],
    ["list page: newest 50", (l) => l.firstPage.p50],
    ["list page: 50 after a random cursor", (l) => l.cursorPage.p50],
    ["list page: status waiting (the sweep)", (l) => l.waitingPage.p50],
    ["findClaimable (the 250 ms poll)", (l) => l.findClaimable.p50],
    ["start→completed, 10 checkpoints (runner)", (l) => l.startToCompleted],
  ];
  const base = levels[0]!;
  const last = levels.at(-1)!;
  console.log("");
  // At size 0 a list page holds only the few executions the runs created; from the second size on it is full.
  const full = levels[1] ?? base;
  console.log(`| p50 | ${levels.map((l) => `${l.size.toLocaleString("en")}`).join(" | ")} | ${last.size}/${base.size} | ${last.size}/${full.size} |`);
  console.log(`|---|${levels.map(() => "---|").join("")}---|---|`);
  for (const [label, pick] of rows) {
    console.log(
      `| ${label} | ${levels.map((l) => us(pick(l))).join(" | ")} | ${(pick(last) / pick(base)).toFixed(2)}× | ${(pick(last) / pick(full)).toFixed(2)}× |`,
    );
  }
  console.log(
    `| p95 getExecution / listCalls / findClaimable | ${levels.map((l) => `${us(l.getExecution.p95)} / ${us(l.listCalls.p95)} / ${us(l.findClaimable.p95)}`).join(" | ")} | | |`,
  );
  console.log(`| fill time to this size | ${levels.map((l) => `${(l.fillMs / 1000).toFixed(1)} s`).join(" | ")} | | |`);
  for (const l of levels) {
    if (l.idleCpuPct !== undefined) {
      const server = l.serverIdleCpuPct === undefined ? "" : `, database server process ${l.serverIdleCpuPct.toFixed(2)} %`;
      console.log(`idle CPU at ${l.size.toLocaleString("en")} executions over ${IDLE_S} s: runner process ${l.idleCpuPct.toFixed(2)} % of a core${server}`);
    }
  }
}

async function sqliteLevels(): Promise<Level[]> {
  const levels: Level[] = [];
  const history = await buildSqliteHistory(SIZES, {
    dir: stringFlag("dir", "") || undefined,
    fillRoot: stringFlag("fill-dir", "") || undefined,
    log: (line) => console.log(`store-history: ${line}`),
  });
  try {
    for (const level of history.levels) {
      const idle = level.size === SIZES[0] || level.size === SIZES.at(-1);
      levels.push(await measure(await SqliteExecutionStore.open({ path: level.file }), level.file, level, idle));
      console.log(`measured at ${level.size} executions (${machineLoad()})`);
    }
  } finally {
    history.remove();
  }
  return levels;
}

async function mongoLevels(): Promise<Level[]> {
  const levels: Level[] = [];
  for await (const level of mongoHistory(SIZES, { log: (line) => console.log(`store-history: ${line}`) })) {
    const { uri, database, serverPid } = level;
    const idle = level.size === SIZES[0] || level.size === SIZES.at(-1);
    levels.push(await measure(await MongoExecutionStore.connect({ uri, database }), database, level, idle, serverPid));
    console.log(`measured at ${level.size} executions (${machineLoad()})`);
  }
  return levels;
}

async function main(): Promise<void> {
  console.log(
    `sizes ${SIZES.join(", ")} completed ${CALLS}-call executions; ${SAMPLES} samples per query, ${RUNS} runs per size; node ${process.version}; ${machineLoad()}`,
  );
  const levels = kind === "sqlite" ? await sqliteLevels() : await mongoLevels();
  report(levels);
  console.log(`after: ${machineLoad()}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
