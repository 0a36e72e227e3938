/**
 * A burst of requests carrying values too large to accept, against a
 * `kitaru runner` process, and what the small calls sent during the burst
 * wait (issue 19 item 2: 19 calls went unanswered for 20 s).
 *
 * Each burst is `--burst` StartExecution requests at once, each with a flow
 * input past the 32 MiB value limit made of 7 million two-letter strings
 * (35 MB of JSON, 42 MB on the wire: what is costly to decode; one long
 * string decodes in milliseconds); meanwhile a GetExecution call goes out
 * every `--every-ms` (one at a time) until the last large request is
 * refused. Reported: those small calls' latencies (a decode holds the one
 * thread, so the longest one is what a bystander waits) and the time until
 * the last large request was refused, with the machine's load. The requests are
 * encoded once and sent as bytes (grpc-js), so the client's own encoding
 * costs nothing during a burst. With `--baseline <checkout>` (another working
 * tree of kitaru, e.g. `git worktree add /tmp/kitaru-base <commit>` with
 * node_modules linked), a runner from it takes turns with this checkout's,
 * burst by burst (which goes first alternates), and the ratios of the two are
 * printed.
 *
 *   node --conditions=kitaru-source --import tsx bench/large-requests.ts [--burst 6] [--every-ms 250] [--runs 2] [--baseline <checkout>]
 *
 * See bench/README.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { RunnerService, StartExecutionRequestSchema } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { startChildService, type ChildService } from "../test/support/child-service.ts";
import { intFlag, machineLoad, median, now, quantile, runBench, stringFlag } from "./support/common.ts";

const BURST = intFlag("burst", 6);
const EVERY_MS = intFlag("every-ms", 250);
const RUNS = intFlag("runs", 2);
const BASELINE = stringFlag("baseline", "");

/** The oversized request, encoded once. */
const LARGE = Buffer.from(
  toBinary(
    StartExecutionRequestSchema,
    create(StartExecutionRequestSchema, { flowName: "bench_chain", input: { calls: 1, items: new Array(7_000_000).fill("ab") } }),
  ),
);

/** Sends the encoded oversized request; resolves with the time until it was refused (INVALID_ARGUMENT). */
function sendLarge(address: string, t0: number): Promise<number> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": -1 });
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/kitaru.runner.v1.RunnerService/StartExecution",
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      LARGE,
      (error) => {
        client.close();
        if (error?.code === grpc.status.INVALID_ARGUMENT) resolve(now() - t0);
        else reject(error ?? new Error("an oversized value was accepted"));
      },
    );
  });
}

interface Target {
  readonly name: string;
  readonly runner: ChildService;
  readonly execId: string;
  readonly small: number[];
  readonly burst: number[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "kitaru-bench-large-requests-"));
  const sessions: Http2SessionManager[] = [];
  const targets: Target[] = [];
  const client = (runner: ChildService) => {
    const session = new Http2SessionManager(`http://${runner.address}`);
    sessions.push(session);
    return createClient(RunnerService, createGrpcTransport({ baseUrl: `http://${runner.address}`, sessionManager: session }));
  };
  try {
    for (const [name, checkout] of [["this checkout", undefined], ...(BASELINE ? [["baseline", BASELINE]] : [])] as [string, string | undefined][]) {
      const db = path.join(dir, `${targets.length}.db`);
      const runner = await startChildService("runner", ["--db-path", db, "--port", "0", "--flows", "bench/flows.ts"], checkout ? { root: checkout } : {});
      const { execution } = await client(runner).startExecution({ flowName: "bench_chain", input: { calls: 1 } });
      targets.push({ name, runner, execId: execution!.execId, small: [], burst: [] });
    }
    console.log(
      `large-requests: ${targets.map((t) => t.name).join(" and ")}, a runner process each; bursts of ${BURST} requests of 33 MiB of JSON, ` +
        `a GetExecution every ${EVERY_MS} ms during each; request ${LARGE.length} bytes; node ${process.version}; ${machineLoad()}`,
    );
    for (let run = 0; run < RUNS; run++) {
      for (const target of run % 2 === 0 ? targets : [...targets].reverse()) {
        const small = client(target.runner);
        const t0 = now();
        let done = false;
        const burst = Promise.all(Array.from({ length: BURST }, () => sendLarge(target.runner.address, t0))).finally(() => {
          done = true;
        });
        while (!done) {
          const s0 = now();
          await small.getExecution({ execId: target.execId });
          target.small.push(now() - s0);
          await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
        }
        target.burst.push(Math.max(...(await burst)));
      }
    }
    for (const { name, small, burst } of targets) {
      console.log(
        `  ${name}: small calls p50 ${median(small).toFixed(0)} ms, max ${quantile(small, 1).toFixed(0)} ms; ` +
          `burst refused in ${median(burst).toFixed(0)} ms (median of ${RUNS} bursts)`,
      );
    }
    const [mine, base] = targets;
    if (mine && base) {
      console.log(
        `  ratio (baseline / this checkout): small-call p50 ${(median(base.small) / median(mine.small)).toFixed(1)}x, max ${(quantile(base.small, 1) / quantile(mine.small, 1)).toFixed(1)}x, ` +
          `burst ${(median(base.burst) / median(mine.burst)).toFixed(1)}x`,
      );
    }
    console.log(`  ${machineLoad()}`);
  } finally {
    for (const session of sessions) session.abort();
    for (const target of targets) await target.runner.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
