/**
 * A real `kitaru planner` in a child process, for tests that kill it.
 *
 * @module
 */
import type { Client } from "@connectrpc/connect";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { startChildService, type ChildService, type ChildServiceOptions } from "./child-service.ts";
import { ClientSessions } from "./grpc-clients.ts";

/** A planner process and a client connected to it. */
export interface ChildPlanner extends ChildService {
  readonly client: Client<typeof PlannerService>;
  /** Closes the client connection. */
  close(): void;
}

/**
 * Starts `node bin/kitaru.mjs planner --runner-url <runnerUrl> --port <port>`
 * (default port 0) and resolves once it prints its address. `args` are
 * further planner flags.
 */
export async function startChildPlanner(options: { runnerUrl: string; port?: number; args?: readonly string[] } & ChildServiceOptions): Promise<ChildPlanner> {
  const args = ["--runner-url", options.runnerUrl, "--port", String(options.port ?? 0), ...(options.args ?? [])];
  const child = await startChildService("planner", args, options);
  const clients = new ClientSessions();
  return {
    ...child,
    client: clients.client(PlannerService, child.address),
    close: () => clients.close(),
  };
}
