import { readFileSync } from "node:fs";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { runServiceProcess } from "../../transport/src/service-process.ts";
import { serverSecurity } from "../../transport/src/server-security.ts";
import { PlannerConfigSchema, plannerSettings } from "./config.ts";
import { startPlanner } from "./planner-server.ts";

const HELP = `Usage: kitaru planner [options]

Plans replays: serves kitaru.planner.v1.PlannerService over gRPC and starts
replayed executions on the runner.

${plannerSettings.helpOptions()}
`;

function readPem(path: string | undefined, setting: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new KitaruUsageError(`${setting}: cannot read '${path}': ${(error as Error).message}`);
  }
}

/** `kitaru planner ...`: starts a planner and serves until SIGINT/SIGTERM. */
export async function main(argv: readonly string[]): Promise<void> {
  await runServiceProcess(argv, {
    name: "planner",
    help: HELP,
    schema: PlannerConfigSchema,
    settings: plannerSettings.sources,
    async start(config, log) {
      const security = serverSecurity(config, config.host);
      const planner = await startPlanner({
        runnerUrl: config.runnerUrl,
        host: config.host,
        port: config.port,
        runnerTimeoutMs: config.runnerTimeoutMs,
        replayJobConcurrency: config.replayJobConcurrency,
        tokens: security.tokens,
        credentials: security.credentials,
        runnerConnection: {
          token: config.runnerToken,
          ca: readPem(config.runnerCa, "--runner-ca / KITARU_RUNNER_CA"),
          clientCert: readPem(config.runnerClientCert, "--runner-client-cert / KITARU_RUNNER_CLIENT_CERT"),
          clientKey: readPem(config.runnerClientKey, "--runner-client-key / KITARU_RUNNER_CLIENT_KEY"),
        },
      });
      for (const note of security.notes) log(note);
      log(`serving kitaru.planner.v1.PlannerService on ${security.scheme}://${planner.address} (runner ${config.runnerUrl})`);
      // Not fatal: the planner may start before the runner. Said now rather than at the first replay.
      void planner.checkRunner().then(
        (status) =>
          log(
            status === "SERVING"
              ? `the runner at ${config.runnerUrl} answers`
              : `the runner at ${config.runnerUrl} answers NOT_SERVING (its database cannot be reached)`,
          ),
        (error: Error) => {
          log(`warning: ${error.message} Replays fail with UNAVAILABLE until a runner answers there.`);
          planner.watchRunner(); // logs "the runner at <url> answers" once it does
        },
      );
      return planner;
    },
  });
}
