/**
 * kitaru side by side with DBOS Transact and Restate on this machine, the
 * systems taking turns within one run, each through its own client as
 * deployed:
 *
 * - kitaru: `kitaru runner` (bench/flows.ts) in a process of its own on an
 *   embedded store file, a client process using the public TS client
 *   (`run` + `handle.wait()`);
 * - DBOS 5.3: the application process (DBOS runs workflows where they are
 *   started) on PostgreSQL 15 from Debian, a cluster of its own in a temp dir;
 * - Restate 1.7: the server from its npm package, the service in an SDK
 *   endpoint process, a client process calling it through the ingress.
 *
 * Workloads, the same for all: a workflow of N sequential durable steps, each
 * returning a small JSON object from the previous one's:
 *   - per durable step = (101-step − 1-step start→completed, medians) / 100
 *   - 1-step workflow start→completed as the client sees it (median)
 *   - 1,000 workflows of 5 steps started at once: completed per second
 * Every workload line prints the load average and the fsync latency measured
 * right before it (4 KiB write + fsync, median of 50, on the stores' disk).
 * Before each measurement (and after the warm-up) the run waits until the
 * machine's CPU is back within a tenth of where it was before the systems
 * started (up to 20 s; 60 s after the warm-up), so that what the previous
 * system left running (PostgreSQL's checkpoint or vacuum after a burst,
 * Restate's compaction, a runner's WAL checkpoint) is not charged to the next
 * one; each line says how long that took.
 *
 *   bash bench/peers/install.sh     # once: PostgreSQL 15 (Debian), bench/peers/node_modules
 *   node --conditions=kitaru-source --import tsx bench/peers/run.ts [--rounds 3] [--systems kitaru,dbos,restate]
 *     [--one-runs 200] [--warmup-runs 1000] [--slow-fsync] [--hundred-runs 5] [--count 1000] [--steps 5] [--workloads step,one,throughput] [--dir <directory>]
 *
 * kitaru's client runs each workflow with `execute()` (one call); the
 * variant `kitaru-run-wait` uses `run()` + `handle.wait()` (two calls).
 * `--systems` may also name these kitaru variants, measured in the same
 * rotation: `kitaru-2` (two `kitaru runner` processes on one file, workflows
 * started round robin over them), `kitaru-nogc` (one runner whose store
 * commits each write on its own: the baseline of group commit) and
 * `kitaru-base` (the runner of another checkout, `--base-root <dir>`, e.g. a
 * worktree of main: a before/after A/B of a change, same client, with
 * `run()` + `wait()` since an older runner may not serve `execute()`'s
 * call). See bench/README.md.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startChildService, type ChildService } from "../../test/support/child-service.ts";
import { boolFlag, intFlag, median, quantile, runBench, stringFlag } from "../support/common.ts";
import { spawnRunner, type RunnerProcess } from "../support/runner-process.ts";
import type { DriverCommand, LatencyAnswer, ThroughputAnswer } from "./driver.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..", "..");
const ROUNDS = intFlag("rounds", 3);
const ONE_RUNS = intFlag("one-runs", 200);
const HUNDRED_RUNS = intFlag("hundred-runs", 5);
/** 1-step workflows each system runs before the first round. */
const WARMUP_RUNS = intFlag("warmup-runs", 1000);
/** Slow fsync for every system: writers with O_DSYNC on the stores' disk for the whole run. */
const SLOW_FSYNC = boolFlag("slow-fsync");
const COUNT = intFlag("count", 1000);
const STEPS = intFlag("steps", 5);
const SYSTEMS = stringFlag("systems", "kitaru,dbos,restate").split(",");
/** Which workloads to measure (default all): step, one, throughput. */
const ONLY = stringFlag("workloads", "step,one,throughput").split(",");
const KNOWN = ["kitaru", "kitaru-run-wait", "kitaru-2", "kitaru-nogc", "kitaru-base", "dbos", "restate"];
/** The checkout whose runner `kitaru-base` runs. */
const BASE_ROOT = stringFlag("base-root", "");
if (SYSTEMS.includes("kitaru-base") && BASE_ROOT === "") throw new Error("--systems kitaru-base needs --base-root <checkout of the baseline>");
for (const name of SYSTEMS) if (!KNOWN.includes(name)) throw new Error(`--systems: unknown '${name}' (known: ${KNOWN.join(", ")})`);
const PG_BIN = "/usr/lib/postgresql/15/bin";
const RESTATE_SERVER = path.join(HERE, "node_modules/@restatedev/restate-server-linux-x64/bin/restate-server");

