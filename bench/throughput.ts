/**
 * Throughput on the embedded store: many executions of a 5-checkpoint flow
 * started concurrently (bounded client concurrency) against 1 and then 2
 * runner processes sharing one SQLite file. Each execution is started with
 * `StartExecution` and watched to completed (`WatchExecution`) on one runner's
 * gRPC port, round robin over the runners.
 *
 *   node --conditions=kitaru-source --import tsx bench/throughput.ts [--executions 1000] [--concurrency 100] [--calls 5]
 *     [--runners 1,2] [--warmup 100] [--dir <directory>]
 *
 * Runners run as separate OS processes (bench/support/runner-child.ts, default
 * scheduler timing: at most 64 executions at once per runner); this process
 * is the client only. A fresh store file per configuration, under the OS temp
 * dir (a real disk) or `--dir`. See bench/README.md.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { intFlag, machineLoad, now, quantile, runBench, stringFlag } from "./support/common.ts";
import { startAndWatch } from "./support/grpc-runs.ts";
import { spawnRunner, type RunnerProcess, type RunnerStats } from "./support/runner-process.ts";

const EXECUTIONS = intFlag("executions", 1000);
const CONCURRENCY = intFlag("concurrency", 100);
const CALLS = intFlag("calls", 5);
const WARMUP = intFlag("warmup", 100);
const RUNNER_COUNTS = stringFlag("runners", "1,2").split(",").map(Number);
if (RUNNER_COUNTS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--runners wants positive integers, e.g. 1,2");

interface Batch {
  readonly wallMs: number;
  /** StartExecution sent → terminal status received on the watch, per completed execution. */
  readonly clientMs: number[];
  /** StartExecution sent → its response. */
  readonly startRpcMs: number[];
  /** The execution's recorded creation → completion time (the runners' clocks, ms resolution). */
  readonly storedMs: number[];
  readonly errors: string[];
}

