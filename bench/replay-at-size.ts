/**
 * Replay at size on the embedded store: a 10,000-call execution (run once,
 * `bench_chain`) and a 100,000-call one (written through the store API from
 * the 10k one's records), then
 *
 *   (a) PlanReplay of each, from its last call (median of runs, the two
 *       sizes taking turns), split into the runner calls the planner makes
 *       (GetCallGraph, StartReplay with validate_only) by timing those directly;
 *   (b) ReplayExecution of the 10k one from its last call (N−1 reused, 1
 *       executed) and from its first call (N executed) to completed, and the
 *       same from the only call of a 1-call execution (the fixed overheads).
 *       Per reused call = (T_last(10k) − T_last(1)) / (10k − 1). Each replay
 *       from the first call follows a fresh run of the 10k source, for a
 *       per-executed-call comparison under the same disk conditions.
 *
 *   node --conditions=kitaru-source --import tsx bench/replay-at-size.ts [--calls 10000] [--large 100000] [--plans 5] [--replays 3]
 *     [--first-replays 2] [--replay-large] [--dir <directory>] [--profile-dir <directory>]
 *
 * `--profile-dir`: CPU-profile each measured part (PlanReplay per size, the
 * replays from the last and from the first call) into `<part>.cpuprofile`
 * files there, and print where the time goes in each.
 *
 * Runner and planner in this process over gRPC (startRunner/startPlanner,
 * default timing), store file under the OS temp dir (a real disk) or `--dir`.
 * See bench/README.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import { PlanReplayResponseSchema } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { GetCallGraphResponseSchema, RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { tmpdir } from "node:os";
import path from "node:path";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import {
  boolFlag,
  intFlag,
  machineLoad,
  median,
  now,
  runBench,
  startBenchEnvOn,
  storeCallsBetween,
  stringFlag,
  type BenchEnv,
  type StoreTrace,
} from "./support/common.ts";
import { describeProfile, profiled } from "./support/cpu-profile.ts";
import { runFlow } from "./support/flow-run.ts";
import { timeReplay, type ReplayTiming } from "./support/replay-timing.ts";
import { type Source, writeSource } from "./support/chain-source.ts";
import { planTargetLines, verdict } from "./support/plan-targets.ts";
import { benchFlows, invocationIdOf } from "./flows.ts";

const N = intFlag("calls", 10_000);
const LARGE = intFlag("large", 100_000);
const PLANS = intFlag("plans", 5);
const REPLAYS = intFlag("replays", 3);
const FIRST_REPLAYS = intFlag("first-replays", 2);
/** Targets (bench/README.md). */
const REUSED_TARGET_US = 20;
const PROFILE_DIR = stringFlag("profile-dir", "") || undefined;

/** Runs one measured part, under the CPU profiler with `--profile-dir`, and prints the profile's summary. */
async function part<T>(name: string, work: () => Promise<T>): Promise<T> {
  const { value, profile } = await profiled(PROFILE_DIR, name, work);
  if (profile !== undefined) {
    console.log(`CPU profile of ${name}: ${path.join(PROFILE_DIR!, `${name}.cpuprofile`)}`);
    for (const line of describeProfile(profile, { top: 20 })) console.log(`  ${line}`);
  }
  return value;
}

/** A source run: its span (first call started → last call completed), whole time, and this process's CPU per call. */
interface SourceRun {
  readonly source: Source;
  readonly spanMs: number;
  readonly totalMs: number;
  readonly cpuPerCallMs: number;
}

/** Runs `bench_chain` with `calls` calls to completion. */
async function runSource(env: BenchEnv, calls: number): Promise<SourceRun> {
  const run = await runFlow(env, "bench_chain", calls);
  const execution = (await env.store.getExecution(run.execId))!;
  env.forget(run.execId);
  return {
    source: { execId: run.execId, calls, result: JSON.stringify(execution.state.result) },
    spanMs: run.spanMs,
    totalMs: run.doneAt - run.startedAt,
    cpuPerCallMs: run.cpuPerCallMs,
  };
}

/** Median wall time of `runs` calls of `op` after one untimed call, and every run's time. */
async function medianOf(runs: number, op: () => Promise<unknown>): Promise<{ median: number; runs: number[] }> {
  await op();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = now();
    await op();
    times.push(now() - t0);
  }
  return { median: median(times), runs: times };
}

interface PlanTiming {
  readonly calls: number;
  readonly planReplay: { median: number; runs: number[] };
  readonly getCallGraph: number;
  readonly validate: number;
  readonly listCalls: number;
  /** The same rows as listCalls read through a connection of our own: fetched only, and fetched and parsed with a plain JSON.parse (no reviver). */
  readonly rawRows: number;
  readonly rawParsed: number;
  /** The two big messages of a plan (the runner's call graph, the plan): size and the time to encode + decode each once. */
  readonly graphMessage: { bytes: number; ms: number };
  readonly planMessage: { bytes: number; ms: number };
}

