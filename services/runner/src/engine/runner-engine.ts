/**
 * The runner engine's one entry point: everything the API does to
 * executions, as domain operations. Handlers call these and translate; they
 * never reach the store, the event bus or the engine's parts.
 *
 * Every operation on an execution takes an {@link ExecutionRef} (its ID in
 * the caller's namespace, with the caller's signal: store calls made for the
 * request stop when it aborts).
 *
 * @module
 */
import type { EncodedLineage } from "#contract/wire/call-graph-encoder.ts";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import { captureCheckpointConsole } from "../authoring/console-capture.ts";
import type { CallLineage, ExecutionStore } from "../store/execution-store.ts";
import type { ExecutionRecord, ExecutionState, Payload, WaitRecord } from "../store/records.ts";
import { createEngineContext, type EngineContext } from "./engine-context.ts";
import { ExecutionCommands, type ExecutionRef } from "./execution-commands.ts";
import type { ExecutionEvent, LogEntry } from "./execution-events.ts";
import { ExecutionFamilies, type ExecutionComparison, type ExecutionFamily } from "./execution-family.ts";
import { ExecutionFeed } from "./execution-feed.ts";
import { followExecutionLogs, listExecutionLogs, type LogPage } from "./execution-logs.ts";
import { checkpointsAfter, ExecutionQueries, type ExecutionPage, type ExecutionView } from "./execution-queries.ts";
import type { FlowRegistry } from "./flow-registry.ts";
import { ReplayJobRecords } from "./replay-job-records.ts";
import { startReplay, type ReplayDraft, type ReplayPlanInput } from "./replay-start.ts";
import { Scheduler, type SchedulerOptions } from "./scheduler.ts";
import { verifyExecutions, type VerificationPage, type VerificationSelection } from "./execution-verifier.ts";
import { ValueBudget, type OmittedValue, type ValuePath } from "./value-budget.ts";

export type { ExecutionRef } from "./execution-commands.ts";

/** An execution event with the value it carries loaded: a resolved wait's answer, a completed execution's result. */
export interface WatchedEvent {
  readonly event: ExecutionEvent;
  readonly value?: JsonValue | undefined;
  /** The value, when it was left out (beyond a response's value budget): its path and size. */
  readonly omitted?: OmittedValue | undefined;
}

/** What a log follower receives: a line, or the execution's new state (with its result once completed). */
export type FollowedLog =
  | { readonly kind: "entry"; readonly entry: LogEntry }
  | { readonly kind: "status"; readonly state: ExecutionState; readonly result?: JsonValue | undefined; readonly omitted?: OmittedValue | undefined };

/** The outcome of {@link RunnerEngine.startReplay}: the new execution, or with `validateOnly` what it would be. */
export type ReplayOutcome = { readonly kind: "created"; readonly view: ExecutionView } | { readonly kind: "validated"; readonly draft: ReplayDraft };

/** A flow this runner serves. */
export interface FlowDescription {
  readonly name: string;
  readonly inputSchema: JsonObject | undefined;
}

/** The runner engine: runs executions (scheduler) and answers the API. No transport. */
export class RunnerEngine {
  /** The parts' shared dependencies (for tests and tools that assemble parts themselves). */
  readonly context: EngineContext;
  readonly #commands: ExecutionCommands;
  readonly #queries: ExecutionQueries;
  readonly #feed: ExecutionFeed;
  readonly #families: ExecutionFamilies;
  readonly #scheduler: Scheduler;
  /** The replay jobs the planner stores here (RunnerInternalService); the runner keeps them, the planner runs them. */
  readonly replayJobs: ReplayJobRecords;

  constructor(init: {
    store: ExecutionStore;
    flows: FlowRegistry;
    scheduler: SchedulerOptions;
    onError: (message: string, error: unknown) => void;
    onInfo?: (message: string) => void;
  }) {
    this.context = createEngineContext(init.store, init.flows);
    this.#scheduler = new Scheduler(this.context, { options: init.scheduler, onError: init.onError, onInfo: init.onInfo });
    const scheduler = this.#scheduler;
    this.#commands = new ExecutionCommands(this.context, { create: (execution, options) => scheduler.create(execution, options) });
    this.#queries = new ExecutionQueries(this.context, this.#commands);
    this.#feed = new ExecutionFeed(this.context, this.#commands);
    this.#families = new ExecutionFamilies(this.context, this.#commands);
    this.replayJobs = new ReplayJobRecords(init.store);
  }