/** Everything started, stopped in reverse order at the end. */
const cleanups: (() => Promise<void> | void)[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A background process whose output goes to a log file; killed at the end. */
function background(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; log: string }): ChildProcess {
  const log = openSync(options.log, "a");
  const child = spawn(command, args, { cwd: options.cwd ?? REPO, env: options.env ?? process.env, stdio: ["ignore", log, log] });
  closeSync(log);
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    child.kill("SIGKILL");
  });
  return child;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > giveUpAt) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ------------------------------------------------------------------ systems

/** PostgreSQL 15 (Debian's binaries), a cluster of its own in `dir`, on a loopback port; the URL of DBOS's system database. */
async function startPostgres(dir: string): Promise<string> {
  const data = path.join(dir, "pg");
  mkdirSync(data, { mode: 0o700 });
  // initdb refuses to run as root: the cluster belongs to Debian's `postgres` user then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres:postgres", data]);
  const run = (binary: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : path.join(PG_BIN, binary), asRoot ? ["-u", "postgres", "--", path.join(PG_BIN, binary), ...args] : args, {
      stdio: ["ignore", "ignore", "pipe"],
    });
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres"]);
  const port = await freePort();
  // Defaults otherwise (fsync on, synchronous_commit on, full_page_writes on): durable commits, as DBOS expects.
  run("pg_ctl", ["-D", data, "-l", path.join(data, "server.log"), "-w", "-o", `-p ${port} -k ${data} -c listen_addresses=127.0.0.1`, "start"]);
  cleanups.push(() => void run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]));
  return `postgresql://postgres@127.0.0.1:${port}/dbos_peers`;
}

/** The Restate server (its data in `dir`) and the `steps` service's endpoint, registered with it; the ingress URL. */
async function startRestate(dir: string): Promise<string> {
  const [ingress, admin, fabric, endpoint] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    RESTATE_INGRESS__BIND_PORT: String(ingress),
    RESTATE_ADMIN__BIND_PORT: String(admin),
    RESTATE_BIND_PORT: String(fabric),
    RESTATE_DISABLE_TELEMETRY: "true",
    RESTATE_LOG_FILTER: "warn",
  };
  const base = path.join(dir, "restate");
  mkdirSync(base);
  background(RESTATE_SERVER, ["--no-logo", "--base-dir", base, "--listen-mode", "tcp", "--bind-ip", "127.0.0.1", "--node-name", "peers"], {
    env,
    log: path.join(dir, "restate.log"),
  });
  await until("the Restate server", async () => (await fetch(`http://127.0.0.1:${ingress}/restate/health`)).ok);
  await until("the Restate admin API", async () => (await fetch(`http://127.0.0.1:${admin}/health`)).ok);
  background(process.execPath, ["--import", "tsx", path.join(HERE, "restate-service.ts"), String(endpoint)], { log: path.join(dir, "restate-service.log") });
  await until("the Restate service endpoint", async () => {
    const response = await fetch(`http://127.0.0.1:${admin}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uri: `http://127.0.0.1:${endpoint}`, force: true }),
    });
    return response.ok;
  });
  return `http://127.0.0.1:${ingress}`;
}

/** `kitaru runner` processes on one store file (of this checkout, or of `root`); their addresses. */
async function startKitaruRunners(file: string, count: number, root?: string): Promise<string[]> {
  const runners: ChildService[] = [];
  for (let i = 0; i < count; i++) {
    const runner = await startChildService("runner", ["--db-path", file, "--port", "0", "--flows", "bench/flows.ts"], { root });
    cleanups.push(() => runner.kill("SIGTERM"));
    runners.push(runner);
  }
  return runners.map((r) => r.address);
}

/** The server processes a system's workflows are spread over (round robin). */
function serverProcesses(system: string): number {
  return system === "kitaru-2" ? 2 : 1;
}

/** A runner process whose store commits each write on its own (no group commit). */
async function startUngroupedRunner(file: string): Promise<string> {
  const runner: RunnerProcess = await spawnRunner(file, undefined, { groupCommit: false });
  cleanups.push(async () => void (await runner.stop()));
  return runner.address;
}

// ------------------------------------------------------------------ drivers

