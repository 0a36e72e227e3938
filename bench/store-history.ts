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
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFerretDB } from "../scripts/ferretdb/start.mjs";
import { MongoClient } from "mongodb";
import type { ExecutionStore, NewExecution } from "../services/runner/src/store/execution-store.ts";
import type { CallDocument, ExecutionDocument, TransitionDocument } from "../services/runner/src/store/mongo-documents.ts";
import { MongoExecutionStore } from "../services/runner/src/store/mongo-execution-store.ts";
import type { CallRecord, ExecutionRecord, ExecutionState } from "../services/runner/src/store/records.ts";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import { dropDatabase, freshDatabase, intFlag, machineLoad, median, now, quantile, startBenchEnvOn, stringFlag } from "./support/common.ts";
import { runFlow } from "./support/flow-run.ts";
import { benchFlows } from "./flows.ts";

const kind = stringFlag("store", "sqlite");
if (kind !== "sqlite" && kind !== "mongo") throw new Error(`--store must be sqlite or mongo, got ${kind}`);
const SIZES = stringFlag("sizes", kind === "sqlite" ? "0,1000,5000,20000,100000" : "0,1000,5000")
  .split(",")
  .map(Number);
if (SIZES.some((n, i) => !Number.isInteger(n) || n < 0 || (i > 0 && n < SIZES[i - 1]!))) throw new Error("--sizes wants ascending non-negative integers");
// FerretDB scans a collection per query (seconds at 5k executions): fewer samples there.
const SAMPLES = intFlag("samples", kind === "sqlite" ? 300 : 10);
const RUNS = intFlag("runs", kind === "sqlite" ? 5 : 3);
const IDLE_S = intFlag("idle-s", 10);
const CALLS = 10;
/** Executions run untimed first at each size (JIT, caches). */
const WARMUP_RUNS = 10;
/** Fill timestamps start here, one second apart: all older than the executions the runs create. */
const FILL_EPOCH = Date.parse("2020-01-01T00:00:00Z");

/** The records of filled execution `i`: completed after `CALLS` calls, created `i` seconds after the fill epoch. */
function completedExecution(i: number): { execution: NewExecution; claimed: Omit<ExecutionState, "seq">; completed: Omit<ExecutionState, "seq">; calls: CallRecord[] } {
  const execId = `fill-${String(i).padStart(7, "0")}`;
  const at = new Date(FILL_EPOCH + i * 1000);
  const execution: NewExecution = { execId, flowName: i % 2 === 0 ? "bench_chain" : "other_flow", input: { kind: "inline", json: `{"calls":${CALLS}}` }, createdAt: at };
  const claim = { epoch: 1, runnerId: "runner-fill", at, expiresAt: new Date(at.getTime() + 15_000) };
  const calls: CallRecord[] = Array.from({ length: CALLS }, (_, k) => ({
    execId,
    invocationId: k === 0 ? "step" : `step_${k + 1}`,
    callId: `call-${i}-${k}`,
    name: "step",
    status: "completed",
    attempts: 1,
    sequence: k,
    dataDependencies: k === 0 ? [] : [k === 1 ? "step" : `step_${k}`],
    loadDependencies: [],
    outputNames: [],
    output: { kind: "inline", json: JSON.stringify({ i: k + 1, label: `step ${k + 1}` }) },
    generation: 0,
    startedAt: at,
    endedAt: at,
  }));
  const result = { kind: "inline" as const, json: JSON.stringify({ i: CALLS, label: `step ${CALLS}` }) };
  return {
    execution,
    claimed: { kind: "claimed", status: "running", generation: 0, at, claim },
    completed: { kind: "completed", status: "completed", generation: 0, at, endedAt: at, result },
    calls,
  };
}

/** Writes filled executions `from`..`to`-1 through the store's own API (what the engine would have written). */
async function fillThroughStore(store: ExecutionStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const { execution, claimed, completed, calls } = completedExecution(i);
    await store.insertExecution(execution);
    const created = (await store.getExecution(execution.execId))!.state;
    const claimedState = (await store.appendTransition(execution.execId, created, claimed))!;
    await store.recordCalls(calls);
    await store.appendTransition(execution.execId, claimedState, completed);
  }
}

/**
 * Writes filled executions `from`..`to`-1 as the MongoDB store's documents, a
 * thousand per `insertMany`: through the store, FerretDB would take minutes
 * (each of its `_id` reads scans the collection, so a fill is quadratic).
 */
async function fillMongoBulk(uri: string, database: string, from: number, to: number): Promise<void> {
  const client = new MongoClient(uri, { ignoreUndefined: true });
  try {
    const db = client.db(database);
    for (let start = from; start < to; start += 1000) {
      const executions: ExecutionDocument[] = [];
      const transitions: TransitionDocument[] = [];
      const calls: CallDocument[] = [];
      for (let i = start; i < Math.min(to, start + 1000); i++) {
        const filled = completedExecution(i);
        const { execId, createdAt } = filled.execution;
        const states: ExecutionState[] = [
          { seq: 0, kind: "created", status: "running", generation: 0, at: createdAt },
          { ...filled.claimed, seq: 1 },
          { ...filled.completed, seq: 2 },
        ];
        const last = states[2]!;
        const { flowName, input } = filled.execution;
        executions.push({ _id: execId, flowName, input, createdAt, state: last, status: last.status, seq: last.seq, leaseExpiresAt: new Date(0) });
        for (const state of states.slice(1)) transitions.push({ _id: `${execId}:${state.seq}`, execId, seq: state.seq, state });
        for (const call of filled.calls) calls.push({ ...call, _id: `${execId}:${call.invocationId}`, dataDependencies: [...call.dataDependencies], loadDependencies: [], outputNames: [] });
      }
      await db.collection<ExecutionDocument>("executions").insertMany(executions);
      await db.collection<TransitionDocument>("transitions").insertMany(transitions);
      await db.collection<CallDocument>("calls").insertMany(calls);
    }
  } finally {
    await client.close();
  }
}

