import { isLoopback } from "../../transport/src/server-security.ts";
import { runServiceProcess } from "../../transport/src/service-process.ts";
import { ConsoleConfigSchema, consoleSettings } from "./config.ts";
import { startConsole } from "./console-server.ts";

const HELP = `Usage: kitaru console [options]

Serves the browser console: executions, their checkpoint graphs, waits,
replay plans drawn before they run, lineage and diffs. The page talks to the
runner and planner through this process (Connect protocol / gRPC-Web), with
the same powers as the CLI: keep it on localhost unless it is protected.

${consoleSettings.helpOptions()}
`;

/** `kitaru console ...`: serves the console until SIGINT/SIGTERM. */
export async function main(argv: readonly string[]): Promise<void> {
  await runServiceProcess(argv, {
    name: "console",
    help: HELP,
    schema: ConsoleConfigSchema,
    settings: consoleSettings.sources,
    async start(config, log) {
      if (!isLoopback(config.host)) {
        log(`warning: listening on ${config.host}: anyone who reaches this port can do what the console's token allows (see docs/security.md)`);
      }
      const running = await startConsole(config);
      log(`serving the console on ${running.url} (runner ${config.runnerUrl}, planner ${config.plannerUrl})`);
      return running;
    },
  });
}