interface Driver {
  readonly name: string;
  ask<K extends "latency" | "throughput">(command: DriverCommand, key: K): Promise<K extends "latency" ? LatencyAnswer : ThroughputAnswer>;
}

async function startDriver(name: string, script: string, args: string[], dir: string): Promise<Driver> {
  const child = spawn(process.execPath, ["--conditions=kitaru-source", "--import", "tsx", path.join(HERE, "drivers", script), ...args], {
    cwd: REPO,
    stdio: ["pipe", "pipe", openSync(path.join(dir, `${name}-driver.log`), "a")],
  });
  cleanups.push(() => void child.stdin!.write(`${JSON.stringify({ op: "stop" })}\n`));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`the ${name} driver exited (code ${child.exitCode}); see ${dir}/${name}-driver.log`);
      if (value.startsWith("{")) return JSON.parse(value) as Record<string, unknown>;
    }
  };
  await next(); // ready
  return {
    name,
    async ask(command, key) {
      child.stdin!.write(`${JSON.stringify(command)}\n`);
      const answer = await next();
      if ("error" in answer) throw new Error(`${name}: ${String(answer.error)}`);
      return answer[key] as never;
    },
  };
}

async function startSystem(name: string, dir: string): Promise<Driver> {
  switch (name) {
    case "kitaru":
      return startDriver(name, "kitaru.ts", [(await startKitaruRunners(path.join(dir, "kitaru", "kitaru.db"), 1)).join(",")], dir);
    case "kitaru-run-wait":
      return startDriver(name, "kitaru.ts", [(await startKitaruRunners(path.join(dir, name, "kitaru.db"), 1)).join(","), "run-wait"], dir);
    case "kitaru-2":
      return startDriver(name, "kitaru.ts", [(await startKitaruRunners(path.join(dir, "kitaru-2", "kitaru.db"), serverProcesses(name))).join(",")], dir);
    case "kitaru-base":
      return startDriver(
        name,
        "kitaru.ts",
        [(await startKitaruRunners(path.join(dir, "kitaru-base", "kitaru.db"), 1, path.resolve(BASE_ROOT))).join(","), "run-wait"],
        dir,
      );
    case "kitaru-nogc":
      mkdirSync(path.join(dir, "kitaru-nogc"));
      return startDriver(name, "kitaru.ts", [await startUngroupedRunner(path.join(dir, "kitaru-nogc", "kitaru.db"))], dir);
    case "dbos":
      return startDriver(name, "dbos.ts", [await startPostgres(dir)], dir);
    default:
      return startDriver(name, "restate.ts", [await startRestate(dir)], dir);
  }
}

// ------------------------------------------------------------------ measuring

/** fsync latency on the stores' disk: 4 KiB written and fsynced, median of 50 (ms). */
function fsyncMs(dir: string): number {
  const file = path.join(dir, "fsync-probe");
  const fd = openSync(file, "w");
  const block = Buffer.alloc(4096, 7);
  const times: number[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, 0);
      fsyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return median(times);
}

/** The machine's CPU ticks, all cores: busy (not idle, not waiting on I/O) and in all (`/proc/stat`). */
function cpuTicks(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, ticks) => sum + ticks, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** The share of the machine's CPU in use over the next `ms`. */
async function busyShare(ms: number): Promise<number> {
  const before = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTicks();
  return after.total > before.total ? (after.busy - before.busy) / (after.total - before.total) : 0;
}

/**
 * Waits (up to `maxMs`) until the machine is about as busy as before the systems started (within
 * a tenth of its CPU): what one system leaves running after its turn (a database's checkpoint or
 * vacuum after a burst, a server's compaction) is then not charged to the one measured next.
 */
async function settle(baseline: number, maxMs: number): Promise<string> {
  const started = Date.now();
  for (;;) {
    const busy = await busyShare(500);
    const waited = Date.now() - started;
    if (busy <= baseline + 0.1 || waited >= maxMs) return `settled ${f(waited / 1000, 1)} s to ${f(busy * 100, 0)} % busy`;
  }
}

const load = () => os.loadavg()[0]!.toFixed(2);
const f = (value: number, digits = 2) => value.toFixed(digits);

interface Figure {
  readonly value: number;
  readonly load: string;
  readonly fsync: number;
  /** Throughput: the p99 of the workflows' start→completed (ms). */
  readonly p99?: number;
}

