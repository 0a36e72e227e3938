import { readFileSync } from "node:fs";
import { KitaruUsageError } from "../../../clients/ts/src/errors/index.ts";
import { runServiceProcess } from "../../transport/src/service-process.ts";
import { serverSecurity } from "../../transport/src/server-security.ts";
import { PlannerConfigSchema, plannerSettings } from "./config.ts";
import { startPlanner } from "./planner-server.ts";

const HELP = `Usage: kitaru planner [options]

Plans replays: serves kitaru.planner.v1.PlannerService over gRPC and starts
replayed executions on the runner.

Options (flag, environment variable, default):
  --host <host>               KITARU_PLANNER_HOST       127.0.0.1 (0.0.0.0 to accept remote calls: needs tokens)
  --port <port>               KITARU_PLANNER_PORT       50052
  --runner-url <url>          KITARU_RUNNER_URL         http://127.0.0.1:50051 (https:// for TLS)
  --runner-timeout-ms <ms>    KITARU_RUNNER_TIMEOUT_MS  10000 (cap on every call to the runner)
  --runner-token <token>      KITARU_RUNNER_TOKEN       the planner's service token for the runner
  --runner-ca <file>          KITARU_RUNNER_CA          CA of the runner's certificate (default: system CAs)
  --runner-client-cert <file> KITARU_RUNNER_CLIENT_CERT client certificate for a runner requiring mTLS
  --runner-client-key <file>  KITARU_RUNNER_CLIENT_KEY  its key
  --tokens <list>             KITARU_TOKENS             accepted tokens: namespace=token,... (unset: no authentication)
  --tokens-file <file>        KITARU_TOKENS_FILE        accepted tokens, one 'namespace token' per line
  --tls-cert <file>           KITARU_TLS_CERT           serve TLS with this certificate (PEM)
  --tls-key <file>            KITARU_TLS_KEY            and this key
  --tls-client-ca <file>      KITARU_TLS_CLIENT_CA      require client certificates signed by this CA (mTLS)
  --allow-unauthenticated     KITARU_ALLOW_UNAUTHENTICATED  listen beyond loopback without tokens (a proxy authenticates)
  -h, --help
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
    settings: plannerSettings,
    async start(config, log) {
      const security = serverSecurity(config, config.host);
      const planner = await startPlanner({
        runnerUrl: config.runnerUrl,
        host: config.host,
        port: config.port,
        runnerTimeoutMs: config.runnerTimeoutMs,
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
      return planner;
    },
  });
}
