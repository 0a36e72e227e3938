import { captureCheckpointConsole } from "./authoring/console-capture.ts";
import { ExecutionCommands } from "./engine/execution-commands.ts";
import { ExecutionEventBus } from "./engine/execution-events.ts";
import { ExecutionFeed } from "./engine/execution-feed.ts";
import { ExecutionQueries } from "./engine/execution-queries.ts";
import type { FlowRegistry } from "./engine/flow-registry.ts";
import { Scheduler, type SchedulerOptions } from "./engine/scheduler.ts";
import type { ExecutionStore } from "./store/execution-store.ts";

/**
 * The runner's engine: the store, the flows, the scheduler that runs
 * executions, and the commands and queries the API calls. No transport.
 */
export class RunnerEngine {
  readonly store: ExecutionStore;
  readonly flows: FlowRegistry;
  readonly bus = new ExecutionEventBus();
  readonly commands: ExecutionCommands;
  readonly queries: ExecutionQueries;
  /** Watches of executions, one reader per watched execution. */
  readonly feed: ExecutionFeed;
  readonly scheduler: Scheduler;

  constructor(init: {
    store: ExecutionStore;
    flows: FlowRegistry;
    scheduler: SchedulerOptions;
    onError: (message: string, error: unknown) => void;
    onInfo?: (message: string) => void;
  }) {
    this.store = init.store;
    this.flows = init.flows;
    this.commands = new ExecutionCommands({ store: this.store, bus: this.bus, flows: this.flows });
    this.queries = new ExecutionQueries({ store: this.store, commands: this.commands });
    this.feed = new ExecutionFeed({ store: this.store, bus: this.bus, commands: this.commands });
    this.scheduler = new Scheduler({ store: this.store, bus: this.bus, flows: this.flows, options: init.scheduler, onError: init.onError, onInfo: init.onInfo });
  }

  /** Starts running executions. */
  start(): void {
    captureCheckpointConsole();
    this.scheduler.start();
  }

  /** Stops running executions and hands them back for another runner. */
  async stop(): Promise<void> {
    await this.scheduler.stop();
  }
}