  // ----------------------------------------------------------------- lifecycle

  /** Starts running executions. */
  start(): void {
    captureCheckpointConsole();
    this.#scheduler.start();
  }

  /** Stops running executions and hands them back for another runner. */
  async stop(): Promise<void> {
    await this.#scheduler.stop();
  }

  /** The flow version of the code this runner serves. */
  get flowVersion(): string {
    return this.context.flows.version;
  }

  /** Executions this runner is running now. */
  get activeExecutionIds(): string[] {
    return this.#scheduler.activeExecutionIds;
  }

  /** How many executions are watched now (one store reader each, however many watchers). */
  get watchedExecutions(): number {
    return this.#feed.watchedExecutions;
  }

  // ---------------------------------------------------------------- executions

  /** Starts an execution of a flow (idempotent on `requestId`). */
  async startExecution(request: { namespace: string; flowName: string; input: JsonObject; requestId?: string; signal?: AbortSignal }): Promise<ExecutionView> {
    const { execution, created } = await this.#commands.start(request);
    // One this call created has recorded nothing yet: its view needs no read (and the run's first step is not held up).
    return this.#queries.view(execution, { full: false, signal: request.signal, ...(created ? { created: true } : {}) });
  }

  /**
   * One execution; `full` adds its calls with their outputs, after the call a
   * `checkpointsPageToken` (from `checkpointsPageToken()`) names when given.
   */
  getExecution(ref: ExecutionRef, options: { full: boolean; checkpointsPageToken?: string }): Promise<ExecutionView> {
    const token = options.checkpointsPageToken;
    return this.#queries.get(ref, { full: options.full, checkpointsAfter: token ? checkpointsAfter(token) : undefined });
  }

  /** Executions of a namespace, newest first, paged. */
  listExecutions(query: Parameters<ExecutionQueries["list"]>[0]): Promise<ExecutionPage> {
    return this.#queries.list(query);
  }

