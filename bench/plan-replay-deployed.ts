/**
 * PlanReplay at size as deployed: the client (this process), `kitaru
 * planner` and `kitaru runner` each in a process of its own, over gRPC on
 * loopback, on one embedded store file. replay-at-size.ts runs all three in
 * one process (to read the runner's events); here each keeps its own heap, so
 * the garbage one collects is not another's.
 *
 * A 10,000-call and a 100,000-call `bench_chain` execution are written
 * through the store API (from the records of a 200-call run), then both are
 * planned from their last call through the public client
 * (`client.executions.planReplay()`, the plan as its plain model): `--warm`
 * times each untimed, then `--plans` times each, the two sizes taking turns
 * run by run.
 *
 * Then the cost per reused call as deployed: `--replays` replays from the
 * last call of the 10,000-call source and of a 1-call one, the two taking
 * turns, each through the public client (`client.executions.replay()` to the
 * planner, `handle.wait()` on the runner) of this checkout's pair, and checked
 * (completed, the source's result): per reused call = (median 10k − median
 * 1-call) / 9,999.
 *
 * `--trees <dir>,<dir>...` is an A/B in one run: a runner and a planner from
 * each of those checkouts (another commit's tree, its `node_modules` linked
 * in) besides this one's, on the same file; every run plans each size once on
 * every pair, the order turning from run to run, and the report gives each
 * pair's medians and their ratio to this checkout's.
 *
 *   node --conditions=kitaru-source --import tsx bench/plan-replay-deployed.ts [--calls 10000] [--large 100000] [--plans 9] [--warm 5]
 *     [--replays 5] [--dir <directory>] [--trees <dir>,...]
 *
 * See bench/README.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KitaruClient } from "../clients/ts/src/client.ts";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import { startChildService, type ChildService } from "../test/support/child-service.ts";
import { type Source, writeSource } from "./support/chain-source.ts";
import { planTargetLines } from "./support/plan-targets.ts";
import { intFlag, machineLoad, median, now, runBench, startBenchEnvOn, stringFlag } from "./support/common.ts";
import { runFlow } from "./support/flow-run.ts";
import { processCpuMs } from "./support/history-fill.ts";
import { benchFlows, invocationIdOf } from "./flows.ts";

const N = intFlag("calls", 10_000);
const LARGE = intFlag("large", 100_000);
const PLANS = intFlag("plans", 9);
const WARM = intFlag("warm", 5);
const REPLAYS = intFlag("replays", 5);
/** Per reused call, the replay-at-size target (issue 8). */
const REUSED_TARGET_US = 20;
/** Checkouts to compare with this one (A/B), each with a runner and planner of its own. */
const TREES = stringFlag("trees", "")
  .split(",")
  .filter((dir) => dir !== "")
  .map((dir) => path.resolve(dir));

/** CPU time so far of a pair's runner and planner processes together (ms, in 10 ms ticks; summed over many runs the rounding evens out). */
function pairCpuMs(pair: ServicePair): number {
  return pair.children.reduce((sum, child) => sum + (processCpuMs(child.process.pid ?? 0) ?? Number.NaN), 0);
}

/** A runner and a planner started from one checkout, and the public client of the pair. */
interface ServicePair {
  readonly label: string;
  readonly children: readonly ChildService[];
  readonly client: KitaruClient;
}

async function startPair(label: string, file: string, root: string | undefined): Promise<ServicePair> {
  const options = root === undefined ? {} : { root };
  const runner = await startChildService("runner", ["--db-path", file, "--port", "0", "--flows", "bench/flows.ts"], options);
  const planner = await startChildService(
    "planner",
    ["--runner-url", `http://${runner.address}`, "--port", "0", "--runner-timeout-ms", "120000"],
    options,
  ).catch(async (err: unknown) => {
    await runner.kill("SIGTERM");
    throw err;
  });
  const client = new KitaruClient({ runnerUrl: `http://${runner.address}`, plannerUrl: `http://${planner.address}` });
  return { label, children: [runner, planner], client };
}

