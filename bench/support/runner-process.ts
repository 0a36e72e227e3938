/**
 * Runner processes for the benches: each a separate OS process running
 * runner-child.ts on a shared embedded store file, with a RunnerService
 * client of it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";

/** What a runner process saw since its last `reset`. */
export interface RunnerStats {
  /** CPU time of the process (user + system). */
  readonly cpuMs: number;
  /**
   * Time its event loop was busy (`performance.eventLoopUtilization`): CPU
   * plus time blocked in synchronous calls, such as better-sqlite3 waiting
   * for a commit's fsync.
   */
  readonly busyMs: number;
  readonly wallMs: number;
  /** Garbage collection pauses (all kinds), and how many were major (mark-compact) ones. */
  readonly gcMs: number;
  readonly majorGcs: number;
  /** Per store method: calls, and the time spent inside them before they returned (synchronous SQLite work, commit fsync and waits for another process's write lock included). */
  readonly storeCalls: Readonly<Record<string, { readonly calls: number; readonly syncMs: number }>>;
  /** Executions this runner claimed, and how many of them another runner had been asked to start. */
  readonly claimed: number;
  readonly claimedFromOther: number;
  /** Executions this runner completed. */
  readonly completed: number;
  /** Lines its logger received: errors, warnings, and run outcomes other than completed. */
  readonly errors: string[];
  readonly warnings: string[];
  readonly notes: string[];
}

/** A runner process started by {@link spawnRunner}. */
export interface RunnerProcess {
  readonly pid: number;
  readonly address: string;
  readonly runnerId: string;
  readonly client: Client<typeof RunnerService>;
  /** Zeroes its counters and CPU baseline. */
  reset(): void;
  stats(): Promise<RunnerStats>;
  /** Stops the runner (it hands running executions back), closes its store, exits; resolves with its final stats. */
  stop(): Promise<RunnerStats>;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "runner-child.ts");
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Starts `node --conditions=kitaru-source --import tsx runner-child.ts <where> [database]`
 * (the condition resolves `#gen/*` and `#contract/*` to the sources) and waits
 * until its runner serves: `where` is an SQLite file, or a `mongodb://` URI
 * with the `database` to use; `groupCommit: false` commits each write of the
 * embedded store on its own (the A/B baseline of group commit); `nodeArgs`
 * go to Node before the rest (e.g. `--cpu-prof`).
 */
export async function spawnRunner(
  where: string,
  database?: string,
  options: { groupCommit?: boolean; nodeArgs?: readonly string[] } = {},
): Promise<RunnerProcess> {
  const flags = options.groupCommit === false ? ["--no-group-commit"] : [];
  const args = [
    ...(options.nodeArgs ?? []),
    "--conditions=kitaru-source",
    "--import",
    "tsx",
    CHILD,
    where,
    ...(database === undefined ? [] : [database]),
    ...flags,
  ];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <K extends "ready" | "stats">(key: K): Promise<Record<K, unknown>[K]> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`runner process ${child.pid} exited (code ${child.exitCode}) before sending '${key}'`);
      if (!value.startsWith("{")) continue; // anything else the process printed
      const message = JSON.parse(value) as Record<string, unknown>;
      if (key in message) return message[key] as Record<K, unknown>[K];
    }
  };
  const ready = (await next("ready")) as { address: string; runnerId: string; pid: number };
  const session = new Http2SessionManager(`http://${ready.address}`);
  const client = createClient(RunnerService, createGrpcTransport({ baseUrl: `http://${ready.address}`, sessionManager: session }));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // One request at a time: the answers come back in order on one stdout.
  let queue: Promise<unknown> = Promise.resolve();
  const ask = (command: "stats" | "stop") => {
    const answer = queue.then(() => {
      child.stdin!.write(`${command}\n`);
      return next("stats") as Promise<RunnerStats>;
    });
    queue = answer.catch(() => undefined);
    return answer;
  };
  return {
    pid: ready.pid,
    address: ready.address,
    runnerId: ready.runnerId,
    client,
    reset: () => void child.stdin!.write("reset\n"),
    stats: () => ask("stats"),
    async stop() {
      session.abort();
      const final = await ask("stop");
      await exited;
      return final;
    },
  };
}
