/**
 * Runners a test crashes: `kitaru runner` processes it may SIGKILL (a real
 * crash: no `finally`, no shutdown hook, no hand-back) and in-process
 * runners that take their executions over, on test databases, with clients
 * of each. {@link KillableRunners.teardown} releases everything it started
 * or opened, so a failing test leaves nothing running.
 *
 * @module
 */
import type { Client } from "@connectrpc/connect";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { FlowRegistry, type RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import { startRunner, type RunningRunner } from "../../services/runner/src/runner-server.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { startChildService, type ChildService, type ChildServiceOptions } from "./child-service.ts";
import type { TestDatabase } from "./database.ts";
import { ClientSessions, type ClientOptions } from "./grpc-clients.ts";
import { testScheduler } from "./runner-env.ts";
import { testLogger } from "./test-logger.ts";

/** A runner process and a client connected to it. */
export interface ChildRunner extends ChildService {
  readonly client: Client<typeof RunnerService>;
  /** Closes the client connection. */
  close(): void;
}

/** Options of {@link startChildRunner}. */
export interface ChildRunnerOptions extends ChildServiceOptions {
  /** The flows module it serves (`--flows`). */
  readonly flowsModule: string;
  /** Where its executions are: the test database's runner flags. */
  readonly db: Pick<TestDatabase, "runnerArgs">;
  /** Its lease (default the tests' 1500 ms). */
  readonly leaseTtlMs?: number;
  /** `KITARU_CRASH_POINTS` for this process alone (docs/chaos.md); none armed when absent, whatever the test's environment says. */
  readonly crashPoints?: string;
  /** Further runner flags. */
  readonly args?: readonly string[];
}

/**
 * Starts `node bin/kitaru.mjs runner --flows <flowsModule> ...` on the test
 * database `db` (its SQLite file or MongoDB database) with the tests' fast
 * timing, and resolves once it prints its address.
 */
export async function startChildRunner(options: ChildRunnerOptions): Promise<ChildRunner> {
  const args = [
    "--flows",
    options.flowsModule,
    ...options.db.runnerArgs,
    "--port",
    "0",
    "--lease-ttl-ms",
    String(options.leaseTtlMs ?? testScheduler.leaseTtlMs),
    "--heartbeat-ms",
    String(testScheduler.heartbeatMs),
    "--poll-ms",
    String(testScheduler.pollMs),
    ...(options.args ?? []),
  ];
  const env = { ...options.env, KITARU_CRASH_POINTS: options.crashPoints || undefined };
  const child = await startChildService("runner", args, { ...options, env });
  const clients = new ClientSessions();
  return { ...child, client: clients.client(RunnerService, child.address), close: () => clients.close() };
}

/** Runner processes and in-process runners of one test file, released together. */
export class KillableRunners {
  readonly #flowsModule: string;
  readonly #flows: FlowRegistry;
  readonly #children: ChildRunner[] = [];
  readonly #runners: RunningRunner[] = [];
  readonly #stores: ExecutionStore[] = [];
  readonly #clients = new ClientSessions();

  /** `flowsModule` is what runner processes serve; `flows`, the same flows for in-process runners. */
  constructor(options: { readonly flowsModule: string; readonly flows?: readonly RegisteredFlow[] }) {
    this.#flowsModule = options.flowsModule;
    this.#flows = new FlowRegistry(options.flows ?? []);
  }

  /** The runner processes started so far, killed or not. */
  get children(): readonly ChildRunner[] {
    return this.#children;
  }

  /** A runner process on `db` (see {@link startChildRunner}). */
  async startChild(db: Pick<TestDatabase, "runnerArgs">, options: Omit<ChildRunnerOptions, "flowsModule" | "db"> = {}): Promise<ChildRunner> {
    const child = await startChildRunner({ flowsModule: this.#flowsModule, db, ...options });
    this.#children.push(child);
    return child;
  }

  /** A store on `db`, for in-process runners and for reading what was recorded. */
  async openStore(db: Pick<TestDatabase, "open">): Promise<ExecutionStore> {
    const store = await db.open();
    this.#stores.push(store);
    return store;
  }

  /** An in-process runner with the flows on `store`, with the tests' fast timing. */
  async startInProcess(store: ExecutionStore, options: { readonly leaseTtlMs?: number } = {}): Promise<RunningRunner> {
    const scheduler = { ...testScheduler, ...(options.leaseTtlMs ? { leaseTtlMs: options.leaseTtlMs } : {}) };
    const runner = await startRunner({ store, flows: this.#flows, scheduler, ...testLogger() });
    this.#runners.push(runner);
    return runner;
  }

  /** A RunnerService client of the runner at `address`. */
  client(address: string, options: ClientOptions = {}): Client<typeof RunnerService> {
    return this.#clients.client(RunnerService, address, options);
  }

  /** Closes the clients, kills the processes (`signal`, default SIGKILL), stops the in-process runners, closes the stores. */
  async teardown(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    this.#clients.close();
    for (const child of this.#children.splice(0)) {
      child.close();
      await child.kill(signal);
    }
    await Promise.all(this.#runners.splice(0).map((runner) => runner.stop()));
    await Promise.all(this.#stores.splice(0).map((store) => store.close()));
  }
}
