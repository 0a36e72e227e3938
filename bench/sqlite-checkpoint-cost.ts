/**
 * Cost of one executed checkpoint call on the embedded SQLite store versus one
 * raw durable insert of the same row through the same driver.
 *
 *   node --conditions=kitaru-source --import tsx bench/sqlite-checkpoint-cost.ts [--calls 300] [--runs 10] [--dir <directory>]
 *
 * The store and the raw table live in files in `--dir` (default: a new
 * directory under the OS temp dir; use a directory on the disk you care about).
 * See bench/README.md for what is measured and the target.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { SqliteExecutionStore } from "../services/runner/src/store/sqlite-execution-store.ts";
import { encodeRecord } from "../services/runner/src/store/record-json.ts";
import { configureConnection } from "../services/runner/src/store/sqlite-schema.ts";
import { intFlag, machineLoad, median, ms, now, quantile, startBenchEnvOn, storeCallsBetween, stringFlag, type StoreTrace } from "./support/common.ts";
import { describeFlowRuns, runFlow, type FlowRun } from "./support/flow-run.ts";
import { benchFlows } from "./flows.ts";

const N = intFlag("calls", 300);
/** Many short runs, alternating: a commit's fsync time swings with other I/O on the machine. */
const R = intFlag("runs", 10);
const WARMUP = Math.min(N, 200);

interface RawRun {
  readonly perInsertMs: number;
  readonly latencies: number[];
  readonly cpuPerInsertMs: number;
}

/** `count` autocommit inserts (one durable commit each) of `record` as rows of the store's `calls` table. */
function rawInserts(insert: Database.Statement, record: string, count: number, tag: string): RawRun {
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const a = now();
    insert.run(`raw-${tag}`, `step_${i + 1}`, "", i, record);
    latencies.push(now() - a);
  }
  const total = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { perInsertMs: total / count, latencies, cpuPerInsertMs: (cpu.user + cpu.system) / 1000 / count };
}

function sqliteVersion(): string {
  const db = new Database(":memory:");
  const version = db.prepare("SELECT sqlite_version()").pluck().get() as string;
  db.close();
  return version;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(stringFlag("dir", tmpdir()), "kitaru-bench-sqlite-"));
  const storeFile = path.join(dir, "kitaru.db");
  console.log(`sqlite-checkpoint-cost: embedded store ${storeFile} (better-sqlite3, SQLite ${sqliteVersion()}, WAL, synchronous=FULL)`);
  console.log(`N=${N} calls per execution, R=${R} runs, flow bench_chain, node ${process.version}, ${machineLoad()}`);

  // The raw side: a file with the store's own schema and settings, written through a plain connection.
  const rawFile = path.join(dir, "raw.db");
  await (await SqliteExecutionStore.open({ path: rawFile })).close();
  const raw = new Database(rawFile);
  configureConnection(raw);
  const insert = raw.prepare("INSERT INTO calls (exec_id, invocation_id, attempt, sequence, record) VALUES (?, ?, ?, ?, ?)");

  const trace: StoreTrace = { calls: [] };
  const env = await startBenchEnvOn(await SqliteExecutionStore.open({ path: storeFile }), storeFile, { flows: benchFlows, trace });
  const flowRuns: FlowRun[] = [];
  const rawRuns: RawRun[] = [];
  let record = "";
  try {
    const warm = await runFlow(env, "bench_chain", WARMUP);
    const sample = (await env.store.listCalls(warm.execId))[1];
    if (sample === undefined) throw new Error("no call record to copy");
    record = encodeRecord(sample);
    rawInserts(insert, record, WARMUP, "warm");
    console.log(`call row copied for the raw insert: ${Buffer.byteLength(record)} bytes of record JSON plus its keys`);

    for (let r = 0; r < R; r++) {
      // Alternate the order so drift (file growth, caches) does not favour one side.
      const doFlow = async () => flowRuns.push(await runFlow(env, "bench_chain", N));
      const doRaw = () => rawRuns.push(rawInserts(insert, record, N, `run${r}`));
      if (r % 2 === 0) {
        await doFlow();
        doRaw();
      } else {
        doRaw();
        await doFlow();
      }
      const f = flowRuns.at(-1)!;
      const w = rawRuns.at(-1)!;
      console.log(
        `run ${r + 1}: per call ${ms(f.perCallMs)} (span ${ms(f.spanMs, 1)}), raw insert ${ms(w.perInsertMs)}, ratio ${(f.perCallMs / w.perInsertMs).toFixed(2)}`,
      );
    }
    const last = flowRuns.at(-1)!;
    console.log(
      `store calls of run ${R} between the first call's start and the last call's completion: ${storeCallsBetween(trace, last.firstStarted, last.lastCompleted)}`,
    );
  } finally {
    await env.teardown();
    raw.close();
  }

  const rawLat = rawRuns.flatMap((w) => w.latencies);
  const ratios = flowRuns.map((f, i) => f.perCallMs / rawRuns[i]!.perInsertMs);
  console.log("");
  for (const line of describeFlowRuns(flowRuns)) console.log(line);
  console.log(
    `raw durable insert (autocommit, same row, same table and indexes), per insert median of runs: ${ms(median(rawRuns.map((w) => w.perInsertMs)))}; latency p50 ${ms(quantile(rawLat, 0.5))}, p95 ${ms(quantile(rawLat, 0.95))}; node CPU ${ms(median(rawRuns.map((w) => w.cpuPerInsertMs)))}`,
  );
  const intervalP50 = quantile(
    flowRuns.flatMap((f) => f.intervals),
    0.5,
  );
  console.log(`RATIO per call / raw insert: median ${median(ratios).toFixed(2)} (runs: ${ratios.map((x) => x.toFixed(2)).join(", ")}); target <= 1.5`);
  console.log(
    `  typical call vs typical insert (p50 completion interval / p50 raw latency, robust to fsync stalls): ${(intervalP50 / quantile(rawLat, 0.5)).toFixed(2)}`,
  );
  console.log(`after the timed runs: ${machineLoad()}`);
  rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
