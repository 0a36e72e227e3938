import type { ServerCredentials } from "@grpc/grpc-js";
import { RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { authenticate, isHealthMethod, type TokenRegistry } from "../../transport/src/auth.ts";
import {
  createHealthService,
  createReflectionServices,
  defineService,
  HealthStatus,
  serviceLogger,
  startGrpcServer,
  type Interceptor,
  type TransportLogger,
} from "../../transport/src/index.ts";
import type { FlowRegistry } from "./engine/flow-registry.ts";
import { newRunnerId } from "./engine/ids.ts";
import { defaultSchedulerOptions, type SchedulerOptions } from "./engine/scheduler.ts";
import { RunnerEngine } from "./engine/runner-engine.ts";
import { databaseErrors, observeCallErrors } from "./server/database-errors.ts";
import { DatabaseMonitor, failFastWhileDatabaseDown } from "./server/database-monitor.ts";
import { DiskFullWatch } from "./server/disk-full-watch.ts";
import { runnerInternalServiceHandlers } from "./server/runner-internal-service.ts";
import { runnerServiceHandlers } from "./server/runner-service.ts";
import type { ExecutionStore } from "./store/execution-store.ts";

/** Options of {@link startRunner}. */
export interface StartRunnerOptions {
  readonly store: ExecutionStore;
  readonly flows: FlowRegistry;
  /** Default `DEFAULT_HOST` (loopback). */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  readonly scheduler?: Partial<SchedulerOptions>;
  /** The tokens callers must present; undefined turns authentication off. */
  readonly tokens?: TokenRegistry | undefined;
  /** TLS; default plaintext. */
  readonly credentials?: ServerCredentials | undefined;
  /** How often the database is pinged for health; default 2000 ms. */
  readonly databaseCheckMs?: number;
  /** How often a database outage is logged again, and the store asked to reconnect if stuck; default 10000 ms. */
  readonly databaseStillDownMs?: number;
  readonly logger?: TransportLogger;
}

/** A running runner: engine plus gRPC server. */
export interface RunningRunner {
  readonly engine: RunnerEngine;
  readonly runnerId: string;
  readonly port: number;
  /** "host:port". */
  readonly address: string;
  /** Stops serving, hands running executions back, and leaves the store open (its owner closes it). */
  stop(): Promise<void>;
}

/** Starts the runner engine and serves RunnerService, health and reflection over gRPC. */
export async function startRunner(options: StartRunnerOptions): Promise<RunningRunner> {
  const logger = options.logger ?? serviceLogger("runner");
  const runnerId = options.scheduler?.runnerId ?? newRunnerId();
  const health = new HealthStatus({ "": "SERVING", [RunnerService.typeName]: "SERVING" });
  // SERVING while the database answers and takes writes.
  const updateHealth = () => {
    const serving = database.outage === undefined && diskFull.state === undefined ? "SERVING" : "NOT_SERVING";
    health.set("", serving);
    health.set(RunnerService.typeName, serving);
  };
  const database = new DatabaseMonitor({
    ping: () => options.store.ping(),
    watch: options.store.watchAvailability?.bind(options.store),
    intervalMs: options.databaseCheckMs ?? 2000,
    onChange(outage) {
      updateHealth();
      if (outage) logger.error("the database cannot be reached: health is NOT_SERVING, calls fail with UNAVAILABLE", { reason: outage.reason });
      else logger.info?.("the database answers again: health is SERVING");
    },
    onStillDown(outage, latestReason) {
      const seconds = Math.round((Date.now() - outage.since.getTime()) / 1000);
      logger.warn(`the database still cannot be reached after ${seconds} s: health is NOT_SERVING`, {
        reason: latestReason,
        ...(options.store.describeConnection ? { driver: options.store.describeConnection() } : {}),
      });
    },
    reconnect: options.store.reconnectIfStuck?.bind(options.store),
    onReconnect: (what) => logger.warn(what, {}),
    stillDownEveryMs: options.databaseStillDownMs ?? 10_000,
  });
  const diskFull = new DiskFullWatch({
    checkWritable: () => options.store.checkWritable(),
    intervalMs: options.databaseCheckMs ?? 2000,
    onChange(full, ended) {
      updateHealth();
      if (full) {
        logger.error(
          "the database's disk is full: writes fail, running executions wait; health is NOT_SERVING until a write goes through again (failed writes are counted, not logged)",
          { reason: full.reason },
        );
      } else if (ended) {
        const seconds = Math.round((Date.now() - ended.since.getTime()) / 100) / 10;
        logger.info?.(`the database takes writes again after ${seconds} s with a full disk (${ended.failedWrites} writes failed meanwhile): health is SERVING`);
      }
    },
  });
  const engine = new RunnerEngine({
    store: options.store,
    flows: options.flows,
    scheduler: { ...defaultSchedulerOptions, ...options.scheduler, runnerId },
    onError: (message, error) => {
      if (diskFull.report(error)) return; // said once, then counted
      logger.error(message, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    },
    onInfo: (message) => logger.info?.(message),
  });
  const services = [
    defineService(RunnerService, runnerServiceHandlers(engine)),
    defineService(RunnerInternalService, runnerInternalServiceHandlers(engine)),
    createHealthService(health),
  ];
  const server = await startGrpcServer({
    host: options.host,
    port: options.port ?? 0,
    logger,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    interceptors: [
      authenticate({ tokens: options.tokens, exempt: isHealthMethod, serviceOnly: (method) => method.parent.typeName === RunnerInternalService.typeName }),
      failFastOnDatabaseServices(database),
      observeCallErrors((error) => diskFull.report(error)),
      databaseErrors,
    ],
    services: [...services, ...createReflectionServices(services.map((s) => s.service))],
  });
  engine.start();
  database.start();
  let stopping: Promise<void> | undefined;
  return {
    engine,
    runnerId,
    port: server.port,
    address: server.address,
    stop: () =>
      (stopping ??= (async () => {
        database.stop();
        diskFull.stop();
        health.set("", "NOT_SERVING");
        health.set(RunnerService.typeName, "NOT_SERVING");
        await engine.stop();
        await server.shutdown();
      })()),
  };
}

/** Services whose calls need the database. */
const DATABASE_SERVICES: ReadonlySet<string> = new Set([RunnerService.typeName, RunnerInternalService.typeName]);

/** Fails calls that need the database fast while it is down; health and reflection do not need it. */
function failFastOnDatabaseServices(database: DatabaseMonitor): Interceptor {
  const failFast = failFastWhileDatabaseDown(database);
  return (next) => {
    const guarded = failFast(next);
    return (input, ctx) => (DATABASE_SERVICES.has(ctx.method.parent.typeName) ? guarded(input, ctx) : next(input, ctx));
  };
}
