import path from "node:path";
import { fileURLToPath } from "node:url";
import { runServiceProcess } from "../../transport/src/service-process.ts";
import { RunnerConfigSchema, runnerSettings } from "./config.ts";
import { FlowRegistry } from "./engine/flow-registry.ts";
import { startRunner } from "./runner-server.ts";
import { MongoExecutionStore } from "./store/mongo-execution-store.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const HELP = `Usage: kitaru runner --flows <module> [options]

Runs flows durably: serves kitaru.runner.v1.RunnerService over gRPC and
executes executions stored in MongoDB.

Options (flag, environment variable, default):
  --flows <path>          KITARU_FLOWS            module exporting flow(...) objects (required)
  --host <host>           KITARU_RUNNER_HOST      127.0.0.1 (0.0.0.0 to accept remote calls)
  --port <port>           KITARU_RUNNER_PORT      50051
  --mongodb-uri <uri>     MONGODB_URI             unset: a local FerretDB in .cache/kitaru-data
  --database <name>       KITARU_DATABASE         kitaru
  --lease-ttl-ms <ms>     KITARU_LEASE_TTL_MS     15000
  --heartbeat-ms <ms>     KITARU_HEARTBEAT_MS     3000
  --poll-ms <ms>          KITARU_POLL_MS          250
  --max-concurrent <n>    KITARU_MAX_CONCURRENT   64
  -h, --help
`;

/** `kitaru runner ...`: starts a runner and serves until SIGINT/SIGTERM, then hands its executions back. */
export async function main(argv: readonly string[]): Promise<void> {
  await runServiceProcess(argv, {
    name: "runner",
    help: HELP,
    schema: RunnerConfigSchema,
    settings: runnerSettings,
    async start(config, log) {
      let localDatabase: { uri: string; stop(): Promise<void> } | undefined;
      let uri = config.mongodbUri;
      if (uri === undefined) {
        const { startFerretDB } = await import("../../../scripts/ferretdb/start.mjs");
        localDatabase = await startFerretDB({ dataDir: path.join(REPO_ROOT, ".cache", "kitaru-data") });
        uri = localDatabase.uri;
        log(`MONGODB_URI is not set: started a local FerretDB at ${uri} (data in .cache/kitaru-data)`);
      }
      const flows = await FlowRegistry.fromModule(config.flows);
      const store = await MongoExecutionStore.connect({ uri, database: config.database });
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
      log(`runner ${runner.runnerId} serving kitaru.runner.v1.RunnerService on ${runner.address} (database '${config.database}'; flows: ${flows.names.join(", ")})`);
      return {
        async stop() {
          log("handing running executions back");
          await runner.stop();
          await store.close();
          await localDatabase?.stop();
        },
      };
    },
  });
}
