import type { Client } from "@connectrpc/connect";
import { RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { FlowRegistry, type RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import type { SchedulerOptions } from "../../services/runner/src/engine/scheduler.ts";
import { startRunner, type RunningRunner } from "../../services/runner/src/runner-server.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { testDatabase, type TestDatabase } from "./database.ts";
import { ClientSessions } from "./grpc-clients.ts";
import { testLogger } from "./test-logger.ts";

/** Fast timing for tests: short leases so takeovers happen within a second or two. */
export const testScheduler: Partial<SchedulerOptions> = { leaseTtlMs: 1500, heartbeatMs: 300, pollMs: 50 };

/** A runner on a fresh database, and a raw RunnerService client talking to it over gRPC. */
export interface RunnerEnv {
  /** Where the executions are: an SQLite file or a MongoDB database, as `KITARU_TEST_STORE` chose. */
  readonly db: TestDatabase;
  /** The database's name: `createRunnerEnv(flows, {}, { database })` opens it again. */
  readonly database: string;
  readonly store: ExecutionStore;
  readonly runner: RunningRunner;
  readonly client: Client<typeof RunnerService>;
  /** A raw client of the runner's internal service (what the planner calls). */
  readonly internalClient: Client<typeof RunnerInternalService>;
  /** Opens another client on its own HTTP/2 connection (closed by teardown). */
  newClient(): Client<typeof RunnerService>;
  /** Starts another runner on the same database. */
  startAnotherRunner(): Promise<RunningRunner>;
  /** Stops the runners, closes the store and deletes the database, unless `keepDatabase` (another env opens it next). */
  teardown(options?: { keepDatabase?: boolean }): Promise<void>;
}

/** Options of {@link createRunnerEnv}. */
export interface RunnerEnvOptions {
  /** Open this database again instead of a fresh one. */
  readonly database?: string;
  /** The flow version the runner serves (default: the registry's `unversioned`). */
  readonly flowVersion?: string;
}

/** Starts a runner with `flows` on a fresh test database (or the named one, again). */
export async function createRunnerEnv(
  flows: readonly RegisteredFlow[],
  scheduler: Partial<SchedulerOptions> = {},
  options: RunnerEnvOptions = {},
): Promise<RunnerEnv> {
  const db = await testDatabase(options.database);
  const store = await db.open();
  const registry = new FlowRegistry(flows, { version: options.flowVersion });
  const runner = await startRunner({ store, flows: registry, scheduler: { ...testScheduler, ...scheduler }, ...testLogger() });
  const clients = new ClientSessions();
  const runners: RunningRunner[] = [runner];
  const newClient = () => clients.client(RunnerService, runner.address);
  return {
    db,
    database: db.name,
    store,
    runner,
    client: newClient(),
    internalClient: clients.client(RunnerInternalService, runner.address),
    newClient,
    async startAnotherRunner() {
      const another = await startRunner({ store, flows: registry, scheduler: { ...testScheduler, ...scheduler }, ...testLogger() });
      runners.push(another);
      return another;
    },
    async teardown(teardownOptions = {}) {
      clients.close();
      await Promise.all(runners.map((r) => r.stop()));
      await store.close();
      if (!teardownOptions.keepDatabase) db.remove();
    },
  };
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
