/** Shared pieces of the benches: arguments, statistics, the server, an in-process runner (and planner). */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { MongoClient } from "mongodb";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { startFerretDB, FERRETDB_VERSION } from "../../scripts/ferretdb/start.mjs";
import { FlowRegistry, type RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import type { ExecutionEvent } from "../../services/runner/src/engine/execution-events.ts";
import { startRunner, type RunningRunner } from "../../services/runner/src/runner-server.ts";
import { startPlanner, type RunningPlanner } from "../../services/planner/src/planner-server.ts";
import { MongoExecutionStore } from "../../services/runner/src/store/mongo-execution-store.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";

// ------------------------------------------------------------------ arguments

/** Reads `--name N` / `--name=N` integer flags. */
export function intFlag(name: string, fallback: number): number {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let raw: string | undefined;
    if (arg === `--${name}`) raw = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) raw = arg.slice(name.length + 3);
    if (raw !== undefined) {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} wants a positive integer, got ${raw}`);
      return value;
    }
  }
  return fallback;
}

export function stringFlag(name: string, fallback: string): string {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}`) return argv[i + 1] ?? fallback;
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return fallback;
}

export function boolFlag(name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`);
}

/**
 * Runs a bench script's `main` and exits the process: with `process.exitCode`
 * (default 0) when it resolves, with 1 after printing the error when it throws
 * (a runner's timers would otherwise keep the process alive).
 */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

// ------------------------------------------------------------------ statistics

/** Nearest-rank quantile (q in [0, 1]) of unsorted values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
export const ms = (value: number, digits = 3) => `${value.toFixed(digits)} ms`;
export const now = () => performance.now();

/** Median and p95 of a series of timings, in ms. */
export interface Timing {
  readonly p50: number;
  readonly p95: number;
}

/** Median and p95 of `samples` sequential calls of `op`, in ms, after `samples / 5` untimed calls (JIT, caches). */
export async function timeOp(samples: number, op: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < samples / 5; i++) await op(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    await op(i);
    times.push(now() - t0);
  }
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

/**
 * "load average x/y/z (1m/5m/15m) on N cores", and on Linux the share of the
 * last 10 s some task waited for I/O (/proc/pressure/io): other work on the
 * machine skews every number here, and a busy disk every commit's fsync.
 */
export function machineLoad(): string {
  const [a, b, c] = os.loadavg();
  let io = "";
  try {
    const some = /^some avg10=([\d.]+)/.exec(readFileSync("/proc/pressure/io", "utf8"));
    if (some) io = `, I/O pressure ${some[1]} %`;
  } catch {
    // not Linux, or no PSI
  }
  return `load average ${a!.toFixed(2)}/${b!.toFixed(2)}/${c!.toFixed(2)} on ${os.cpus().length} cores${io}`;
}

// ------------------------------------------------------------------ server

export interface BenchServer {
  readonly uri: string;
  /** e.g. "FerretDB v1.24.2 (SQLite), MongoDB wire 7.0.42" */
  readonly description: string;
  stop(): Promise<void>;
}

/** MONGODB_URI when set, else a local FerretDB (SQLite, temp dir) started by scripts/ferretdb/start.mjs. */
export async function benchServer(): Promise<BenchServer> {
  const fromEnv = process.env.MONGODB_URI;
  const local = fromEnv ? undefined : await startFerretDB();
  const uri = fromEnv ?? local!.uri;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  let description: string;
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    const ferret = typeof info.ferretdbVersion === "string" ? info.ferretdbVersion : undefined;
    description = ferret
      ? `FerretDB ${ferret} (${fromEnv ? "MONGODB_URI" : `local, SQLite backend, started by scripts/ferretdb/start.mjs, ${FERRETDB_VERSION}`}), reports MongoDB ${String(info.version)}`
      : `MongoDB ${String(info.version)} (MONGODB_URI)`;
  } finally {
    await client.close();
  }
  return { uri, description, stop: async () => void (await local?.stop()) };
}

export function freshDatabase(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

// ------------------------------------------------------------------ runner (+ planner)

/** An execution event with the time it was published. */
export interface TimedEvent {
  readonly t: number;
  readonly event: ExecutionEvent;
}

/** See {@link BenchEnv.reuses}. */
export interface ReuseEvents {
  count: number;
  readonly first: number;
  last: number;
}

export interface BenchEnv {
  /** The MongoDB database name, or the SQLite store's file. */
  readonly database: string;
  readonly store: ExecutionStore;
  readonly runner: RunningRunner;
  /** A RunnerService client of the runner, over gRPC (its own HTTP/2 connection). */
  readonly runnerClient: Client<typeof RunnerService>;
  readonly planner: RunningPlanner | undefined;
  readonly plannerClient: Client<typeof PlannerService> | undefined;
  /** Every event of every execution, timestamped, by execId; `call_reused` events only counted, in {@link reuses}. */
  readonly events: Map<string, TimedEvent[]>;
  /**
   * The `call_reused` events of each execution: how many, and when the first
   * and the last were published. Not kept one by one: a replay publishes
   * thousands, and holding them (with their records) until the bench reads
   * them would add garbage-collection work to the replay being timed.
   */
  readonly reuses: Map<string, ReuseEvents>;
  /** Resolves with the terminal state's event once `execId` completes or fails. */
  finished(execId: string, timeoutMs?: number): Promise<TimedEvent>;
  /** Drops the events kept for `execId` (a bench with big executions keeps the heap, and so GC work, small). */
  forget(execId: string): void;
  teardown(): Promise<void>;
}

/** What {@link startBenchEnv} runs besides its store. */
export interface BenchEnvOptions {
  flows: readonly RegisteredFlow[];
  withPlanner?: boolean;
  /** Record every store method call the runner makes (start/end times), see {@link StoreTrace}. */
  trace?: StoreTrace;
}

/**
 * A runner started in-process with `startRunner` (default scheduler timing:
 * this is what a deployment runs), on `database` at `uri`; with a planner too
 * when `withPlanner`.
 */
export async function startBenchEnv(options: BenchEnvOptions & { uri: string; database: string }): Promise<BenchEnv> {
  const store = await MongoExecutionStore.connect({ uri: options.uri, database: options.database });
  return startBenchEnvOn(store, options.database, options);
}

/**
 * The same on a store the caller opened (`where` names it in reports, e.g. the
 * SQLite file); the env closes the store at teardown.
 */
export async function startBenchEnvOn(store: ExecutionStore, where: string, options: BenchEnvOptions): Promise<BenchEnv> {
  const runnerStore = options.trace ? traced(store, options.trace) : store;
  const errors: string[] = [];
  let stopping = false;
  const logger = {
    // Errors after teardown started are the scheduler's in-flight poll meeting the closed client; not counted.
    error: (message: string, fields: Readonly<Record<string, unknown>>) => void (stopping || errors.push(`${message} ${JSON.stringify(fields)}`)),
    warn: () => undefined,
  };
  const runner = await startRunner({ store: runnerStore, flows: new FlowRegistry(options.flows), logger });
  const runnerSession = new Http2SessionManager(`http://${runner.address}`);
  const runnerClient = createClient(RunnerService, createGrpcTransport({ baseUrl: `http://${runner.address}`, sessionManager: runnerSession }));
  const events = new Map<string, TimedEvent[]>();
  const reuses = new Map<string, ReuseEvents>();
  const waiters = new Map<string, (e: TimedEvent) => void>();
  runner.engine.context.bus.subscribeAll((event) => {
    const t = now();
    if (event.kind === "call_reused") {
      const seen = reuses.get(event.execId);
      if (seen === undefined) reuses.set(event.execId, { count: 1, first: t, last: t });
      else {
        seen.count += 1;
        seen.last = t;
      }
      return;
    }
    const timed = { t, event };
    let list = events.get(event.execId);
    if (list === undefined) {
      list = [];
      events.set(event.execId, list);
    }
    list.push(timed);
    if (event.kind === "status_changed" && (event.state.status === "completed" || event.state.status === "failed")) {
      waiters.get(event.execId)?.(timed);
    }
  });
  let planner: RunningPlanner | undefined;
  let session: Http2SessionManager | undefined;
  let plannerClient: Client<typeof PlannerService> | undefined;
  if (options.withPlanner) {
    planner = await startPlanner({ runnerUrl: `http://${runner.address}`, runnerTimeoutMs: 120_000, logger });
    session = new Http2SessionManager(`http://${planner.address}`);
    plannerClient = createClient(PlannerService, createGrpcTransport({ baseUrl: `http://${planner.address}`, sessionManager: session }));
  }
  return {
    database: where,
    store,
    runner,
    runnerClient,
    planner,
    plannerClient,
    events,
    reuses,
    finished(execId, timeoutMs = 300_000) {
      const done = events
        .get(execId)
        ?.find((e) => e.event.kind === "status_changed" && (e.event.state.status === "completed" || e.event.state.status === "failed"));
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`execution ${execId} did not finish in ${timeoutMs} ms; runner errors: ${errors.join("; ")}`)),
          timeoutMs,
        );
        waiters.set(execId, (e) => {
          clearTimeout(timer);
          waiters.delete(execId);
          resolve(e);
        });
      });
    },
    forget(execId) {
      events.delete(execId);
      reuses.delete(execId);
    },
    async teardown() {
      stopping = true;
      session?.abort();
      runnerSession.abort();
      await planner?.stop();
      await runner.stop();
      await store.close();
      if (errors.length > 0) console.error(`runner/planner logged ${errors.length} error(s):\n${errors.slice(0, 5).join("\n")}`);
    },
  };
}

