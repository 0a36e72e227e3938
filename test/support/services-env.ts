import type { Client } from "@connectrpc/connect";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { ExecutionStatus, ExecutionView, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import { startPlanner, type RunningPlanner } from "../../services/planner/src/planner-server.ts";
import { ClientSessions } from "./grpc-clients.ts";
import { createRunnerEnv, eventually, type RunnerEnv, type RunnerEnvOptions } from "./runner-env.ts";
import { testLogger } from "./test-logger.ts";

/** Runner and planner on a fresh (or given) database, with raw clients of both. */
export interface ServicesEnv extends RunnerEnv {
  readonly planner: RunningPlanner;
  readonly plannerClient: Client<typeof PlannerService>;
}

/** Starts a runner with `flows` and a planner pointed at it. */
export async function createServicesEnv(flows: readonly RegisteredFlow[], options: RunnerEnvOptions = {}): Promise<ServicesEnv> {
  const runnerEnv = await createRunnerEnv(flows, {}, options);
  const planner = await startPlanner({ runnerUrl: `http://${runnerEnv.runner.address}`, ...testLogger() });
  const clients = new ClientSessions();
  const plannerClient = clients.client(PlannerService, planner.address);
  return {
    ...runnerEnv,
    planner,
    plannerClient,
    async teardown(teardownOptions) {
      clients.close();
      await planner.stop();
      await runnerEnv.teardown(teardownOptions);
    },
  };
}

/** The full view of `execId` once it has completed or failed (within 20 s). */
export function finishedExecution(env: RunnerEnv, execId: string): Promise<Execution> {
  return eventually(
    async () => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!,
    (e) => e.status === ExecutionStatus.COMPLETED || e.status === ExecutionStatus.FAILED,
    20_000,
  );
}