interface Timing {
  readonly p50: number;
  readonly p95: number;
}

/** Median and p95 of `samples` sequential calls of `op`, in ms, after `samples / 5` untimed calls (JIT, caches). */
async function timeOp(samples: number, op: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < samples / 5; i++) await op(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    await op(i);
    times.push(now() - t0);
  }
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

/** fsyncs `file`, so none of its pages are left dirty in the page cache. */
function flushToDisk(file: string): void {
  const fd = openSync(file, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** CPU time (user + system) of another process so far, in ms, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** The PID of the process whose command line contains `needle` (the local FerretDB), if any. */
function findProcess(needle: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

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
async function measure(store: ExecutionStore, where: string, size: number, fillMs: number, idle: boolean, serverPid?: number): Promise<Level> {
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
    const ids = (i: number) => (size === 0 || i % 4 === 0 ? ran[i % ran.length]! : `fill-${String(Math.floor(Math.random() * size)).padStart(7, "0")}`);
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
    // Settle first, so the collection of the measurements' garbage is not counted as idle work.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const cpu0 = process.cpuUsage();
    const server0 = serverPid === undefined ? undefined : processCpuMs(serverPid);
    const t0 = now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const elapsed = now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const server1 = serverPid === undefined ? undefined : processCpuMs(serverPid);
    const serverIdleCpuPct = server0 === undefined || server1 === undefined ? undefined : ((server1 - server0) / elapsed) * 100;
    return { ...level, idleCpuPct: ((cpu.user + cpu.system) / 1000 / elapsed) * 100, serverIdleCpuPct };
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
    console.log(`| ${label} | ${levels.map((l) => us(pick(l))).join(" | ")} | ${(pick(last) / pick(base)).toFixed(2)}× | ${(pick(last) / pick(full)).toFixed(2)}× |`);
  }
  console.log(`| p95 getExecution / listCalls / findClaimable | ${levels.map((l) => `${us(l.getExecution.p95)} / ${us(l.listCalls.p95)} / ${us(l.findClaimable.p95)}`).join(" | ")} | | |`);
  console.log(`| fill time to this size | ${levels.map((l) => `${(l.fillMs / 1000).toFixed(1)} s`).join(" | ")} | | |`);
  for (const l of levels) {
    if (l.idleCpuPct !== undefined) {
      const server = l.serverIdleCpuPct === undefined ? "" : `, database server process ${l.serverIdleCpuPct.toFixed(2)} %`;
      console.log(`idle CPU at ${l.size.toLocaleString("en")} executions over ${IDLE_S} s: runner process ${l.idleCpuPct.toFixed(2)} % of a core${server}`);
    }
  }
}

async function sqliteLevels(): Promise<Level[]> {
  const dir = mkdtempSync(path.join(stringFlag("dir", tmpdir()), "kitaru-bench-history-"));
  const fillRoot = stringFlag("fill-dir", existsSync("/dev/shm") ? "/dev/shm" : dir);
  const fillDir = mkdtempSync(path.join(fillRoot, "kitaru-bench-fill-"));
  const fillFile = path.join(fillDir, "kitaru.db");
  console.log(`store-history: embedded SQLite store; filled through the store API in ${fillDir}, measured on a copy in ${dir}`);
  const levels: Level[] = [];
  let filled = 0;
  try {
    for (const size of SIZES) {
      const t0 = now();
      const filler = await SqliteExecutionStore.open({ path: fillFile });
      await fillThroughStore(filler, filled, size);
      await filler.close(); // checkpoints the WAL into the file
      const fillMs = now() - t0;
      filled = size;
      const copy = path.join(dir, `kitaru-${size}.db`);
      copyFileSync(fillFile, copy);
      flushToDisk(copy); // else the first checkpoint's fsync would flush the whole copy inside a timed run
      const idle = size === SIZES[0] || size === SIZES.at(-1);
      levels.push(await measure(await SqliteExecutionStore.open({ path: copy }), copy, size, fillMs, idle));
      rmSync(copy, { force: true });
      console.log(`measured at ${size} executions (${machineLoad()})`);
    }
  } finally {
    rmSync(fillDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  return levels;
}

async function mongoLevels(): Promise<Level[]> {
  const local = process.env.MONGODB_URI ? undefined : await startFerretDB();
  const uri = process.env.MONGODB_URI ?? local!.uri;
  const serverPid = local === undefined ? undefined : findProcess(`--sqlite-url=file://${local.dataDir}`);
  const database = freshDatabase("kitaru_bench_history");
  console.log(`store-history: MongoDB store on ${local ? "a local FerretDB v1.24.2 (SQLite backend)" : "MONGODB_URI"}, database ${database}`);
  const levels: Level[] = [];
  let filled = 0;
  try {
    for (const size of SIZES) {
      const t0 = now();
      await fillMongoBulk(uri, database, filled, size);
      const fillMs = now() - t0;
      filled = size;
      const idle = size === SIZES[0] || size === SIZES.at(-1);
      levels.push(await measure(await MongoExecutionStore.connect({ uri, database }), database, size, fillMs, idle, serverPid));
      console.log(`measured at ${size} executions (${machineLoad()})`);
    }
  } finally {
    await dropDatabase(uri, database);
    await local?.stop();
  }
  return levels;
}

async function main(): Promise<void> {
  console.log(`sizes ${SIZES.join(", ")} completed ${CALLS}-call executions; ${SAMPLES} samples per query, ${RUNS} runs per size; node ${process.version}; ${machineLoad()}`);
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
