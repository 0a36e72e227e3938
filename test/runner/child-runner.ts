/**
 * A real `kitaru runner` in a child process, for tests that kill it.
 *
 * @module
 */
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import type { TestDatabase } from "../support/database.ts";
import { startChildService, type ChildService, type ChildServiceOptions } from "../support/child-service.ts";
import { testScheduler } from "../support/runner-env.ts";

/** A runner process and a client connected to it. */
export interface ChildRunner extends ChildService {
  readonly client: Client<typeof RunnerService>;
  /** Closes the client connection. */
  close(): void;
}

/**
 * Starts `node bin/kitaru.mjs runner --flows <flowsModule> ...` on the test
 * database `db` (its SQLite file or MongoDB database) with the tests' fast
 * timing (lease `leaseTtlMs`, default 1500 ms), and resolves once it prints
 * its address. `args` are further runner flags.
 */
export async function startChildRunner(
  options: { flowsModule: string; db: Pick<TestDatabase, "runnerArgs">; leaseTtlMs?: number; args?: readonly string[] } & ChildServiceOptions,
): Promise<ChildRunner> {
  const args = [
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
    ...(options.args ?? []),
  ];
  const child = await startChildService("runner", args, options);
  const session = new Http2SessionManager(`http://${child.address}`);
  return {
    ...child,
    client: createClient(RunnerService, createGrpcTransport({ baseUrl: `http://${child.address}`, sessionManager: session })),
    close: () => session.abort(),
  };
}