type Workload = "step" | "one" | "throughput";
const WORKLOADS: readonly { key: Workload; title: string; unit: string; better: "lower" | "higher" }[] = [
  { key: "step", title: "per durable step (101-step − 1-step, medians, /100)", unit: "ms", better: "lower" },
  { key: "one", title: `1-step workflow start→completed (median of ${ONE_RUNS})`, unit: "ms", better: "lower" },
  { key: "throughput", title: `${COUNT} workflows of ${STEPS} steps started at once`, unit: "/s", better: "higher" },
];

async function measure(driver: Driver, workload: Workload, dir: string): Promise<Figure & { detail: string }> {
  const fsync = fsyncMs(dir);
  const before = load();
  if (workload === "throughput") {
    const answer = await driver.ask({ op: "throughput", count: COUNT, steps: STEPS }, "throughput");
    const detail = `wall ${f(answer.wallMs / 1000)} s, start→completed p50 ${f(quantile(answer.ms, 0.5), 0)} ms, p99 ${f(quantile(answer.ms, 0.99), 0)} ms`;
    return { value: answer.perSecond, load: before, fsync, detail, p99: quantile(answer.ms, 0.99) };
  }
  if (workload === "one") {
    const { ms } = await driver.ask({ op: "latency", steps: 1, runs: ONE_RUNS }, "latency");
    return { value: median(ms), load: before, fsync, detail: `p90 ${f(quantile(ms, 0.9))} ms` };
  }
  const one = median((await driver.ask({ op: "latency", steps: 1, runs: Math.max(5, HUNDRED_RUNS) }, "latency")).ms);
  const hundred = median((await driver.ask({ op: "latency", steps: 101, runs: HUNDRED_RUNS }, "latency")).ms);
  return { value: (hundred - one) / 100, load: before, fsync, detail: `101-step ${f(hundred, 1)} ms, 1-step ${f(one)} ms` };
}

/**
 * Two loops of `dd oflag=dsync` writing to `dir`'s disk (16 × 1 MiB and 8 × 4 MiB at a time)
 * until the run ends: every store's fsync then waits behind them (here: 0.1 ms → 0.5–1.2 ms
 * median, p90 3.5 ms, as the fsync column shows).
 */