/** Drops a bench database (best effort), so repeated runs do not fill the server. */
export async function dropDatabase(uri: string, database: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.db(database).dropDatabase();
  } catch {
    // best effort
  } finally {
    await client.close();
  }
}

// ------------------------------------------------------------------ store tracing

/** Store method calls made by the runner, with start and end times (performance.now()). */
export interface StoreTrace {
  readonly calls: { method: string; start: number; end: number }[];
}

/** Wraps the store so each method call is timed; the methods run on the real store (private fields intact). */
function traced(store: ExecutionStore, trace: StoreTrace): ExecutionStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const start = now();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        const record = (x: unknown) => {
          trace.calls.push({ method: String(property), start, end: now() });
          return x;
        };
        if (result instanceof Promise) {
          return result.then(record, (error: unknown) => {
            record(undefined);
            throw error;
          });
        }
        return record(result);
      };
    },
  });
}

/**
 * Store calls that started in [from, to], grouped by method: count, and the
 * wall time during which at least one call of that method was in flight
 * (calls overlap, so durations are not summed).
 */
export function storeCallsBetween(trace: StoreTrace, from: number, to: number): string {
  const groups = new Map<string, { start: number; end: number }[]>();
  for (const call of trace.calls) {
    if (call.start < from || call.start > to) continue;
    const list = groups.get(call.method) ?? [];
    list.push(call);
    groups.set(call.method, list);
  }
  const covered = (calls: { start: number; end: number }[]) => {
    const sorted = [...calls].sort((a, b) => a.start - b.start);
    let total = 0;
    let curStart = -Infinity;
    let curEnd = -Infinity;
    for (const c of sorted) {
      if (c.start > curEnd) {
        if (curEnd > curStart) total += curEnd - curStart;
        curStart = c.start;
        curEnd = c.end;
      } else curEnd = Math.max(curEnd, c.end);
    }
    if (curEnd > curStart) total += curEnd - curStart;
    return total;
  };
  return (
    [...groups.entries()]
      .map(([method, calls]) => ({ method, count: calls.length, ms: covered(calls) }))
      .sort((a, b) => b.ms - a.ms)
      .map((g) => `${g.method} ×${g.count} ${g.ms.toFixed(1)} ms`)
      .join(", ") || "none"
  );
}
