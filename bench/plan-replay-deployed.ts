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
 *   node --conditions=kitaru-source --import tsx bench/plan-replay-deployed.ts [--calls 10000] [--large 100000] [--plans 9] [--warm 5]
 *     [--dir <directory>]
 *
 * See bench/README.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
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

/** Writes the two sources into `file` through a store (and a runner, for the template records) of this process, then closes it. */
async function writeSources(file: string): Promise<[Source, Source]> {
  const env = await startBenchEnvOn(await SqliteExecutionStore.open({ path: file }), file, { flows: benchFlows });
  try {
    const templates = await env.store.listCalls((await runFlow(env, "bench_chain", 200)).execId);
    return [await writeSource(env.store, templates, N), await writeSource(env.store, templates, LARGE)];
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
    const sources = await writeSources(file);
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
    const loadAfter = machineLoad();
    const [small, large] = runs.map((times) => median(times)) as [number, number];
    for (const [i, source] of sources.entries()) {
      console.log(
        `PlanReplay of ${source.calls} calls from the last: median ${(i === 0 ? small : large).toFixed(1)} ms (runs ${runs[i]?.map((t) => t.toFixed(1)).join(", ")})`,
      );
    }
    for (const line of planTargetLines(N, small, LARGE, large)) console.log(`  ${line}`);
    console.log(`after: ${loadAfter}; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    session?.abort();
    for (const child of children.reverse()) await child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
