import { KitaruError } from "../../../clients/ts/src/errors/index.ts";
import { parseServiceCommand } from "../../transport/src/service-config.ts";
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
  let command;
  try {
    command = parseServiceCommand(argv, { schema: PlannerConfigSchema, settings: plannerSettings, help: HELP, env: process.env });
  } catch (error) {
    fail(KitaruError.isKitaruError(error) ? error.message : String(error));
  }
  if (command.kind === "help") {
    process.stdout.write(command.text);
    return;
  }
  const { config } = command;
  const planner = await startPlanner(config);
  log(`serving kitaru.planner.v1.PlannerService on ${planner.address} (runner ${config.runnerUrl})`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  log("shutting down");
  await planner.stop();
}

function log(message: string): void {
  process.stderr.write(`[kitaru planner] ${message}\n`);
}

function fail(message: string): never {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(2);
}
