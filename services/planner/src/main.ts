import { runServiceProcess } from "../../transport/src/service-process.ts";
import { PlannerConfigSchema, plannerSettings } from "./config.ts";
import { startPlanner } from "./planner-server.ts";

const HELP = `Usage: kitaru planner [options]

Plans replays: serves kitaru.planner.v1.PlannerService over gRPC and starts
replayed executions on the runner.

Options (flag, environment variable, default):
  --host <host>               KITARU_PLANNER_HOST       127.0.0.1 (0.0.0.0 to accept remote calls)
  --port <port>               KITARU_PLANNER_PORT       50052
  --runner-url <url>          KITARU_RUNNER_URL         http://127.0.0.1:50051
  --runner-timeout-ms <ms>    KITARU_RUNNER_TIMEOUT_MS  10000 (cap on every call to the runner)
  -h, --help
`;

/** `kitaru planner ...`: starts a planner and serves until SIGINT/SIGTERM. */
export async function main(argv: readonly string[]): Promise<void> {
  await runServiceProcess(argv, {
    name: "planner",
    help: HELP,
    schema: PlannerConfigSchema,
    settings: plannerSettings,
    async start(config, log) {
      const planner = await startPlanner(config);
      log(`serving kitaru.planner.v1.PlannerService on ${planner.address} (runner ${config.runnerUrl})`);
      return planner;
    },
  });
}