function startFsyncLoad(dir: string): void {
  for (const [name, size, count] of [
    ["fsync-load-1", "1M", 16],
    ["fsync-load-2", "4M", 8],
  ] as const) {
    const file = path.join(dir, name);
    const loop = spawn("sh", ["-c", `while true; do dd if=/dev/zero of='${file}' bs=${size} count=${count} oflag=dsync status=none; done`], {
      stdio: "ignore",
      detached: true,
    });
    cleanups.push(() => {
      if (loop.pid !== undefined) process.kill(-loop.pid, "SIGKILL");
      rmSync(file, { force: true });
    });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(stringFlag("dir", "") || os.tmpdir(), "kitaru-peers-"));
  chmodSync(dir, 0o755); // the PostgreSQL cluster's user must reach its directory
  console.log(
    `peers: ${SYSTEMS.join(", ")}; ${ROUNDS} rounds, the systems taking turns (order rotated each round); node ${process.version}; ` +
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join("/")} on ${os.cpus().length} cores; stores in ${dir}`,
  );
  const drivers: Driver[] = [];
  try {
    if (SLOW_FSYNC) startFsyncLoad(dir);
    const baseline = await busyShare(2000);
    console.log(`CPU busy before the systems start: ${f(baseline * 100, 0)} % of ${os.cpus().length} cores`);
    for (const name of SYSTEMS) drivers.push(await startSystem(name, dir));
    // Warm-up: every process loads and compiles its code paths (a JIT needs thousands of runs to
    // settle: kitaru's 1-step time fell over five rounds after a shorter one), every store creates
    // its tables. The same for every server process: a system whose work is spread over several
    // (kitaru-2's two runners) is warmed up that many times over, else each of its processes has
    // seen half the runs of the others' when round 1 starts.
    for (const driver of drivers) {
      for (let k = 0; k < serverProcesses(driver.name); k++) {
        await driver.ask({ op: "latency", steps: 1, runs: WARMUP_RUNS }, "latency");
        await driver.ask({ op: "latency", steps: 101, runs: 5 }, "latency");
        await driver.ask({ op: "throughput", count: COUNT, steps: STEPS }, "throughput");
      }
    }
    console.log(`after the warm-up: ${await settle(baseline, 60_000)}`);
    const figures = new Map<string, Figure[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = drivers.map((_, i) => drivers[(i + round) % drivers.length]!);
      console.log(`\nround ${round + 1} (order ${order.map((d) => d.name).join(", ")})`);
      for (const workload of WORKLOADS.filter((w) => ONLY.includes(w.key))) {
        const lines: string[] = [];
        for (const driver of order) {
          // Unmeasured, right before: a system idle while the others were measured (longest for the
          // first of round 1, after every warm-up) is not measured on its first call after the pause.
          const settled = await settle(baseline, 20_000);
          await driver.ask({ op: "latency", steps: 1, runs: 20 }, "latency");
          const figure = await measure(driver, workload.key, dir);
          const key = `${workload.key}:${driver.name}`;
          figures.set(key, [...(figures.get(key) ?? []), figure]);
          lines.push(
            `    ${driver.name.padEnd(12)} ${f(figure.value).padStart(8)} ${workload.unit}   (load ${figure.load}, fsync ${f(figure.fsync, 3)} ms; ${figure.detail}; ${settled})`,
          );
        }
        console.log(`  ${workload.title}`);
        for (const line of lines) console.log(line);
        console.log(`    ${ratioText((name) => figures.get(`${workload.key}:${name}`)?.at(-1))}`);
      }
    }
    console.log(`\nmedians of ${ROUNDS} rounds (each ratio: the median of the rounds' ratios; load and fsync: range over the rounds)`);
    for (const workload of WORKLOADS.filter((w) => ONLY.includes(w.key))) {
      console.log(`  ${workload.title}`);
      for (const driver of drivers) {
        const all = figures.get(`${workload.key}:${driver.name}`) ?? [];
        console.log(
          `    ${driver.name.padEnd(12)} ${f(median(all.map((x) => x.value))).padStart(8)} ${workload.unit}   (rounds ${all.map((x) => f(x.value)).join(", ")}; ` +
            `load ${all.map((x) => x.load).join("/")}; fsync ${f(Math.min(...all.map((x) => x.fsync)), 3)}–${f(Math.max(...all.map((x) => x.fsync)), 3)} ms)`,
        );
      }
      const perRound = (name: string, round: number) => figures.get(`${workload.key}:${name}`)?.[round];
      const ratios = Array.from({ length: ROUNDS }, (_, round) => ratioValues((name) => perRound(name, round)));
      const names = Object.keys(ratios[0] ?? {});
      console.log(`    ${names.map((n) => `${n} ${f(median(ratios.map((r) => r[n]!)))}× (${ratios.map((r) => f(r[n]!)).join(", ")})`).join(";  ")}`);
      if (workload.key === "throughput") {
        // The tail as well as the rate: each system's p99 start→completed by round, and the median.
        const tails = drivers.map((driver) => {
          const p99s = (figures.get(`${workload.key}:${driver.name}`) ?? []).map((x) => x.p99 ?? Number.NaN);
          return `${driver.name} ${f(median(p99s), 0)} ms (${p99s.map((p) => f(p, 0)).join(", ")})`;
        });
        console.log(`    p99 start→completed, median of the rounds: ${tails.join(";  ")}`);
      }
    }
    console.log(
      `\nafter: load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join("/")}; took ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** kitaru (and its variants) against every peer, and each variant against kitaru: the ratio of their figures (for times lower is better, for throughput higher). */
function ratioValues(figure: (name: string) => Figure | undefined): Record<string, number> {
  const ratios: Record<string, number> = {};
  const ours = SYSTEMS.filter((s) => s.startsWith("kitaru"));
  const peers = SYSTEMS.filter((s) => !s.startsWith("kitaru"));
  for (const a of ours) {
    for (const b of [...peers, ...(a === "kitaru" ? [] : ["kitaru"])]) {
      const x = figure(a)?.value;
      const y = figure(b)?.value;
      if (x !== undefined && y !== undefined && SYSTEMS.includes(b)) ratios[`${a}/${b}`] = x / y;
    }
  }
  return ratios;
}

function ratioText(figure: (name: string) => Figure | undefined): string {
  const ratios = ratioValues(figure);
  return Object.entries(ratios)
    .map(([name, value]) => `${name} ${f(value)}×`)
    .join(",  ");
}

runBench(main);
