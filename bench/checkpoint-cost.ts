/**
 * Cost of one executed checkpoint call versus one raw insertOne, on the same server.
 *
 *   node --conditions=kitaru-source --import tsx bench/checkpoint-cost.ts [--calls N] [--runs R] [--style handles|await] [--no-count]
 *
 * Server: MONGODB_URI, or a local FerretDB (SQLite) started by scripts/ferretdb/start.mjs.
 * See bench/README.md for what is measured and the target.
 */
import { BSON, MongoClient, type Collection, type Document } from "mongodb";
import {
  benchServer,
  boolFlag,
  dropDatabase,
  freshDatabase,
  intFlag,
  machineLoad,
  median,
  ms,
  now,
  quantile,
  startBenchEnv,
  stringFlag,
} from "./support/common.ts";
import { describeFlowRuns, runFlow, type FlowRun } from "./support/flow-run.ts";
import { formatGroups, startWireCounter, summarize } from "./support/wire-counter.ts";
import { benchFlows } from "./flows.ts";

const N = intFlag("calls", 500);
const R = intFlag("runs", 5);
const style = stringFlag("style", "handles");
const chosenFlow = style === "await" ? "bench_chain_await" : style === "handles" ? "bench_chain" : undefined;
if (chosenFlow === undefined) throw new Error(`--style must be handles or await, got ${style}`);
const flowName: string = chosenFlow;
/** Calls of the discarded warm-up execution (and raw inserts): enough for the JIT and the connection pools. */
const WARMUP = Math.min(N, 200);

interface RawRun {
  readonly perInsertMs: number;
  readonly latencies: number[];
  readonly cpuPerInsertMs: number;
}

async function rawInserts(collection: Collection<Document>, template: Document, count: number, tag: string): Promise<RawRun> {
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const a = now();
    await collection.insertOne({ ...template, _id: `${tag}:${i}` as unknown as Document["_id"], sequence: i + 1 });
    latencies.push(now() - a);
  }
  const total = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { perInsertMs: total / count, latencies, cpuPerInsertMs: (cpu.user + cpu.system) / 1000 / count };
}

/** A real call document of `execId` (as the store wrote it), without its _id. */
async function sampleCallDocument(raw: MongoClient, database: string, execId: string): Promise<Document> {
  const doc = await raw.db(database).collection("calls").findOne({ execId, invocationId: "step_2" });
  if (doc === null) throw new Error("no call document to copy");
  const { _id, ...rest } = doc;
  return rest;
}

