/**
 * Waiting for and watching a long execution, as deployed: `kitaru runner`
 * in a process of its own (embedded store), this process the client. One
 * execution of `bench_chain_await` with `--calls` checkpoints (default
 * 100,000) is started with the public client; at once `handle.wait()` waits
 * for it and `handle.watch()` streams all of its events, side by side.
 *
 *   node --conditions=kitaru-source --import tsx bench/wait-at-size.ts [--calls 100000] [--no-watch] [--dir <directory>] [--root <checkout>]
 *
 * `--root` runs the runner of another checkout (a worktree of a baseline
 * commit), with this checkout's client: a before/after A/B of the runner.
 *
 * Reported: the runner's own time for the execution (created → completed as
 * it recorded them), when wait() returned and when the watch ended (from
 * the start request), both as a ratio of the runner's time; the events the
 * watch received; the runner process's resident memory before and its peak
 * while the execution ran and was watched (sampled every 200 ms from /proc).
 * See bench/README.md.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KitaruClient } from "../clients/ts/src/client.ts";
import { flowClient } from "../clients/ts/src/flow-client.ts";
import { startChildService } from "../test/support/child-service.ts";
import { boolFlag, intFlag, machineLoad, now, runBench, stringFlag } from "./support/common.ts";

const CALLS = intFlag("calls", 100_000);
/** Only wait(), no watch beside it. */
const NO_WATCH = boolFlag("no-watch");
/** The checkout whose runner to run; this one by default. */
const ROOT = stringFlag("root", "");

/** Resident memory of a process, in MB (Linux). */
function rssMb(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(stringFlag("dir", "") || tmpdir(), "kitaru-bench-wait-"));
  const runner = await startChildService("runner", ["--db-path", path.join(dir, "kitaru.db"), "--port", "0", "--flows", "bench/flows.ts"], {
    root: ROOT === "" ? undefined : path.resolve(ROOT),
  });
  const client = new KitaruClient({ runnerUrl: `http://${runner.address}`, plannerUrl: "http://127.0.0.1:1" });
  try {
    const chain = flowClient<{ calls: number }, { i: number }>("bench_chain_await", { client });
    await (await chain.run({ calls: 200 })).wait(); // warm-up
    const pid = runner.process.pid!;
    const rssBefore = rssMb(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 200);
    console.log(
      `wait-at-size: ${CALLS}-call execution, runner in a process of its own${ROOT === "" ? "" : ` (of ${ROOT})`}; node ${process.version}; ${machineLoad()}`,
    );
    const t0 = now();
    const handle = await chain.run({ calls: CALLS });
    let events = 0;
    const watching = NO_WATCH
      ? Promise.resolve(Number.NaN)
      : (async () => {
          for await (const _event of handle.watch()) events += 1;
          return now();
        })();
    const result = await handle.wait();
    const waitedAt = now();
    const watchedAt = await watching;
    clearInterval(sampler);
    if (result.i !== CALLS) throw new Error(`the execution returned ${JSON.stringify(result)}`);
    const execution = await client.executions.get(handle.execId, { view: "basic" }); // its times: not its 100,000 calls
    const runnerMs = (execution.endTime?.getTime() ?? Number.NaN) - execution.createTime.getTime();
    const waitMs = waitedAt - t0;
    const watchMs = watchedAt - t0;
    console.log(`runner: created → completed ${(runnerMs / 1000).toFixed(2)} s (${((runnerMs / CALLS) * 1000).toFixed(0)} µs per call)`);
    console.log(`wait(): returned ${(waitMs / 1000).toFixed(2)} s after the start request: ${(waitMs / runnerMs).toFixed(3)}× the runner's time`);
    console.log(
      `watch(): ${events} events (${CALLS} calls + statuses), ended ${(watchMs / 1000).toFixed(2)} s after the start request: ${(watchMs / runnerMs).toFixed(3)}×`,
    );
    console.log(`runner memory (RSS): ${rssBefore.toFixed(0)} MB before, peak ${rssPeak.toFixed(0)} MB while it ran and was waited on and watched`);
    console.log(`after: ${machineLoad()}`);
  } finally {
    await client.close();
    await runner.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