/** Size of `message` in the wire format, and the median time to encode and decode it once. */
async function codecCost<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, runs: number): Promise<{ bytes: number; ms: number }> {
  const bytes = toBinary(schema, message).length;
  const { median: ms } = await medianOf(runs, async () => fromBinary(schema, toBinary(schema, message)));
  return { bytes, ms };
}

/** The calls query of the store (sqlite-execution-store.ts), on a read-only connection of the bench's own. */
const LIST_CALLS_SQL =
  "SELECT CASE WHEN payloads IS NULL THEN record ELSE substr(record, 1, length(record) - 1) || ',' || payloads || '}' END AS record FROM calls WHERE exec_id = ? ORDER BY sequence, rowid";

/**
 * (a) PlanReplay of `source` from its last call (`planReplay`, timed by
 * {@link timePlansInTurn}), and the runner calls it is made of, each timed on
 * its own (at most 3 runs), with the store's read of the calls and the same
 * read done plainly.
 */
async function timePlan(env: BenchEnv, file: string, source: Source, planReplay: { median: number; runs: number[] }): Promise<PlanTiming> {
  const from = invocationIdOf(source.calls);
  const planResponse = await env.plannerClient!.planReplay({ execId: source.execId, from });
  const parts = Math.min(PLANS, 3);
  // The runner service the planner calls (authentication is off here, so the bench may call it too).
  const session = new Http2SessionManager(`http://${env.runner.address}`);
  const internal = createClient(RunnerInternalService, createGrpcTransport({ baseUrl: `http://${env.runner.address}`, sessionManager: session }));
  const db = new Database(file, { readonly: true });
  try {
    const graphMessage = await codecCost(GetCallGraphResponseSchema, await internal.getCallGraph({ execId: source.execId }), parts);
    const planMessage = await codecCost(PlanReplayResponseSchema, planResponse, parts);
    const getCallGraph = await medianOf(parts, () => internal.getCallGraph({ execId: source.execId }));
    const validate = await medianOf(parts, () => internal.startReplay({ plan: planResponse.plan!, validateOnly: true }));
    const listCalls = await medianOf(parts, () => env.store.listCalls(source.execId));
    const statement = db.prepare<[string], { record: string }>(LIST_CALLS_SQL);
    const rawRows = await medianOf(parts, async () => statement.all(source.execId));
    const rawParsed = await medianOf(parts, async () => statement.all(source.execId).map((row) => JSON.parse(row.record) as unknown));
    return {
      calls: source.calls,
      planReplay,
      getCallGraph: getCallGraph.median,
      validate: validate.median,
      listCalls: listCalls.median,
      rawRows: rawRows.median,
      rawParsed: rawParsed.median,
      graphMessage,
      planMessage,
    };
  } finally {
    db.close();
    session.abort();
  }
}

/** One PlanReplay of `source` from its last call, checked. */
async function planFromLast(env: BenchEnv, source: Source): Promise<void> {
  const { plan } = await env.plannerClient!.planReplay({ execId: source.execId, from: invocationIdOf(source.calls) });
  if (plan?.reuse.length !== source.calls - 1 || plan.reexecute.length !== 1)
    throw new Error(`plan reuses ${plan?.reuse.length}, re-executes ${plan?.reexecute.length}`);
}

/**
 * PlanReplay of each source from its last call, `PLANS` times after one
 * untimed, the sources taking turns (so that their ratio is not the machine's
 * load changing between one size's runs and the other's): the median and the
 * runs of each.
 */
async function timePlansInTurn(env: BenchEnv, sources: readonly Source[]): Promise<{ median: number; runs: number[] }[]> {
  for (const source of sources) await planFromLast(env, source);
  const runs = sources.map((): number[] => []);
  for (let r = 0; r < PLANS; r++) {
    for (const [i, source] of sources.entries()) {
      const t0 = now();
      await planFromLast(env, source);
      runs[i]!.push(now() - t0);
    }
  }
  return runs.map((times) => ({ median: median(times), runs: times }));
}

/** A replay's timing and this process's CPU time over it (planner, runner and client all run here). */
type TimedReplay = ReplayTiming & { readonly cpuMs: number };

/**
 * Replays `source` from `from` `runs` times, after one untimed replay unless
 * `options.warmUp` is false, with `options.between` run (untimed) before each
 * timed one; checks each and returns their timings.
 */
