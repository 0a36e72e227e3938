/// <reference lib="esnext.disposable" preserve="true" />
/**
 * `KitaruClient`: the typed client of the runner and planner services.
 *
 * @module
 */
import { createClient } from "@connectrpc/connect";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { openGrpcConnection, resolveConnection, type GrpcConnection, type KitaruClientOptions } from "./connection.ts";
import { ExecutionsClient } from "./executions.ts";
import { FlowsClient } from "./flows.ts";
import { ReplayJobsClient } from "./replay-jobs.ts";

/**
 * A connection to a kitaru runner and planner, over gRPC on HTTP/2.
 *
 * URLs default to `KITARU_RUNNER_URL`/`KITARU_PLANNER_URL`, then
 * `http://127.0.0.1:50051`/`:50052`. Connections open on the first call.
 * Close the client when done (`close()` or `await using`), or in-flight
 * HTTP/2 sessions keep the process alive.
 *
 * @example
 * ```ts
 * await using client = new KitaruClient();
 * const replayed = await client.executions.replay("kr-a8f3c2", { from: "write_draft" });
 * console.log(replayed.execId, replayed.originalExecId);
 * ```
 */
export class KitaruClient implements AsyncDisposable {
  /** Read, steer and replay executions. */
  readonly executions: ExecutionsClient;
  /** Start executions of registered flows. */
  readonly flows: FlowsClient;
  /** Replay many executions at once and compare the results. */
  readonly replayJobs: ReplayJobsClient;
  /** The RunnerService base URL in use. */
  readonly runnerUrl: string;
  /** The PlannerService base URL in use. */
  readonly plannerUrl: string;
  readonly #connections: readonly GrpcConnection[];

  constructor(options: KitaruClientOptions = {}) {
    const resolved = resolveConnection(options);
    this.runnerUrl = resolved.runnerUrl;
    this.plannerUrl = resolved.plannerUrl;
    const runner = openGrpcConnection("runner", resolved.runnerUrl, resolved.token, resolved.tls);
    const planner = openGrpcConnection("planner", resolved.plannerUrl, resolved.token, resolved.tls);
    this.#connections = [runner, planner];
    const runnerClient = createClient(RunnerService, runner.transport);
    const plannerClient = createClient(PlannerService, planner.transport);
    this.executions = new ExecutionsClient(runnerClient, plannerClient);
    this.replayJobs = new ReplayJobsClient(plannerClient);
    this.flows = new FlowsClient(runnerClient, this.executions);
  }

  /** Closes both HTTP/2 sessions; calls still in flight fail. Safe to call twice. */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.close();
  }

  /** Same as {@link KitaruClient.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
