/**
 * Filling a store with history fast: completed 10-call `bench_chain`
 * executions written through the store's own API (SQLite) or in bulk as the
 * MongoDB store's documents, grown size by size. Shared by the history benches
 * (`store-history.ts`, `service-history.ts`), with the idle-CPU measurement
 * they both make.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { MongoClient } from "mongodb";
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import { startFerretDB } from "../../scripts/ferretdb/start.mjs";
import type { ExecutionStore, NewExecution } from "../../services/runner/src/store/execution-store.ts";
import type { CallDocument, ExecutionDocument, TransitionDocument } from "../../services/runner/src/store/mongo-documents.ts";
import type { CallRecord, ExecutionState } from "../../services/runner/src/store/records.ts";
import { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";
import { dropDatabase, freshDatabase, now } from "./common.ts";
import { invocationIdOf } from "../flows.ts";

/** Calls per filled execution. */
export const FILL_CALLS = 10;
/** Fill timestamps start here, one second apart: all older than the executions a bench creates. */
const FILL_EPOCH = Date.parse("2020-01-01T00:00:00Z");

/** The execution ID of filled execution `i`. */
export const fillExecId = (i: number) => `fill-${String(i).padStart(7, "0")}`;

/** A filled execution of a registered flow (`bench_chain`): only the even ones are; the odd ones are of `other_flow`. */
export const isBenchChainFill = (i: number) => i % 2 === 0;

/** The records of one completed execution, as the engine would have written them. */
export interface FilledExecution {
  readonly execution: NewExecution;
  readonly claimed: Omit<ExecutionState, "seq">;
  readonly completed: Omit<ExecutionState, "seq">;
  readonly calls: CallRecord[];
}

/**
 * The records of filled execution `i`: completed after {@link FILL_CALLS}
 * calls, created `i` seconds after the fill epoch. The calls are what
 * `bench_chain` records (sequence from 1, each taking the previous call's
 * handle), so an even execution (`bench_chain`) can be replayed.
 */
export function completedExecution(i: number): FilledExecution {
  const execId = fillExecId(i);
  const at = new Date(FILL_EPOCH + i * 1000);
  const execution: NewExecution = {
    execId,
    namespace: DEFAULT_NAMESPACE,
    flowName: isBenchChainFill(i) ? "bench_chain" : "other_flow",
    input: { kind: "inline", json: `{"calls":${FILL_CALLS}}` },
    createdAt: at,
  };
  const claim = { epoch: 1, runnerId: "runner-fill", at, expiresAt: new Date(at.getTime() + 15_000) };
  const calls: CallRecord[] = Array.from({ length: FILL_CALLS }, (_, k) => ({
    execId,
    invocationId: invocationIdOf(k + 1),
    callId: `call-${i}-${k}`,
    name: "step",
    status: "completed",
    attempts: 1,
    sequence: k + 1,
    dataDependencies: k === 0 ? [] : [invocationIdOf(k)],
    loadDependencies: [],
    outputNames: [],
    output: { kind: "inline", json: JSON.stringify({ i: k + 1, label: `step ${k + 1}` }) },
    generation: 0,
    startedAt: at,
    endedAt: at,
  }));
  const result = { kind: "inline" as const, json: JSON.stringify({ i: FILL_CALLS, label: `step ${FILL_CALLS}` }) };
  return {
    execution,
    claimed: { kind: "claimed", status: "running", generation: 0, at, claim },
    completed: { kind: "completed", status: "completed", generation: 0, at, endedAt: at, result },
    calls,
  };
}

/** Writes filled executions `from`..`to`-1 through the store's own API (what the engine would have written). */
export async function fillThroughStore(store: ExecutionStore, from: number, to: number): Promise<void> {
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
export async function fillMongoBulk(uri: string, database: string, from: number, to: number): Promise<void> {
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
        const { namespace, flowName, input } = filled.execution;
        executions.push({ _id: execId, namespace, flowName, input, createdAt, state: last, status: last.status, seq: last.seq, leaseExpiresAt: new Date(0) });
        for (const state of states.slice(1)) transitions.push({ _id: `${execId}:${state.seq}`, execId, seq: state.seq, state });
        for (const call of filled.calls)
          calls.push({ ...call, _id: `${execId}:${call.invocationId}`, dataDependencies: [...call.dataDependencies], loadDependencies: [], outputNames: [] });
      }
      await db.collection<ExecutionDocument>("executions").insertMany(executions);
      await db.collection<TransitionDocument>("transitions").insertMany(transitions);
      await db.collection<CallDocument>("calls").insertMany(calls);
    }
  } finally {
    await client.close();
  }
}