async function replays(
  env: BenchEnv,
  trace: StoreTrace,
  source: Source,
  from: string,
  runs: number,
  expect: { reused: number; executed: number },
  label: string,
  options: { warmUp?: boolean; between?: () => Promise<void> } = {},
): Promise<TimedReplay[]> {
  const timings: TimedReplay[] = [];
  for (let r = options.warmUp === false ? 1 : 0; r <= runs; r++) {
    if (r > 0) await options.between?.();
    const cpu0 = process.cpuUsage();
    const timed = await timeReplay(env, source.execId, from);
    const cpu = process.cpuUsage(cpu0);
    const replay = { ...timed, cpuMs: (cpu.user + cpu.system) / 1000 };
    if (JSON.stringify(replay.state.result) !== source.result) throw new Error(`replay of ${source.execId} returned ${JSON.stringify(replay.state.result)}`);
    if (replay.reused !== expect.reused || replay.executed !== expect.executed) {
      throw new Error(`replay of ${source.execId} from ${from} recorded ${replay.reused} reused / ${replay.executed} executed calls`);
    }
    if (r === 0) continue; // warm-up
    timings.push(replay);
    console.log(
      `${label} run ${r}: total ${fmt(replay.totalMs)} = plan & create ${fmt(replay.createMs)} + claim ${fmt(replay.claimMs)} + run ${fmt(replay.runMs)} ` +
        `(claimed→first reuse ${fmt(replay.loadMs)}, reuses ${fmt(replay.reuseMs)})`,
    );
    if (source.calls > 1) {
      console.log(`  store calls, plan & create: ${storeCallsBetween(trace, replay.t0, replay.createdAt)}`);
      console.log(`  store calls, claim: ${storeCallsBetween(trace, replay.createdAt, replay.claimedAt)}`);
      console.log(`  store calls, run (load and body): ${storeCallsBetween(trace, replay.claimedAt, replay.doneAt)}`);
    }
  }
  return timings;
}