  /** The waits an execution is blocked on. */
  async pendingWaits(ref: ExecutionRef): Promise<readonly WaitRecord[]> {
    return (await this.#queries.get(ref, { full: false })).pendingWaits;
  }

  /** Answers a pending wait (exactly one of concurrent answers wins). */
  async resolveWait(ref: ExecutionRef, wait: string, value: JsonValue): Promise<ExecutionView> {
    return this.#basic(await this.#commands.resolveWait(ref, wait, value), ref.signal);
  }

  /** Aborts a pending wait; the execution ends cancelled. */
  async abortWait(ref: ExecutionRef, wait: string): Promise<ExecutionView> {
    return this.#basic(await this.#commands.abortWait(ref, wait), ref.signal);
  }

  /** Restarts a failed execution under the same ID. */
  async retry(ref: ExecutionRef): Promise<ExecutionView> {
    return this.#basic(await this.#commands.retry(ref), ref.signal);
  }

  /** Cancels a running or waiting execution. */
  async cancel(ref: ExecutionRef): Promise<ExecutionView> {
    return this.#basic(await this.#commands.cancel(ref), ref.signal);
  }

  /** One value of an execution as JSON text, by its path (`input`, `result`, `checkpoints/<id>/output`, ...). */
  readValue(ref: ExecutionRef, path: string): Promise<string> {
    return this.#queries.readValue(ref, path);
  }

  /** The execution's history (unless `statusOnly`), then its live events, with the values they carry. */
  async *watch(
    ref: ExecutionRef,
    options: { followWaits: boolean; statusOnly?: boolean; afterSequence?: number; signal: AbortSignal },
  ): AsyncGenerator<WatchedEvent> {
    for await (const event of this.#feed.watch(ref, options)) {
      yield { event, ...this.#eventValue(event) };
    }
  }

  /** One page of log lines, oldest first. */
  listLogs(ref: ExecutionRef, query: { checkpoint?: string; pageSize?: number; pageToken?: string }): Promise<LogPage> {
    return listExecutionLogs({ ...this.context, commands: this.#commands }, ref, query);
  }

  /** Log lines so far, then live ones and status changes, until the execution ends. */
  async *followLogs(ref: ExecutionRef, options: { checkpoint?: string; signal: AbortSignal }): AsyncGenerator<FollowedLog> {
    for await (const item of followExecutionLogs({ ...this.context, commands: this.#commands }, ref, options)) {
      if (item.kind === "entry") {
        yield item;
      } else {
        const { value, omitted } = this.#admit(item.state.result, { kind: "result" });
        yield { kind: "status", state: item.state, result: value, omitted };
      }
    }
  }

  /** The execution's family: the original it descends from through replays, and every replay below it. */
  lineage(ref: ExecutionRef, maxNodes?: number): Promise<ExecutionFamily> {
    return this.#families.lineage(ref, maxNodes);
  }

  /** `other` compared with `base`, call by call. */
  compare(base: ExecutionRef, other: ExecutionRef): Promise<ExecutionComparison> {
    return this.#families.compare(base, other);
  }

  /**
   * Checks recorded executions against the code this runner serves, without
   * running a checkpoint or writing anything (docs/upgrades.md).
   */
  verify(selection: VerificationSelection): Promise<VerificationPage> {
    return verifyExecutions(this.context, { commands: this.#commands, queries: this.#queries }, selection);
  }

  /** The flows this runner serves, with their input schemas. */
  describeFlows(): FlowDescription[] {
    return this.context.flows.describe();
  }

  // ------------------------------------------------------- for the planner only

  /** The recorded calls of an execution (outputs left out), for planning a replay. */
  callGraph(ref: ExecutionRef): Promise<{ execution: ExecutionRecord; input: JsonValue; calls: CallLineage[] }> {
    return this.#queries.callGraph(ref);
  }

  /** The same, the calls encoded for GetCallGraph when the store keeps them so. */
  encodedCallGraph(ref: ExecutionRef): Promise<{ execution: ExecutionRecord; input: JsonValue; calls: CallLineage[] | EncodedLineage }> {
    return this.#queries.encodedCallGraph(ref);
  }

  /** Creates the execution of a planned replay, or with `validateOnly` checks it and returns what it would be. */
  async startReplay(
    plan: ReplayPlanInput,
    options: { namespace: string; requestId?: string; validateOnly?: boolean; allowOverrideTypeChange?: boolean; signal?: AbortSignal },
  ): Promise<ReplayOutcome> {
    const outcome = await startReplay(this.context, this.#commands, plan, options);
    return outcome.kind === "created" ? { kind: "created", view: await this.#basic(outcome.execution, options.signal) } : outcome;
  }

  // ------------------------------------------------------------------- helpers

  #basic(execution: ExecutionRecord, signal: AbortSignal | undefined): Promise<ExecutionView> {
    return this.#queries.view(execution, { full: false, signal });
  }

  /** The value an event carries (a wait's answer, a result), within one message's value budget. */
  #eventValue(event: ExecutionEvent): { value?: JsonValue | undefined; omitted?: OmittedValue | undefined } {
    if (event.kind === "wait_resolved" && event.wait.resolution?.kind === "value")
      return this.#admit(event.wait.resolution.value, { kind: "wait_value", wait: event.wait.name });
    if (event.kind === "status_changed") return this.#admit(event.state.result, { kind: "result" });
    return {};
  }

  /** A stored value for one streamed message: itself, or (beyond the value budget) what names it. */
  #admit(payload: Payload | undefined, path: ValuePath): { value?: JsonValue | undefined; omitted?: OmittedValue | undefined } {
    let omitted: OmittedValue | undefined;
    const value = new ValueBudget().admit(this.context.values, payload, path, (left) => {
      omitted = left;
    });
    return { value, omitted };
  }
}
