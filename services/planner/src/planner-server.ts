import type { ServerCredentials } from "@grpc/grpc-js";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { authenticate, isHealthMethod, type TokenRegistry } from "../../transport/src/auth.ts";
import {
  createHealthService,
  createReflectionServices,
  defineService,
  HealthStatus,
  serviceLogger,
  startGrpcServer,
  type TransportLogger,
} from "../../transport/src/index.ts";
import { plannerServiceHandlers } from "./server/planner-service.ts";
import { ReplayJobs } from "./server/replay-jobs.ts";
import { RunnerClient, type RunnerConnectionOptions } from "./server/runner-client.ts";

/** The cap on every call to the runner when none is given (`--runner-timeout-ms`). */
export const DEFAULT_RUNNER_TIMEOUT_MS = 10_000;

/** Options of {@link startPlanner}. */
export interface StartPlannerOptions {
  /** The runner's URL, e.g. "http://127.0.0.1:50051". */
  readonly runnerUrl: string;
  /** Default `DEFAULT_HOST` (loopback). */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Upper bound of every call to the runner, in milliseconds; default {@link DEFAULT_RUNNER_TIMEOUT_MS}. */
  readonly runnerTimeoutMs?: number;
  /** How the planner authenticates to the runner, and trusts its certificate. */
  readonly runnerConnection?: Omit<RunnerConnectionOptions, "runnerUrl" | "timeoutMs">;
  /** The tokens callers must present; undefined turns authentication off. */
  readonly tokens?: TokenRegistry | undefined;
  /** TLS; default plaintext. */
  readonly credentials?: ServerCredentials | undefined;
  readonly logger?: TransportLogger;
  /** Replays of one job running at once when the job does not say; default `DEFAULT_REPLAY_JOB_CONCURRENCY`. */
  readonly replayJobConcurrency?: number | undefined;
}

/** A running planner. */
export interface RunningPlanner {
  readonly port: number;
  /** "host:port". */
  readonly address: string;
  /** The runner's health now; a `KitaruBackendError` naming `--runner-url` when no runner answers at its URL. */
  checkRunner(): Promise<"SERVING" | "NOT_SERVING">;
  /**
   * Checks the runner every `intervalMs` (default 2000) until it answers,
   * in the background: after a warning at start, the log then says
   * `the runner at <url> answers` without waiting for a replay. Stops with
   * the planner.
   */
  watchRunner(intervalMs?: number): void;
  stop(): Promise<void>;
}

/** Serves PlannerService, health and reflection over gRPC, calling the runner at `runnerUrl`. */
export async function startPlanner(options: StartPlannerOptions): Promise<RunningPlanner> {
  const logger = options.logger ?? serviceLogger("planner");
  const runner = new RunnerClient({
    ...options.runnerConnection,
    runnerUrl: options.runnerUrl,
    timeoutMs: options.runnerTimeoutMs ?? DEFAULT_RUNNER_TIMEOUT_MS,
    onConnectionProblem: (message) => logger.warn(`warning: ${message}`, {}),
    onRunnerAnswers: (message) => logger.info?.(message),
  });
  const health = new HealthStatus({ "": "SERVING", [PlannerService.typeName]: "SERVING" });
  const jobs = new ReplayJobs({
    runner,
    concurrency: options.replayJobConcurrency,
    onError: (message, error) => logger.warn(`warning: ${message}: ${(error as Error)?.message ?? String(error)}`, {}),
  });
  const services = [defineService(PlannerService, plannerServiceHandlers(runner, jobs)), createHealthService(health)];
  const server = await startGrpcServer({
    host: options.host,
    port: options.port ?? 0,
    logger,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    interceptors: [authenticate({ tokens: options.tokens, exempt: isHealthMethod })],
    services: [...services, ...createReflectionServices(services.map((s) => s.service))],
  });
  let stopping: Promise<void> | undefined;
  let watch: NodeJS.Timeout | undefined;
  // Unfinished jobs resume now, or as soon as the runner serves (it may start after the planner).
  // Waiting for it says nothing: what is wrong is logged at start (main.ts) and by the calls that fail.
  const resume = async (delayMs: number): Promise<void> => {
    if (stopping !== undefined) return;
    try {
      if (await runner.runnerServes()) {
        const count = await jobs.resumeUnfinished();
        if (count > 0) logger.info?.(`resumed ${count} unfinished replay job${count === 1 ? "" : "s"}`);
        return;
      }
    } catch {
      // the runner went away meanwhile: asked again below
    }
    setTimeout(() => void resume(Math.min(delayMs * 2, 5000)), delayMs).unref();
  };
  void resume(250);
  return {
    port: server.port,
    address: server.address,
    checkRunner: () => runner.checkRunner(),
    watchRunner(intervalMs = 2000) {
      const again = () => {
        watch = setTimeout(() => {
          if (stopping === undefined) void runner.checkRunner().catch(again);
        }, intervalMs);
        watch.unref();
      };
      again();
    },
    stop: () =>
      (stopping ??= (async () => {
        clearTimeout(watch);
        health.setAll("NOT_SERVING");
        await server.shutdown();
        await jobs.stop();
        runner.close();
      })()),
  };
}
