/**
 * PlanReplay at size as deployed: the client (this process), `kitaru
 * planner` and `kitaru runner` each in a process of its own, over gRPC on
 * loopback, on one embedded store file. replay-at-size.ts runs all three in
 * one process (to read the runner's events); here each keeps its own heap, so
 * the garbage one collects is not another's.
 *
 * A 10,000-call and a 100,000-call `bench_chain` execution are written
 * through the store API (from the records of a 200-call run), then both are
 * planned from their last call: `--warm` times each untimed, then `--plans`
 * times each, the two sizes taking turns run by run.
 *
 * Then the cost per reused call as deployed: `--replays` replays from the
 * last call of the 10,000-call source and of a 1-call one, the two taking
 * turns, each through the public client (`client.executions.replay()` to the
 * planner, `handle.wait()` on the runner) and checked (completed, the
 * source's result): per reused call = (median 10k − median 1-call) / 9,999.
 *
 *   node --conditions=kitaru-source --import tsx bench/plan-replay-deployed.ts [--calls 10000] [--large 100000] [--plans 9] [--warm 5]
 *     [--replays 5] [--dir <directory>]
 *
 * See bench/README.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { KitaruClient } from "../clients/ts/src/client.ts";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import { startChildService, type ChildService } from "../test/support/child-service.ts";
import { type Source, writeSource } from "./support/chain-source.ts";
import { planTargetLines } from "./support/plan-targets.ts";
import { intFlag, machineLoad, median, now, runBench, startBenchEnvOn, stringFlag } from "./support/common.ts";
import { runFlow } from "./support/flow-run.ts";
import { benchFlows, invocationIdOf } from "./flows.ts";

const N = intFlag("calls", 10_000);
const LARGE = intFlag("large", 100_000);
const PLANS = intFlag("plans", 9);
const WARM = intFlag("warm", 5);
const REPLAYS = intFlag("replays", 5);
/** Per reused call, the replay-at-size target (issue 8). */
const REUSED_TARGET_US = 20;

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
  const children: ChildService[] = [];
  let session: Http2SessionManager | undefined;
  try {
    const [small, largeSource, single] = await writeSources(file);
    const sources = [small, largeSource];
    const runner = await startChildService("runner", ["--db-path", file, "--port", "0", "--flows", "bench/flows.ts"]);
    children.push(runner);
    const planner = await startChildService("planner", ["--runner-url", `http://${runner.address}`, "--port", "0", "--runner-timeout-ms", "120000"]);
    children.push(planner);
    session = new Http2SessionManager(`http://${planner.address}`);
    const client = createClient(PlannerService, createGrpcTransport({ baseUrl: `http://${planner.address}`, sessionManager: session }));
    const plan = async (source: Source) => {
      const { plan } = await client.planReplay({ execId: source.execId, from: invocationIdOf(source.calls) });
      if (plan?.reuse.length !== source.calls - 1 || plan.reexecute.length !== 1)
        throw new Error(`plan reuses ${plan?.reuse.length}, re-executes ${plan?.reexecute.length}`);
    };
    console.log(
      `plan-replay-deployed: client, planner and runner in three processes; ${N}- and ${LARGE}-call sources; node ${process.version}; ${machineLoad()}`,
    );
    for (let w = 0; w < WARM; w++) for (const source of sources) await plan(source);
    const runs = sources.map((): number[] => []);
    for (let r = 0; r < PLANS; r++) {
      for (const [i, source] of sources.entries()) {
        const t0 = now();
        await plan(source);
        runs[i]?.push(now() - t0);
      }
    }
    const [smallMs, largeMs] = runs.map((times) => median(times)) as [number, number];
    for (const [i, source] of sources.entries()) {
      console.log(
        `PlanReplay of ${source.calls} calls from the last: median ${(i === 0 ? smallMs : largeMs).toFixed(1)} ms (runs ${runs[i]?.map((t) => t.toFixed(1)).join(", ")})`,
      );
    }
    for (const line of planTargetLines(N, smallMs, LARGE, largeMs)) console.log(`  ${line}`);

    // Replays through the public client: planner process, runner process.
    const kitaru = new KitaruClient({ runnerUrl: `http://${runner.address}`, plannerUrl: `http://${planner.address}` });
    try {
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
    } finally {
      await kitaru.close();
    }
    const loadAfter = machineLoad();
    console.log(`after: ${loadAfter}; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    session?.abort();
    for (const child of children.reverse()) await child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
