/**
 * What every system's driver process does with the `run` its system gives
 * it: take one command a line on stdin, answer one JSON line on stdout.
 *
 *   {"op": "latency", "steps": 1, "runs": 30}       → {"latency": {"ms": [...]}}   sequential start→completed
 *   {"op": "throughput", "count": 1000, "steps": 5} → {"throughput": {"wallMs", "perSecond", "ms": [...]}}  all started at once
 *   {"op": "stop"}                                  → exits
 *
 * `run(steps)` starts one workflow of `steps` sequential durable steps through
 * the system's own client and resolves with its result once it completed, as
 * that client sees it; the harness checks the result.
 */
import { createInterface } from "node:readline";

/** One system as a driver sees it. */
export interface PeerSystem {
  /** Starts one workflow of `steps` steps and resolves with its result (`{ i: steps }`) when it completed. */
  run(steps: number): Promise<unknown>;
  close(): Promise<void>;
}

export type DriverCommand =
  | { readonly op: "latency"; readonly steps: number; readonly runs: number }
  | { readonly op: "throughput"; readonly count: number; readonly steps: number }
  | { readonly op: "stop" };

export interface LatencyAnswer {
  readonly ms: number[];
}

export interface ThroughputAnswer {
  readonly wallMs: number;
  readonly perSecond: number;
  /** Start→completed of each workflow, as its client saw it. */
  readonly ms: number[];
}

function check(result: unknown, steps: number): void {
  const i = (result as { i?: unknown } | null)?.i;
  if (i !== steps) throw new Error(`a ${steps}-step workflow returned ${JSON.stringify(result)}`);
}

async function timed(system: PeerSystem, steps: number): Promise<number> {
  const t0 = performance.now();
  check(await system.run(steps), steps);
  return performance.now() - t0;
}

/** Serves commands on stdin until `stop`, then closes the system and exits. */
export async function serveDriver(system: PeerSystem): Promise<void> {
  const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
  send({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line) as DriverCommand;
    try {
      if (command.op === "stop") break;
      if (command.op === "latency") {
        const ms: number[] = [];
        for (let r = 0; r < command.runs; r++) ms.push(await timed(system, command.steps));
        send({ latency: { ms } satisfies LatencyAnswer });
      } else {
        const t0 = performance.now();
        const ms = await Promise.all(Array.from({ length: command.count }, () => timed(system, command.steps)));
        const wallMs = performance.now() - t0;
        send({ throughput: { wallMs, perSecond: (command.count / wallMs) * 1000, ms } satisfies ThroughputAnswer });
      }
    } catch (error) {
      send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }
  await system.close();
  process.exit(0);
}
