import path from "node:path";
import { runServiceProcess } from "../../transport/src/service-process.ts";
import { RunnerConfigSchema, runnerSettings, type RunnerConfig } from "./config.ts";
import { FlowRegistry } from "./engine/flow-registry.ts";
import { startRunner } from "./runner-server.ts";
import type { ExecutionStore } from "./store/execution-store.ts";
import { MongoExecutionStore } from "./store/mongo-execution-store.ts";
import { SqliteExecutionStore } from "./store/sqlite-execution-store.ts";

const HELP = `Usage: kitaru runner --flows <module> [options]

Runs flows durably: serves kitaru.runner.v1.RunnerService over gRPC and
executes executions kept in an embedded SQLite file (one machine; several
runner processes may share it) or, given a MongoDB URI, in MongoDB.

Options (flag, environment variable, default):
  --flows <path>          KITARU_FLOWS            module exporting flow(...) objects (required)
  --host <host>           KITARU_RUNNER_HOST      127.0.0.1 (0.0.0.0 to accept remote calls)
  --port <port>           KITARU_RUNNER_PORT      50051
  --db-path <file>        KITARU_DB_PATH          .kitaru/kitaru.db (embedded store; relative to the working directory)
  --mongodb-uri <uri>     MONGODB_URI             unset: the embedded store; set: MongoDB, and --db-path is ignored
  --database <name>       KITARU_DATABASE         kitaru (MongoDB only)
  --lease-ttl-ms <ms>     KITARU_LEASE_TTL_MS     15000
  --heartbeat-ms <ms>     KITARU_HEARTBEAT_MS     3000
  --poll-ms <ms>          KITARU_POLL_MS          250
  --max-concurrent <n>    KITARU_MAX_CONCURRENT   64
  -h, --help
`;

/** Opens the store the configuration asks for: MongoDB when a URI is given, else the embedded SQLite file. */
async function openStore(config: RunnerConfig): Promise<{ store: ExecutionStore; description: string }> {
  if (config.mongodbUri !== undefined) {
    const store = await MongoExecutionStore.connect({ uri: config.mongodbUri, database: config.database });
    const where = config.mongodbUri.replace(/\/\/[^@/]*@/, "//***@"); // no credentials in logs
    return { store, description: `MongoDB database '${config.database}' at ${where}` };
  }
  const store = await SqliteExecutionStore.open({ path: path.resolve(config.dbPath) });
  return { store, description: `embedded SQLite store ${store.path}` };
}

/** `kitaru runner ...`: starts a runner and serves until SIGINT/SIGTERM, then hands its executions back. */
export async function main(argv: readonly string[]): Promise<void> {
  await runServiceProcess(argv, {
    name: "runner",
    help: HELP,
    schema: RunnerConfigSchema,
    settings: runnerSettings,
    async start(config, log) {
      const flows = await FlowRegistry.fromModule(config.flows);
      const { store, description } = await openStore(config);
      log(`store: ${description}`);
      const runner = await startRunner({
        store,
        flows,
        host: config.host,
        port: config.port,
        scheduler: {
          leaseTtlMs: config.leaseTtlMs,
          heartbeatMs: config.heartbeatMs,
          pollMs: config.pollMs,
          maxConcurrent: config.maxConcurrent,
        },
      });
      log(`runner ${runner.runnerId} serving kitaru.runner.v1.RunnerService on ${runner.address} (flows: ${flows.names.join(", ")})`);
      return {
        async stop() {
          log("handing running executions back");
          await runner.stop();
          await store.close();
        },
      };
    },
  });
}
