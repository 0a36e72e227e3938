/**
 * A replay job against single replays, as deployed: `kitaru runner` and
 * `kitaru planner` each in a process of their own on one embedded store
 * file, the client (this process) through the public TS client.
 *
 * `--sources` completed `bench_chain` executions of `--calls` steps are made
 * first. Then, the two taking turns for `--rounds` rounds (the order turning
 * each round):
 *
 * - job: `client.replayJobs.start()` of every source from its last call
 *   (the rest reused), followed with `watch()` to its end;
 * - singles: `client.executions.replay()` + `handle(...).wait()` of every
 *   source, `--concurrency` at a time (the job's concurrency too);
 * - singles+diff: the same plus `client.executions.compare(source, replay)`
 *   for each, which is what the job also gives (its per-source comparison).
 *
 * Each reports its wall time and the runner's and the planner's CPU time
 * (from /proc) per replay, with the load average beside it, and checks the
 * outcome (every replay completed, one per source).
 *
 *   node --conditions=kitaru-source --import tsx bench/replay-job.ts [--sources 1000] [--calls 5] [--concurrency 4] [--rounds 1]
 *
 * See bench/README.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KitaruClient } from "../clients/ts/src/client.ts";
import { startChildService, type ChildService } from "../test/support/child-service.ts";
import { intFlag, machineLoad, now, runBench } from "./support/common.ts";
import { processCpuMs } from "./support/history-fill.ts";
import { invocationIdOf } from "./flows.ts";

const SOURCES = intFlag("sources", 1000);
const CALLS = intFlag("calls", 5);
const CONCURRENCY = intFlag("concurrency", 4);
const ROUNDS = intFlag("rounds", 1);

interface Figure {
  readonly wallMs: number;
  readonly runnerCpuMs: number;
  readonly plannerCpuMs: number;
  readonly load: string;
}

/** Runs `work` `limit` at a time over `items`. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function measured(runner: ChildService, planner: ChildService, work: () => Promise<void>): Promise<Figure> {
  const cpu = () => [processCpuMs(runner.process.pid ?? 0) ?? Number.NaN, processCpuMs(planner.process.pid ?? 0) ?? Number.NaN] as const;
  const [runner0, planner0] = cpu();
  const t0 = now();
  await work();
  const wallMs = now() - t0;
  const [runner1, planner1] = cpu();
  return { wallMs, runnerCpuMs: runner1 - runner0, plannerCpuMs: planner1 - planner0, load: machineLoad() };
}

function line(label: string, figure: Figure): string {
  const perReplay = (figure.runnerCpuMs + figure.plannerCpuMs) / SOURCES;
  return (
    `${label.padEnd(12)} ${SOURCES} replays in ${(figure.wallMs / 1000).toFixed(2)} s (${((SOURCES * 1000) / figure.wallMs).toFixed(1)}/s); ` +
    `CPU per replay ${perReplay.toFixed(2)} ms (runner ${(figure.runnerCpuMs / SOURCES).toFixed(2)}, planner ${(figure.plannerCpuMs / SOURCES).toFixed(2)}); ${figure.load}`
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "kitaru-replay-job-bench-"));
  const file = path.join(dir, "kitaru.db");
  const runner = await startChildService("runner", ["--db-path", file, "--port", "0", "--flows", "bench/flows.ts"]);
  const planner = await startChildService("planner", [
    "--runner-url",
    `http://${runner.address}`,
    "--port",
    "0",
    "--replay-job-concurrency",
    String(CONCURRENCY),
  ]);
  const client = new KitaruClient({ runnerUrl: `http://${runner.address}`, plannerUrl: `http://${planner.address}` });
  const from = invocationIdOf(CALLS);
  try {
    console.log(`${SOURCES} bench_chain sources of ${CALLS} calls, replayed from ${from} (${CALLS - 1} reused, 1 re-run), concurrency ${CONCURRENCY}`);
    const sources: string[] = [];
    const t0 = now();
    await pool(
      Array.from({ length: SOURCES }, (_, i) => i),
      50,
      async () => {
        const execution = await client.flows.run("bench_chain", { calls: CALLS });
        await client.executions.handle(execution.execId).wait();
        sources.push(execution.execId);
      },
    );
    console.log(`sources made in ${((now() - t0) / 1000).toFixed(1)} s; ${machineLoad()}`);

    const job = async () => {
      const started = await client.replayJobs.start({ execIds: sources, from, concurrency: CONCURRENCY });
      let last = started;
      for await (const report of client.replayJobs.watch(started.jobId)) last = report.job;
      if (last.totals.completed !== SOURCES) throw new Error(`job ended with ${JSON.stringify(last.totals)}`);
    };
    const singles = async () => {
      await pool(sources, CONCURRENCY, async (execId) => {
        const replayed = await client.executions.replay(execId, { from });
        await client.executions.handle(replayed.execId).wait();
      });
    };
    const singlesWithDiff = async () => {
      await pool(sources, CONCURRENCY, async (execId) => {
        const replayed = await client.executions.replay(execId, { from });
        await client.executions.handle(replayed.execId).wait();
        await client.executions.compare(execId, replayed.execId);
      });
    };
    const kinds = ["job", "singles", "singles+diff"] as const;
    const work = { job, singles, "singles+diff": singlesWithDiff };
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...kinds.slice(round % kinds.length), ...kinds.slice(0, round % kinds.length)];
      const figures: Partial<Record<(typeof kinds)[number], Figure>> = {};
      for (const which of order) figures[which] = await measured(runner, planner, work[which]);
      console.log(`round ${round + 1} (order ${order.join(", ")}):`);
      for (const which of kinds) console.log(`  ${line(which, figures[which]!)}`);
      const cpu = (f: Figure) => f.runnerCpuMs + f.plannerCpuMs;
      for (const other of ["singles", "singles+diff"] as const) {
        console.log(
          `  job/${other}: wall ${(figures.job!.wallMs / figures[other]!.wallMs).toFixed(2)}×, CPU per replay ${(cpu(figures.job!) / cpu(figures[other]!)).toFixed(2)}×`,
        );
      }
    }
  } finally {
    await client.close();
    await planner.kill("SIGTERM");
    await runner.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
