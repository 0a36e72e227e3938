/**
 * A runner process of its own for the benches: `startRunner` with the bench
 * flows on an embedded store file, default scheduler timing (as deployed).
 * Started by {@link spawnRunner} (runner-process.ts), which talks to it over
 * stdin/stdout, one JSON object a line:
 *
 *   node --conditions=kitaru-source --import tsx bench/support/runner-child.ts <store file>
 *   node --conditions=kitaru-source --import tsx bench/support/runner-child.ts <mongodb:// URI> <database>   # the MongoDB store
 *   node --conditions=kitaru-source --import tsx bench/support/runner-child.ts <store file> --no-group-commit  # one commit per write
 *
 * - on start it prints `{"ready": {address, runnerId, pid}}`;
 * - `reset` (stdin) zeroes its counters and CPU baseline; `stats` prints
 *   `{"stats": RunnerStats}`; `stop` stops the runner, closes the store,
 *   prints the final stats and exits.
 */
import { constants, PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { FlowRegistry } from "../../services/runner/src/engine/flow-registry.ts";
import { startRunner } from "../../services/runner/src/runner-server.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { MongoExecutionStore } from "../../services/runner/src/store/mongo-execution-store.ts";
import { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";
import { benchFlows } from "../flows.ts";
import type { RunnerStats } from "./runner-process.ts";

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const groupCommit = !process.argv.includes("--no-group-commit");
const [where, database] = positional;
if (!where) throw new Error("usage: runner-child.ts <store file> | <mongodb:// URI> <database>");

const store: ExecutionStore = /^mongodb(\+srv)?:\/\//.test(where)
  ? await MongoExecutionStore.connect({ uri: where, database: database ?? "kitaru" })
  : await SqliteExecutionStore.open({ path: where, groupCommit });
/** Per store method: calls, and time spent inside them synchronously (better-sqlite3 runs the SQL, commit fsync and lock waits included, before the promise returns). */
const storeCalls = new Map<string, { calls: number; syncMs: number }>();
const measured = new Proxy(store, {
  get(target, property) {
    const value = Reflect.get(target, property, target) as unknown;
    if (typeof value !== "function") return value;
    return (...args: unknown[]) => {
      const t = performance.now();
      const result = (value as (...a: unknown[]) => unknown).apply(target, args);
      const entry = storeCalls.get(String(property)) ?? { calls: 0, syncMs: 0 };
      entry.calls += 1;
      entry.syncMs += performance.now() - t;
      storeCalls.set(String(property), entry);
      return result;
    };
  },
});
let stopping = false;
/** The counters, writable here. */
type Counters = { -readonly [K in keyof RunnerStats]: RunnerStats[K] };
let stats: Counters;
let cpu0 = process.cpuUsage();
let elu0 = performance.eventLoopUtilization();
let t0 = performance.now();
const createdHere = new Set<string>();
const reset = () => {
  stats = {
    cpuMs: 0,
    busyMs: 0,
    wallMs: 0,
    gcMs: 0,
    majorGcs: 0,
    storeCalls: {},
    claimed: 0,
    claimedFromOther: 0,
    completed: 0,
    errors: [],
    warnings: [],
    notes: [],
  };
  createdHere.clear();
  storeCalls.clear();
  cpu0 = process.cpuUsage();
  elu0 = performance.eventLoopUtilization();
  t0 = performance.now();
};
reset();
// Garbage collections: their pauses are part of the event loop's busy time.
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    stats.gcMs += entry.duration;
    if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) stats.majorGcs += 1;
  }
}).observe({ entryTypes: ["gc"] });
const describe = (message: string, fields: Readonly<Record<string, unknown>>) => `${message} ${JSON.stringify(fields)}`.slice(0, 2000);
const runner = await startRunner({
  store: measured,
  flows: new FlowRegistry(benchFlows),
  logger: {
    // Errors after stop began are in-flight work meeting the closing store: not counted.
    error: (message, fields) => void (stopping || stats.errors.push(describe(message, fields))),
    warn: (message, fields) => void stats.warnings.push(describe(message, fields)),
    // One line per execution started and ended: keep only those that say something went wrong.
    info: (message) => void (/stopped on this runner|recovered|failed|cancelled/.test(message) && stats.notes.push(message)),
  },
});
runner.engine.context.bus.subscribeAll((event) => {
  if (event.kind !== "status_changed") return;
  const { state } = event;
  if (state.kind === "created") createdHere.add(event.execId);
  else if (state.kind === "claimed" && state.claim?.runnerId === runner.runnerId) {
    stats.claimed += 1;
    if (!createdHere.has(event.execId)) stats.claimedFromOther += 1;
  } else if (state.kind === "completed") stats.completed += 1;
});

const snapshot = (): RunnerStats => {
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  return { ...stats, cpuMs: (cpu.user + cpu.system) / 1000, busyMs: elu.active, wallMs: performance.now() - t0, storeCalls: Object.fromEntries(storeCalls) };
};
const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

send({ ready: { address: runner.address, runnerId: runner.runnerId, pid: process.pid } });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "reset") reset();
  else if (line === "stats") send({ stats: snapshot() });
  else if (line === "stop") break;
}
stopping = true;
const final = snapshot();
await runner.stop();
await store.close();
send({ stats: final });
process.exit(0);