async function main(): Promise<void> {
  const server = await benchServer();
  const database = freshDatabase("kitaru_bench_cost");
  console.log(`checkpoint-cost: server ${server.description}`);
  console.log(`N=${N} calls per execution, R=${R} runs, style=${style} (flow ${flowName}), node ${process.version}, ${machineLoad()}, database ${database}`);

  const env = await startBenchEnv({ uri: server.uri, database, flows: benchFlows });
  const raw = new MongoClient(server.uri, { ignoreUndefined: true });
  const flowRuns: FlowRun[] = [];
  const rawRuns: RawRun[] = [];
  const plainRuns: RawRun[] = [];
  let template: Document;
  try {
    // Same index as the store's `calls` collection, so the raw insert maintains the same secondary index.
    const rawCalls = raw.db(database).collection("bench_raw");
    await rawCalls.createIndex({ execId: 1, sequence: 1 });
    const rawPlain = raw.db(database).collection("bench_raw_plain");

    const warm = await runFlow(env, flowName, WARMUP);
    template = await sampleCallDocument(raw, database, warm.execId);
    await rawInserts(rawCalls, template, WARMUP, "warm");
    await rawInserts(rawPlain, template, WARMUP, "warm");
    console.log(`call document copied for the raw insert: ${BSON.calculateObjectSize(template) + 30} bytes BSON (with a ~30-byte _id)`);

    for (let r = 0; r < R; r++) {
      // Alternate the order so drift (table growth, caches) does not favour one side.
      const doFlow = async () => flowRuns.push(await runFlow(env, flowName, N));
      const doRaw = async () => {
        rawRuns.push(await rawInserts(rawCalls, template, N, `run${r}`));
        plainRuns.push(await rawInserts(rawPlain, template, N, `run${r}`));
      };
      if (r % 2 === 0) {
        await doFlow();
        await doRaw();
      } else {
        await doRaw();
        await doFlow();
      }
      const f = flowRuns[flowRuns.length - 1]!;
      const w = rawRuns[rawRuns.length - 1]!;
      console.log(
        `run ${r + 1}: per call ${ms(f.perCallMs)} (span ${ms(f.spanMs, 1)}), raw insertOne ${ms(w.perInsertMs)} ` +
          `(no 2nd index ${ms(plainRuns[plainRuns.length - 1]!.perInsertMs)}), ratio ${(f.perCallMs / w.perInsertMs).toFixed(2)}`,
      );
    }
  } finally {
    await env.teardown();
  }

  const rawLat = rawRuns.flatMap((w) => w.latencies);
  const plainLat = plainRuns.flatMap((w) => w.latencies);
  const ratios = flowRuns.map((f, i) => f.perCallMs / rawRuns[i]!.perInsertMs);
  console.log("");
  for (const line of describeFlowRuns(flowRuns)) console.log(line);
  console.log(
    `raw insertOne (same index as calls), per insert median of runs: ${ms(median(rawRuns.map((w) => w.perInsertMs)))}; latency p50 ${ms(quantile(rawLat, 0.5))}, p95 ${ms(quantile(rawLat, 0.95))}; node CPU ${ms(median(rawRuns.map((w) => w.cpuPerInsertMs)))}`,
  );
  console.log(
    `raw insertOne (_id index only), per insert median of runs: ${ms(median(plainRuns.map((w) => w.perInsertMs)))}; latency p50 ${ms(quantile(plainLat, 0.5))}, p95 ${ms(quantile(plainLat, 0.95))}`,
  );
  console.log(`RATIO per call / raw insertOne: median ${median(ratios).toFixed(2)} (runs: ${ratios.map((x) => x.toFixed(2)).join(", ")}); target <= 1.5`);

  await raw.close();
  await dropDatabase(server.uri, database);

  console.log(`after the timed runs: ${machineLoad()}`);
  if (!boolFlag("no-count")) await countRoundTrips(server.uri, template!);
  await server.stop();
}

/** One more execution and N raw inserts through a counting proxy: requests per executed call. */
async function countRoundTrips(uri: string, template: Document): Promise<void> {
  const wire = await startWireCounter(uri);
  const database = freshDatabase("kitaru_bench_count");
  const env = await startBenchEnv({ uri: wire.uri, database, flows: benchFlows });
  const raw = new MongoClient(wire.uri, { ignoreUndefined: true });
  try {
    await runFlow(env, flowName, WARMUP);
    const f = await runFlow(env, flowName, N);
    const window = summarize(wire.requests, database, f.firstStarted, f.lastCompleted);
    const whole = summarize(wire.requests, database, f.startedAt, f.doneAt);
    const callInserts = window.groups.find(([key]) => key === "insert calls")?.[1];
    console.log("");
    console.log(`round trips (counting proxy, separate database, 1 execution of N=${N}; timings through the proxy are not used):`);
    console.log(
      `  first call started → last call completed: ${window.total} requests = ${(window.total / N).toFixed(3)} per call; ${formatGroups(window.groups)}`,
    );
    console.log(`  inserts into calls per executed call: ${((callInserts?.requests ?? 0) / N).toFixed(3)} (${callInserts?.documents ?? 0} documents)`);
    console.log(`  whole execution (start request → terminal state): ${whole.total} requests; ${formatGroups(whole.groups)}`);
    const collection = raw.db(database).collection("bench_raw");
    const t0 = now();
    await rawInserts(collection, template, N, "count");
    const rawWindow = summarize(wire.requests, database, t0, now());
    console.log(`  raw loop of ${N} insertOne: ${rawWindow.total} requests; ${formatGroups(rawWindow.groups)}`);
  } finally {
    await raw.close();
    await env.teardown();
    await wire.close();
    await dropDatabase(uri, database);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