/** Starts `count` executions, `concurrency` at a time, round robin over `runners`, each watched to its end. */
async function runBatch(runners: readonly RunnerProcess[], count: number, concurrency: number): Promise<Batch> {
  const clientMs: number[] = [];
  const storedMs: number[] = [];
  const startRpcMs: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      try {
        const run = await startAndWatch(runners[i % runners.length]!.client, "bench_chain", { calls: CALLS });
        clientMs.push(run.doneAt - run.sentAt);
        startRpcMs.push(run.answeredAt - run.sentAt);
        if (run.createdAt && run.endedAt) storedMs.push(run.endedAt.getTime() - run.createdAt.getTime());
      } catch (error) {
        errors.push(`execution #${i}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { wallMs: now() - t0, clientMs, startRpcMs, storedMs, errors };
}

interface Configuration {
  readonly runners: number;
  readonly batch: Batch;
  readonly stats: RunnerStats[];
  readonly clientCpuMs: number;
  readonly fileBytes: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

async function measure(runnerCount: number): Promise<Configuration> {
  const dir = mkdtempSync(path.join(stringFlag("dir", "") || tmpdir(), "kitaru-bench-throughput-"));
  const file = path.join(dir, "kitaru.db");
  const runners: RunnerProcess[] = [];
  try {
    for (let i = 0; i < runnerCount; i++) runners.push(await spawnRunner(file));
    const warm = await runBatch(runners, WARMUP, CONCURRENCY);
    if (warm.errors.length > 0) console.log(`warm-up errors (${warm.errors.length}): ${warm.errors.slice(0, 3).join("; ")}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // let the warm-up's last writes and watches settle
    for (const runner of runners) runner.reset();
    const loadBefore = machineLoad();
    const cpu0 = process.cpuUsage();
    const batch = await runBatch(runners, EXECUTIONS, CONCURRENCY);
    const cpu = process.cpuUsage(cpu0);
    const stats = await Promise.all(runners.map((r) => r.stats()));
    const loadAfter = machineLoad();
    return { runners: runnerCount, batch, stats, clientCpuMs: (cpu.user + cpu.system) / 1000, fileBytes: statSync(file).size, loadBefore, loadAfter };
  } finally {
    const finals = await Promise.all(runners.map((r) => r.stop()));
    const late = finals.flatMap((s) => s.errors);
    if (late.length > 0) console.log(`runner errors logged after the batch (${late.length}): ${late.slice(0, 3).join("; ")}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

const msText = (value: number) => `${value.toFixed(1)} ms`;

function report(configuration: Configuration): void {
  const { batch, stats, runners } = configuration;
  const seconds = batch.wallMs / 1000;
  const completed = batch.clientMs.length;
  const runnerErrors = stats.flatMap((s) => s.errors);
  const errors = [...batch.errors, ...runnerErrors];
  console.log("");
  console.log(`${runners} runner process${runners === 1 ? "" : "es"} (load before ${configuration.loadBefore}; after ${configuration.loadAfter}):`);
  console.log(`  ${EXECUTIONS} executions of a ${CALLS}-checkpoint flow, ${CONCURRENCY} in flight: ${completed} completed in ${seconds.toFixed(2)} s`);
  console.log(`  throughput: ${(completed / seconds).toFixed(0)} executions/s, ${((completed * CALLS) / seconds).toFixed(0)} checkpoint calls/s`);
  console.log(
    `  start→completed (client: StartExecution sent → completed status on the watch): p50 ${msText(quantile(batch.clientMs, 0.5))}, ` +
      `p99 ${msText(quantile(batch.clientMs, 0.99))}, max ${msText(quantile(batch.clientMs, 1))}`,
  );
  console.log(`  of which StartExecution sent → answered: p50 ${msText(quantile(batch.startRpcMs, 0.5))}, p99 ${msText(quantile(batch.startRpcMs, 0.99))}`);
  console.log(`  created→completed as recorded by the runners: p50 ${msText(quantile(batch.storedMs, 0.5))}, p99 ${msText(quantile(batch.storedMs, 0.99))}`);
  for (const [i, s] of stats.entries()) {
    console.log(
      `  runner ${i + 1}: claimed ${s.claimed} (${s.claimedFromOther} of them started through the other runner), completed ${s.completed}, ` +
        `CPU ${((s.cpuMs / batch.wallMs) * 100).toFixed(0)} % of a core, event loop busy ${((s.busyMs / batch.wallMs) * 100).toFixed(0)} % (CPU + blocked in fsync) over the batch; ${s.warnings.length} warnings, ${s.notes.length} runs not completed on it`,
    );
    const methods = Object.entries(s.storeCalls).sort((a, b) => b[1].syncMs - a[1].syncMs);
    const insideMs = methods.reduce((sum, [, m]) => sum + m.syncMs, 0);
    console.log(
      `    inside store calls (SQL, commit fsync, lock waits): ${((insideMs / batch.wallMs) * 100).toFixed(0)} % of the batch; per execution it completed: ` +
        methods
          .filter(([, m]) => m.calls >= s.completed / 20)
          .map(([name, m]) => `${name} ×${(m.calls / Math.max(1, s.completed)).toFixed(1)} ${((m.syncMs / Math.max(1, m.calls)) * 1000).toFixed(0)} µs each`)
          .join(", "),
    );
    for (const line of [...s.warnings, ...s.notes].slice(0, 3)) console.log(`    ${line}`);
  }
  console.log(
    `  client (this process) CPU ${((configuration.clientCpuMs / batch.wallMs) * 100).toFixed(0)} % of a core; store file ${(configuration.fileBytes / 1e6).toFixed(1)} MB after warm-up + batch`,
  );
  console.log(`  errors: ${errors.length}${errors.length === 0 ? "" : ` (client ${batch.errors.length}, runners ${runnerErrors.length})`}`);
  for (const line of errors.slice(0, 10)) console.log(`    ${line}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(
    `throughput: embedded SQLite store, ${EXECUTIONS} executions of bench_chain (${CALLS} checkpoints), ${CONCURRENCY} in flight, ` +
      `runner processes: ${RUNNER_COUNTS.join(" then ")}; ${WARMUP} warm-up executions each; node ${process.version}; ${machineLoad()}`,
  );
  const configurations: Configuration[] = [];
  for (const count of RUNNER_COUNTS) {
    const configuration = await measure(count);
    configurations.push(configuration);
    report(configuration);
  }
  if (configurations.length > 1) {
    const rate = (c: Configuration) => c.batch.clientMs.length / c.batch.wallMs;
    console.log("");
    console.log(
      `executions/s relative to ${configurations[0]!.runners} runner: ${configurations.map((c) => `${c.runners}: ${(rate(c) / rate(configurations[0]!)).toFixed(2)}×`).join(", ")}`,
    );
  }
  const failed = configurations.some((c) => c.batch.errors.length > 0 || c.stats.some((s) => s.errors.length > 0) || c.batch.clientMs.length !== EXECUTIONS);
  console.log(`after: ${machineLoad()}; took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (failed) process.exitCode = 1;
}

runBench(main);
