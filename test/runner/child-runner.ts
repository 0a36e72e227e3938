/**
 * A real `kitaru runner` in a child process, for tests that kill it.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import type { TestDatabase } from "../support/database.ts";
import { testScheduler } from "../support/runner-env.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** A runner process and a client connected to it. */
export interface ChildRunner {
  readonly process: ChildProcess;
  /** "host:port" it serves on (no scheme). */
  readonly address: string;
  readonly client: Client<typeof RunnerService>;
  /** Everything it wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resolves with how the process ended (already or later). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Closes the client connection. */
  close(): void;
}

/**
 * Starts `node bin/kitaru.mjs runner --flows <flowsModule> ...` on the test
 * database `db` (its SQLite file or MongoDB database) with the tests' fast
 * timing (lease `leaseTtlMs`, default 1500 ms), and resolves once it prints
 * its address.
 */
export async function startChildRunner(options: { flowsModule: string; db: Pick<TestDatabase, "runnerArgs">; leaseTtlMs?: number }): Promise<ChildRunner> {
  const args = [
    "bin/kitaru.mjs",
    "runner",
    "--flows",
    options.flowsModule,
    ...options.db.runnerArgs,
    "--port",
    "0",
    "--lease-ttl-ms",
    String(options.leaseTtlMs ?? testScheduler.leaseTtlMs),
    "--heartbeat-ms",
    String(testScheduler.heartbeatMs),
    "--poll-ms",
    String(testScheduler.pollMs),
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("the runner did not report its address within 60 s")), 60_000);
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n--- runner stderr ---\n${stderr}`));
    }
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => {
      stderr += text;
      // "... serving kitaru.runner.v1.RunnerService on http://127.0.0.1:41234 (flows: ...)": the address without its scheme.
      const match = /serving \S+ on (?:https?:\/\/)?(\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code, signal) => fail(new Error(`the runner exited early (code ${code}, signal ${signal})`)));
  });
  const session = new Http2SessionManager(`http://${address}`);
  return {
    process: child,
    address,
    client: createClient(RunnerService, createGrpcTransport({ baseUrl: `http://${address}`, sessionManager: session })),
    exited,
    stderr: () => stderr,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    close: () => session.abort(),
  };
}