/** Replays through the public client of `pair` (planner process, runner process): the cost per reused call. */
async function replaysPerReusedCall(pair: ServicePair, small: Source, single: Source): Promise<void> {
  const kitaru = pair.client;
  const replay = async (source: Source) => {
    const t0 = now();
    const execution = await kitaru.executions.replay(source.execId, { from: invocationIdOf(source.calls) });
    const result = await kitaru.executions.handle(execution.execId).wait();
    const took = now() - t0;
    if (JSON.stringify({ kind: "inline", json: JSON.stringify(result) }) !== source.result) throw new Error(`replay returned ${JSON.stringify(result)}`);
    return took;
  };
  await replay(single);
  await replay(small);
  const times: [number[], number[]] = [[], []];
  for (let r = 0; r < REPLAYS; r++) {
    times[0].push(await replay(small));
    times[1].push(await replay(single));
  }
  const [tenK, one] = times.map((t) => median(t)) as [number, number];
  const perReusedUs = ((tenK - one) / (N - 1)) * 1000;
  console.log(
    `ReplayExecution → wait() of the ${N}-call source from its last call: median ${tenK.toFixed(1)} ms (runs ${times[0].map((t) => t.toFixed(1)).join(", ")}); ` +
      `of a 1-call source: ${one.toFixed(1)} ms (runs ${times[1].map((t) => t.toFixed(1)).join(", ")})`,
  );
  console.log(
    `  per reused call (10k − 1-call) / ${N - 1}: ${perReusedUs.toFixed(1)} µs (≤ ${REUSED_TARGET_US} µs: ${perReusedUs <= REUSED_TARGET_US ? "met" : "MISSED"})`,
  );
}

async function stopPair(pair: ServicePair): Promise<void> {
  await pair.client.close();
  for (const child of [...pair.children].reverse()) await child.kill("SIGTERM");
}

/** Writes the two sources into `file` through a store (and a runner, for the template records) of this process, then closes it. */
async function writeSources(file: string): Promise<[Source, Source, Source]> {
  const env = await startBenchEnvOn(await SqliteExecutionStore.open({ path: file }), file, { flows: benchFlows });
  try {
    const templates = await env.store.listCalls((await runFlow(env, "bench_chain", 200)).execId);
    return [await writeSource(env.store, templates, N), await writeSource(env.store, templates, LARGE), await writeSource(env.store, templates, 1)];
  } finally {
    await env.teardown();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(stringFlag("dir", "") || tmpdir(), "kitaru-bench-plan-deployed-"));
  const file = path.join(dir, "kitaru.db");
  const pairs: ServicePair[] = [];
  try {
    const [small, largeSource, single] = await writeSources(file);
    const sources = [small, largeSource];
    pairs.push(await startPair("this checkout", file, undefined));
    for (const root of TREES) pairs.push(await startPair(root, file, root));
    const plan = async (pair: ServicePair, source: Source) => {
      const plan = await pair.client.executions.planReplay(source.execId, { from: invocationIdOf(source.calls) });
      if (plan.reuse.length !== source.calls - 1 || plan.reexecute.length !== 1)
        throw new Error(`plan reuses ${plan.reuse.length}, re-executes ${plan.reexecute.length}`);
    };
    console.log(
      `plan-replay-deployed: client, planner and runner in three processes${pairs.length > 1 ? ` (${pairs.length} runner/planner pairs, A/B)` : ""}; ${N}- and ${LARGE}-call sources; node ${process.version}; ${machineLoad()}`,
    );
    for (let w = 0; w < WARM; w++) for (const pair of pairs) for (const source of sources) await plan(pair, source);
    // runs[pair][size], and the pair's CPU over them (runner + planner: what its code does; the machine's other load counts less there)
    const runs = pairs.map(() => sources.map((): number[] => []));
    const cpu = pairs.map(() => sources.map(() => 0));
    for (let r = 0; r < PLANS; r++) {
      for (const [i, source] of sources.entries()) {
        for (let k = 0; k < pairs.length; k++) {
          const p = (k + r) % pairs.length;
          const cpu0 = pairCpuMs(pairs[p]!);
          const t0 = now();
          await plan(pairs[p]!, source);
          runs[p]![i]!.push(now() - t0);
          cpu[p]![i]! += pairCpuMs(pairs[p]!) - cpu0;
        }
      }
    }
    const loadAfter = machineLoad();
    const medians = runs.map((bySize) => bySize.map((times) => median(times)));
    for (const [p, pair] of pairs.entries()) {
      if (pairs.length > 1) console.log(`${pair.label}:`);
      for (const [i, source] of sources.entries()) {
        const m = medians[p]![i]!;
        const perPlan = cpu[p]![i]! / PLANS;
        const ratio =
          p === 0 ? "" : ` (${((m / medians[0]![i]!) * 100).toFixed(1)} %, CPU ${((perPlan / (cpu[0]![i]! / PLANS)) * 100).toFixed(1)} % of this checkout's)`;
        console.log(
          `  PlanReplay of ${source.calls} calls from the last: median ${m.toFixed(1)} ms, runner + planner CPU ${perPlan.toFixed(1)} ms per plan${ratio} (runs ${runs[p]![i]!.map((t) => t.toFixed(1)).join(", ")})`,
        );
      }
      const [smallMs, largeMs] = medians[p] as [number, number];
      for (const line of planTargetLines(N, smallMs, LARGE, largeMs)) console.log(`    ${line}`);
    }
    await replaysPerReusedCall(pairs[0]!, small, single);
    console.log(`after: ${loadAfter}; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const pair of pairs.reverse()) await stopPair(pair);
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