const fmt = (value: number) => `${value.toFixed(1)} ms`;
const med = (timings: readonly TimedReplay[], pick: (t: TimedReplay) => number) => median(timings.map(pick));

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`replay-at-size: embedded SQLite store; ${N}-call and ${LARGE}-call sources; node ${process.version}; ${machineLoad()}`);
  const dir = mkdtempSync(path.join(stringFlag("dir", "") || tmpdir(), "kitaru-bench-replay-size-"));
  const file = path.join(dir, "kitaru.db");
  const trace: StoreTrace = { calls: [] };
  const env = await startBenchEnvOn(await SqliteExecutionStore.open({ path: file }), file, { flows: benchFlows, withPlanner: true, trace });
  try {
    // Warm-up: a small source, its plan and replays (JIT, connections).
    const warm = (await runSource(env, 50)).source;
    await replays(env, trace, warm, invocationIdOf(50), 2, { reused: 49, executed: 1 }, "warm-up");
    const one = (await runSource(env, 1)).source;
    const built = await runSource(env, N);
    console.log(
      `source of ${N} calls run in ${(built.totalMs / 1000).toFixed(2)} s (${(built.spanMs / N).toFixed(3)} ms per executed call, first call start → last call end)`,
    );
    const t0 = now();
    const large = await writeSource(env.store, await env.store.listCalls(built.source.execId), LARGE);
    console.log(`source of ${LARGE} calls written through the store API in ${((now() - t0) / 1000).toFixed(2)} s; ${machineLoad()}`);
    trace.calls.length = 0;

    // (a) PlanReplay
    const plans: PlanTiming[] = [];
    const sizes = [built.source, large];
    const planReplays = await part("plans", () => timePlansInTurn(env, sizes));
    for (const [i, source] of sizes.entries()) {
      const plan = await part(`plan-${source.calls}`, () => timePlan(env, file, source, planReplays[i]!));
      plans.push(plan);
      console.log(
        `PlanReplay of ${source.calls} calls from the last: median ${fmt(plan.planReplay.median)} (runs ${plan.planReplay.runs.map((r) => r.toFixed(1)).join(", ")}); ` +
          `alone: GetCallGraph ${fmt(plan.getCallGraph)}, StartReplay validate_only with the plan ${fmt(plan.validate)}, store listCalls ${fmt(plan.listCalls)} ` +
          `(the same rows fetched ${fmt(plan.rawRows)}, fetched + plain JSON.parse ${fmt(plan.rawParsed)}); ${machineLoad()}`,
      );
      trace.calls.length = 0;
    }

    // (b) replays to completed
    const fixed = await replays(env, trace, one, invocationIdOf(1), 5, { reused: 0, executed: 1 }, "1-call source, from its only call");
    const last = await part(`replay-last-${N}`, () =>
      replays(env, trace, built.source, invocationIdOf(N), REPLAYS, { reused: N - 1, executed: 1 }, `${N} calls, from the last`),
    );
    trace.calls.length = 0;
    // Each replay from the first call after a fresh run of the same source, so that the two are compared under the same disk (fsync) conditions.
    const sourceRuns: SourceRun[] = [];
    const between = async () => void sourceRuns.push(await runSource(env, N));
    const first = await part(`replay-first-${N}`, () =>
      replays(env, trace, built.source, invocationIdOf(1), FIRST_REPLAYS, { reused: 0, executed: N }, `${N} calls, from the first`, { warmUp: false, between }),
    );
    trace.calls.length = 0;
    const largeLast = boolFlag("replay-large")
      ? await replays(env, trace, large, invocationIdOf(LARGE), 1, { reused: LARGE - 1, executed: 1 }, `${LARGE} calls, from the last`)
      : [];
    const loadAfter = machineLoad();

    // Report
    const [small, big] = plans as [PlanTiming, PlanTiming];
    console.log("");
    console.log("(a) PlanReplay from the last call, through the planner (medians):");
    for (const p of plans) {
      console.log(
        `  ${p.calls} calls: ${fmt(p.planReplay.median)}; of it, timed alone: GetCallGraph ${fmt(p.getCallGraph)}, StartReplay validate_only ${fmt(p.validate)} ` +
          `(each reads the source's calls: store listCalls alone ${fmt(p.listCalls)}; the same rows fetched ${fmt(p.rawRows)}, fetched and parsed without a reviver ${fmt(p.rawParsed)}); ` +
          `planning and the plan's way back: the rest`,
      );
      console.log(
        `    protobuf, encode + decode once: the call graph (${(p.graphMessage.bytes / 1e6).toFixed(2)} MB) ${fmt(p.graphMessage.ms)}, the plan (${(p.planMessage.bytes / 1e6).toFixed(2)} MB) ${fmt(p.planMessage.ms)}; ` +
          `a PlanReplay moves the graph once and the plan twice (to the runner's validate_only, back to the caller)`,
      );
    }
    for (const line of planTargetLines(N, small.planReplay.median, LARGE, big.planReplay.median)) console.log(`  ${line}`);
    console.log("");
    console.log("(b) ReplayExecution → completed (medians):");
    const row = (label: string, t: readonly TimedReplay[]) =>
      console.log(
        `  ${label}: total ${fmt(med(t, (x) => x.totalMs))} = plan & create ${fmt(med(t, (x) => x.createMs))} + claim ${fmt(med(t, (x) => x.claimMs))} + run ${fmt(med(t, (x) => x.runMs))} (runs ${t.map((x) => x.totalMs.toFixed(0)).join(", ")})`,
      );
    row("1-call source, from its only call (0 reused, 1 executed: fixed overheads + one executed call)", fixed);
    row(`${N} calls from the last (${N - 1} reused, 1 executed)`, last);
    row(`${N} calls from the first (0 reused, ${N} executed)`, first);
    if (largeLast.length > 0) row(`${LARGE} calls from the last (${LARGE - 1} reused, 1 executed)`, largeLast);
    const perReused = (pick: (t: ReplayTiming) => number) => ((med(last, pick) - med(fixed, pick)) / (N - 1)) * 1000;
    const total = perReused((x) => x.totalMs);
    console.log(
      `  per reused call = (T_last(${N}) − T_last(1)) / ${N - 1} = ${total.toFixed(1)} µs ` +
        `(plan & create ${perReused((x) => x.createMs).toFixed(1)} + claim ${perReused((x) => x.claimMs).toFixed(1)} + run ${perReused((x) => x.runMs).toFixed(1)} µs); ` +
        `≤ ${REUSED_TARGET_US} µs: ${verdict(total <= REUSED_TARGET_US)}`,
    );
    if (largeLast.length > 0) {
      const large1 = ((med(largeLast, (x) => x.totalMs) - med(fixed, (x) => x.totalMs)) / (LARGE - 1)) * 1000;
      console.log(`  the same at ${LARGE} calls (one run): ${large1.toFixed(1)} µs per reused call`);
    }
    const perCall = (ms: number) => `${((ms / N) * 1000).toFixed(0)} µs`;
    console.log(
      `  replay from the first, per executed call: ${perCall(med(first, (x) => x.runMs))} in its run phase, CPU ${perCall(med(first, (x) => x.cpuMs))} (whole replay); ` +
        `a fresh run of the source just before each: ${perCall(median(sourceRuns.map((r) => r.spanMs)))}, CPU ${perCall(median(sourceRuns.map((r) => r.cpuPerCallMs * N)))}`,
    );
    console.log(`after: ${loadAfter}; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
