import path from "node:path";
import { serverSecurity } from "../../transport/src/server-security.ts";
import { runServiceProcess } from "../../transport/src/service-process.ts";
import { RunnerConfigSchema, runnerSettings, type RunnerConfig } from "./config.ts";
import { loadFlowsModule } from "./flows-module.ts";
import { startRunner } from "./runner-server.ts";
import { explainSqliteOpenError, explainStoreConnectError } from "./store-setup-errors.ts";
import type { ExecutionStore } from "./store/execution-store.ts";
import { MongoExecutionStore } from "./store/mongo-execution-store.ts";

const HELP = `Usage: kitaru runner --flows <module> [options]

Runs flows durably: serves kitaru.runner.v1.RunnerService over gRPC and
executes executions kept in an embedded SQLite file (one machine; several
runner processes may share it) or, given a MongoDB URI, in MongoDB.

${runnerSettings.helpOptions()}
`;

/** Opens the store the configuration asks for: MongoDB when a URI is given, else the embedded SQLite file. */
async function openStore(config: RunnerConfig): Promise<{ store: ExecutionStore; description: string }> {
  if (config.mongodbUri !== undefined) {
    const store = await MongoExecutionStore.connect({ uri: config.mongodbUri, database: config.database }).catch((error: unknown) => {
      throw explainStoreConnectError(error);
    });
    const where = config.mongodbUri.replace(/\/\/[^@/]*@/, "//***@"); // no credentials in logs
    return { store, description: `MongoDB database '${config.database}' at ${where}` };
  }
  // Imported here: a runner on MongoDB never loads the native SQLite module.
  const { SqliteExecutionStore } = await import("./store/sqlite-execution-store.ts");
  const store = await SqliteExecutionStore.open({ path: path.resolve(config.dbPath) }).catch((error: unknown) => {
    throw explainSqliteOpenError(error);
  });
  return { store, description: `embedded SQLite store ${store.path}` };
}

/** `kitaru runner ...`: starts a runner and serves until SIGINT/SIGTERM, then hands its executions back. */
export async function main(argv: readonly string[]): Promise<void> {
  await runServiceProcess(argv, {
    name: "runner",
    help: HELP,
    schema: RunnerConfigSchema,
    settings: runnerSettings.sources,
    async start(config, log) {
      const security = serverSecurity(config, config.host);
      const flows = await loadFlowsModule(config.flows, { flowVersion: config.flowVersion });
      const { store, description } = await openStore(config);
      log(`store: ${description}`);
      const runner = await startRunner({
        store,
        flows,
        host: config.host,
        port: config.port,
        tokens: security.tokens,
        credentials: security.credentials,
        scheduler: {
          leaseTtlMs: config.leaseTtlMs,
          heartbeatMs: config.heartbeatMs,
          pollMs: config.pollMs,
          maxConcurrent: config.maxConcurrent,
          onResumeDivergence: config.onResumeDivergence,
        },
      });
      for (const note of security.notes) log(note);
      log(`flow version ${flows.version} (${flows.versionSource}); on a divergence from another version's record: ${config.onResumeDivergence}`);
      log(`runner ${runner.runnerId} serving kitaru.runner.v1.RunnerService on ${security.scheme}://${runner.address} (flows: ${flows.names.join(", ")})`);
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
