/**
 * The runner engine in-process, without gRPC: a store on a fresh test
 * database (the store `KITARU_TEST_STORE` chose), a started engine, and
 * replays planned by the planner's pure core and started by the engine
 * exactly as the two services do.
 */
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import type { JsonObject, JsonValue } from "../../services/runner/src/authoring/json-value.ts";
import { defaultSchedulerOptions } from "../../services/runner/src/engine/scheduler.ts";
import { FlowRegistry, type RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import type { ExecutionView } from "../../services/runner/src/engine/execution-queries.ts";
import { RunnerEngine } from "../../services/runner/src/engine/runner-engine.ts";
import type { ExecutionStatus } from "../../services/runner/src/store/records.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { planReplay, type ReplayPlan, type ReplayRequest, type SourceExecution } from "../../services/planner/src/core/index.ts";
import { freshDatabaseName, testDatabase, type TestDatabase } from "./database.ts";
import { eventually, testScheduler } from "./runner-env.ts";

/** An engine on a fresh database. */
export interface EngineEnv {
  readonly engine: RunnerEngine;
  readonly store: ExecutionStore;
  /** Lines the engine reported (`onInfo`) and errors it logged (`onError`). */
  readonly info: string[];
  readonly errors: string[];
  /** The execution `execId` as the default namespace names it. */
  ref(execId: string): { execId: string; namespace: string };
  /** Starts an execution; returns its ID. */
  start(flowName: string, input: JsonObject, requestId?: string): Promise<string>;
  /** Waits until the execution is in one of `statuses` (default: terminal or waiting) and returns its full view. */
  settled(execId: string, statuses?: readonly ExecutionStatus[]): Promise<ExecutionView>;
  /** Plans a replay with the planner core (as PlanReplay does). */
  plan(execId: string, request: ReplayRequest): Promise<ReplayPlan>;
  /** Plans and starts a replay (as ReplayExecution does); returns the new execution's ID. */
  replay(execId: string, request: ReplayRequest, requestId?: string): Promise<string>;
  teardown(): Promise<void>;
}

/** Options of {@link createEngineEnv}. */
export interface EngineEnvOptions {
  /** A database to share with other engines (the caller removes it); a fresh one by default. */
  readonly db?: TestDatabase;
  /** The flow version the engine serves (default: the registry's `unversioned`). */
  readonly flowVersion?: string;
  /** What the engine does when its code diverges from another version's record (default `hold`). */
  readonly onResumeDivergence?: "hold" | "fail";
  /** Recorded with its claims (default `runner-engine-test`). */
  readonly runnerId?: string;
  /** Executions it runs at once (default the scheduler's). */
  readonly maxConcurrent?: number;
}

/** Starts an engine with `flows` on a fresh database (or the one given). */
export async function createEngineEnv(flows: readonly RegisteredFlow[], options: EngineEnvOptions = {}): Promise<EngineEnv> {
  const db = options.db ?? (await testDatabase(freshDatabaseName("kitaru_engine")));
  const store = await db.open();
  const info: string[] = [];
  const errors: string[] = [];
  const engine = new RunnerEngine({
    store,
    flows: new FlowRegistry(flows, { version: options.flowVersion }),
    scheduler: {
      ...defaultSchedulerOptions,
      ...testScheduler,
      runnerId: options.runnerId ?? "runner-engine-test",
      ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
      onResumeDivergence: options.onResumeDivergence,
    },
    onError: (message, error) => errors.push(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    onInfo: (message) => info.push(message),
  });
  engine.start();
  const plan = async (execId: string, request: ReplayRequest) => {
    const graph = await engine.callGraph({ execId, namespace: DEFAULT_NAMESPACE });
    const source: SourceExecution = {
      execId,
      flowName: graph.execution.flowName,
      status: graph.execution.state.status,
      input: graph.input as JsonObject,
      version: graph.execution.state.seq,
      calls: graph.calls.map((call) => ({
        invocationId: call.invocationId,
        callId: call.callId,
        name: call.name,
        sequence: call.sequence,
        dataDependencies: call.dataDependencies,
        loadDependencies: call.loadDependencies,
        outputNames: call.outputNames,
        status: call.status,
      })),
    };
    return planReplay(source, request);
  };
  return {
    engine,
    store,
    info,
    errors,
    async start(flowName, input, requestId) {
      return (await engine.startExecution({ namespace: DEFAULT_NAMESPACE, flowName, input, ...(requestId ? { requestId } : {}) })).execution.execId;
    },
    async settled(execId, statuses = ["waiting", "completed", "failed", "cancelled"]) {
      return eventually(
        () => engine.getExecution({ execId, namespace: DEFAULT_NAMESPACE }, { full: true }),
        (view) => statuses.includes(view.execution.state.status),
        20_000,
      );
    },
    plan,
    ref: (execId) => ({ execId, namespace: DEFAULT_NAMESPACE }),
    async replay(execId, request, requestId) {
      const planned = await plan(execId, request);
      const outcome = await engine.startReplay(
        {
          sourceExecId: planned.sourceExecId,
          flowName: planned.flowName,
          from: planned.from,
          roots: planned.roots.map((c) => c.invocationId),
          reuse: planned.reuse.map((c) => ({ invocationId: c.invocationId, callId: c.callId })),
          overrides: planned.overrides.map((o) => ({ key: o.key, invocationId: o.target.invocationId, value: o.value as JsonValue })),
          input: planned.input,
          sourceVersion: planned.sourceVersion ?? 0,
          answerWaitsFromSource: planned.answerWaitsFromSource,
        },
        { namespace: DEFAULT_NAMESPACE, ...(requestId ? { requestId } : {}) },
      );
      if (outcome.kind !== "created") throw new Error("a replay without validateOnly creates an execution");
      return outcome.view.execution.execId;
    },
    async teardown() {
      await engine.stop();
      await store.close();
      if (options.db === undefined) db.remove();
    },
  };
}

/** A recorded call with its loaded values. */
export type ViewedCall = Omit<ExecutionView["calls"][number], "output" | "overrideValue"> & { output?: JsonValue; overrideValue?: JsonValue };

/** The calls of a full view by invocation ID, with their loaded values. */
export function callsById(view: ExecutionView): Map<string, ViewedCall> {
  return new Map(view.calls.map((call) => [call.invocationId, { ...call, ...view.values.get(call.invocationId) }]));
}
