/**
 * The clients' gRPC transport (#contract/wire/grpc-http2-transport.ts)
 * against connect-node's `createGrpcTransport`, A/B in one run: one runner
 * process (bench/support/runner-process.ts), this process as the client,
 * the two transports taking turns over one HTTP/2 session each.
 *
 * Per transport and round, three calls of what a client does most:
 *   - unary: `GetExecution` (basic view) of a completed execution;
 *   - stream: `WatchExecution` (status only) of it, read to its end;
 *   - 1-step: `StartExecution` of a 1-step flow, then its status-only watch
 *     read until it completes (what `flow.run()` + `handle.wait()` send).
 * Printed per call: median latency, and the client process's CPU per call
 * (user + system), with the load average.
 *
 *   node --conditions=kitaru-source --import tsx bench/client-transport.ts [--calls 2000] [--rounds 3]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { createHttp2GrpcTransport } from "#contract/wire/grpc-http2-transport.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { intFlag, machineLoad, median, runBench } from "./support/common.ts";
import { spawnRunner } from "./support/runner-process.ts";

const CALLS = intFlag("calls", 2000);
const ROUNDS = intFlag("rounds", 3);

type Runner = Client<typeof RunnerService>;
const TRANSPORTS: Record<string, (baseUrl: string, sessionManager: Http2SessionManager) => Transport> = {
  connect: (baseUrl, sessionManager) => createGrpcTransport({ baseUrl, sessionManager }),
  kitaru: (baseUrl, sessionManager) => createHttp2GrpcTransport({ baseUrl, sessionManager }),
};

async function startOne(runner: Runner): Promise<string> {
  const started = await runner.startExecution({ flowName: "bench_chain_await", input: { calls: 1 }, requestId: randomUUID() });
  const execId = started.execution?.execId ?? "";
  for await (const response of runner.watchExecution({ execId, statusOnly: true })) {
    const change = response.event?.kind;
    if (change?.case === "statusChanged" && change.value.status === ExecutionStatus.COMPLETED) break;
  }
  return execId;
}

const WORKLOADS: Record<string, (runner: Runner, execId: string) => Promise<unknown>> = {
  unary: (runner, execId) => runner.getExecution({ execId }),
  stream: async (runner, execId) => {
    for await (const _ of runner.watchExecution({ execId, statusOnly: true })) {
      // read to the end
    }
  },
  "1-step": (runner) => startOne(runner),
};

/** Median latency and client CPU per call of `calls` calls of `workload`, after a warm-up. */
async function measure(runner: Runner, execId: string, workload: (runner: Runner, execId: string) => Promise<unknown>, calls: number) {
  for (let i = 0; i < Math.min(200, calls); i++) await workload(runner, execId);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await workload(runner, execId);
    latencies.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { latencyMs: median(latencies), cpuMs: (cpu.user + cpu.system) / 1000 / calls };
}

runBench(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kitaru-client-transport-"));
  const runner = await spawnRunner(path.join(dir, "kitaru.db"));
  const baseUrl = `http://${runner.address}`;
  const sessions: Http2SessionManager[] = [];
  const clients = Object.fromEntries(
    Object.entries(TRANSPORTS).map(([name, make]) => {
      const session = new Http2SessionManager(baseUrl);
      sessions.push(session);
      return [name, createClient(RunnerService, make(baseUrl, session))];
    }),
  );
  const execId = await startOne(clients["kitaru"] as Runner);
  const figures = new Map<string, { latencyMs: number[]; cpuMs: number[] }>();
  console.log(`client-transport: ${CALLS} calls per workload, transport and round; ${ROUNDS} rounds; ${machineLoad()}`);
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? Object.keys(TRANSPORTS) : Object.keys(TRANSPORTS).reverse();
    for (const [workload, call] of Object.entries(WORKLOADS)) {
      for (const name of order) {
        const result = await measure(clients[name] as Runner, execId, call, workload === "1-step" ? Math.ceil(CALLS / 4) : CALLS);
        const key = `${workload} ${name}`;
        const entry = figures.get(key) ?? { latencyMs: [], cpuMs: [] };
        entry.latencyMs.push(result.latencyMs);
        entry.cpuMs.push(result.cpuMs);
        figures.set(key, entry);
        console.log(
          `  round ${round} ${key.padEnd(16)} ${result.latencyMs.toFixed(3)} ms median, client CPU ${result.cpuMs.toFixed(3)} ms per call (${machineLoad()})`,
        );
      }
    }
  }
  console.log("medians of the rounds (kitaru/connect: the median of the rounds' ratios)");
  for (const workload of Object.keys(WORKLOADS)) {
    const ours = figures.get(`${workload} kitaru`)!;
    const theirs = figures.get(`${workload} connect`)!;
    const ratio = (a: number[], b: number[]) => median(a.map((value, i) => value / (b[i] as number))).toFixed(2);
    console.log(
      `  ${workload.padEnd(7)} latency ${median(ours.latencyMs).toFixed(3)} vs ${median(theirs.latencyMs).toFixed(3)} ms (${ratio(ours.latencyMs, theirs.latencyMs)}×), ` +
        `client CPU ${median(ours.cpuMs).toFixed(3)} vs ${median(theirs.cpuMs).toFixed(3)} ms per call (${ratio(ours.cpuMs, theirs.cpuMs)}×)`,
    );
  }
  console.log(`after: ${machineLoad()}`);
  for (const session of sessions) session.abort();
  await runner.stop();
  rmSync(dir, { recursive: true, force: true });
});