/** fsyncs `file`, so none of its pages are left dirty in the page cache. */
export function flushToDisk(file: string): void {
  const fd = openSync(file, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One size of a growing history, ready to measure. */
export interface HistoryLevel {
  readonly size: number;
  /** Time to grow the history from the previous size to this one. */
  readonly fillMs: number;
}

/** A level of an SQLite history: a file on the real disk holding `size` filled executions. */
export interface SqliteHistoryLevel extends HistoryLevel {
  readonly file: string;
}

/** The copies of an SQLite history, one file per size, and how to delete them. */
export interface SqliteHistory {
  readonly levels: readonly SqliteHistoryLevel[];
  /** Deletes the copies (close their stores first). */
  remove(): void;
}

/**
 * Grows an SQLite history through `sizes` (ascending) and keeps, per size, a
 * copy of it on the real disk to measure (~5.3 KB per execution: 100k is
 * ~530 MB). Filled through the store's API in `fillRoot` (default /dev/shm
 * when it exists: commits there cost no fsync, so 100k executions fill in
 * well under a minute), then copied into a fresh directory under `dir`
 * (default: the OS temp dir) and fsynced, so the first checkpoint of a timed
 * run does not flush the whole copy. Announces both directories through `log`.
 */
export async function buildSqliteHistory(
  sizes: readonly number[],
  options: { dir?: string; fillRoot?: string; log: (line: string) => void },
): Promise<SqliteHistory> {
  const dir = mkdtempSync(path.join(options.dir ?? tmpdir(), "kitaru-bench-history-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const fillDir = mkdtempSync(path.join(options.fillRoot ?? (existsSync("/dev/shm") ? "/dev/shm" : dir), "kitaru-bench-fill-"));
  const fillFile = path.join(fillDir, "kitaru.db");
  options.log(`embedded SQLite store; filled through the store API in ${fillDir}, measured on copies in ${dir}`);
  const levels: SqliteHistoryLevel[] = [];
  let filled = 0;
  try {
    for (const size of sizes) {
      const t0 = now();
      const filler = await SqliteExecutionStore.open({ path: fillFile });
      await fillThroughStore(filler, filled, size);
      await filler.close(); // checkpoints the WAL into the file
      const fillMs = now() - t0;
      filled = size;
      const file = path.join(dir, `kitaru-${levels.length}-${size}.db`);
      copyFileSync(fillFile, file);
      flushToDisk(file);
      levels.push({ size, fillMs, file });
    }
  } catch (error) {
    remove();
    throw error;
  } finally {
    rmSync(fillDir, { recursive: true, force: true });
  }
  return { levels, remove };
}

/** A level of a MongoDB history: the database holding `size` filled executions. */
export interface MongoHistoryLevel extends HistoryLevel {
  readonly uri: string;
  readonly database: string;
  /** The local FerretDB's PID, when the bench started one (to read its CPU time). */
  readonly serverPid: number | undefined;
}

/**
 * Grows a MongoDB history through `sizes` in one fresh database on
 * MONGODB_URI, else on a local FerretDB started here, and yields it at each
 * size; drops the database (and stops the server) at the end.
 */
export async function* mongoHistory(sizes: readonly number[], options: { log: (line: string) => void }): AsyncGenerator<MongoHistoryLevel> {
  const local = process.env.MONGODB_URI ? undefined : await startFerretDB();
  const uri = process.env.MONGODB_URI ?? local!.uri;
  const serverPid = local === undefined ? undefined : findProcess(`--sqlite-url=file://${local.dataDir}`);
  const database = freshDatabase("kitaru_bench_history");
  options.log(`MongoDB store on ${local ? "a local FerretDB v1.24.2 (SQLite backend)" : "MONGODB_URI"}, database ${database}`);
  let filled = 0;
  try {
    for (const size of sizes) {
      const t0 = now();
      await fillMongoBulk(uri, database, filled, size);
      const fillMs = now() - t0;
      filled = size;
      yield { size, fillMs, uri, database, serverPid };
    }
  } finally {
    await dropDatabase(uri, database);
    await local?.stop();
  }
}

/** Parses `--sizes`-style text: ascending non-negative integers separated by commas. */
export function parseSizes(text: string): number[] {
  const sizes = text.split(",").map(Number);
  if (sizes.some((n, i) => !Number.isInteger(n) || n < 0 || (i > 0 && n < sizes[i - 1]!))) throw new Error("--sizes wants ascending non-negative integers");
  return sizes;
}

// ------------------------------------------------------------------ idle CPU

/** CPU time (user + system) of another process so far, in ms, from /proc (Linux); undefined elsewhere. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** The PID of the process whose command line contains `needle` (the local FerretDB), if any. */
export function findProcess(needle: string): number | undefined {
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

/** CPU used while idle, as % of one core. */
export interface IdleCpu {
  /** This process (the runner runs in it). */
  readonly processPct: number;
  /** The database server process, when its PID is known. */
  readonly serverPct: number | undefined;
}

/** A full garbage collection, on demand (the flag V8 checks when a context is created). */
const collectGarbage = (() => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

/**
 * This process's CPU (`process.cpuUsage`) over `seconds` of doing nothing,
 * after a full garbage collection and 3 s to settle (so collecting the
 * garbage of the fill and the measurements, hundreds of MB after a 100k fill,
 * is not counted as idle work); with `serverPid`, that process's CPU too
 * (from /proc).
 */
export async function idleCpu(seconds: number, serverPid?: number): Promise<IdleCpu> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const cpu0 = process.cpuUsage();
  const server0 = serverPid === undefined ? undefined : processCpuMs(serverPid);
  const t0 = now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const elapsed = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const server1 = serverPid === undefined ? undefined : processCpuMs(serverPid);
  return {
    processPct: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
    serverPct: server0 === undefined || server1 === undefined ? undefined : ((server1 - server0) / elapsed) * 100,
  };
}
