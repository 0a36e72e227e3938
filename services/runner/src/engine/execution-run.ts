import { z } from "zod";
import type { CheckpointDefinition } from "../authoring/checkpoint.ts";
import type { Flow } from "../authoring/flow.ts";
import { runInCheckpoint, runInFlow, type CallOptions, type FlowRuntime, type WaitRequest } from "../authoring/flow-runtime.ts";
import { toJsonValue, type JsonObject, type JsonValue } from "../authoring/json-value.ts";
import { OutputHandle, resolveArguments } from "../authoring/output-handle.ts";
import type { ExecutionStore } from "../store/execution-store.ts";
import type {
  CallRecord,
  ExecutionRecord,
  ExecutionState,
  WaitRecord,
  WaitResolution,
} from "../store/records.ts";
import { runAttempts } from "./checkpoint-attempts.ts";
import { crashPoint } from "./crash-points.ts";
import { checkOutputs, parseWaitValue } from "./durable-values.ts";
import { asRuntimeError, divergenceError, failureOf, isBackendError, markFailingCall, messageOf, typeName } from "./run-failures.ts";
import type { ExecutionEventBus } from "./execution-events.ts";
import { newCallId, waitIdFor } from "./ids.ts";
import { InvocationIds } from "./invocation-ids.ts";
import { LineageTracker } from "./lineage-tracker.ts";
import type { ReplayGuard } from "./replay-guard.ts";

/** How a run ended, from the point of view of the runner that held it. */
export type RunOutcome =
  | { readonly kind: "completed" | "failed" | "waiting" | "cancelled"; readonly state: ExecutionState }
  /** The run gave the execution up without a terminal write: see `reason`. */
  | { readonly kind: "stopped"; readonly reason: StopReason };

/** Why a run was abandoned. */
export type StopReason = "fenced" | "cancelled" | "shutdown" | "backend_error";

/** Everything a run needs; loaded by the scheduler when it claims the execution. */
export interface RunInit {
  readonly store: ExecutionStore;
  readonly bus: ExecutionEventBus;
  readonly flow: Flow<z.ZodType, unknown>;
  readonly execution: ExecutionRecord;
  /** The `claimed` state that makes this runner the holder. */
  readonly claim: ExecutionState;
  /** The execution's own recorded calls (completed and reused ones are returned, not re-run). */
  readonly journal: readonly CallRecord[];
  readonly waits: readonly WaitRecord[];
  /** Present for a replayed execution. */
  readonly replay?: ReplayGuard | undefined;
  readonly onError: (message: string, error: unknown) => void;
}

type Ending =
  | { readonly kind: "returned"; readonly value: unknown }
  | { readonly kind: "threw"; readonly error: unknown }
  | { readonly kind: "suspend" }
  /** A wait the body reached was aborted: the execution ends cancelled. */
  | { readonly kind: "aborted" }
  | { readonly kind: "stop"; readonly reason: StopReason };

/** Flush buffered reused-call records once this many accumulate. */
const REUSED_FLUSH_SIZE = 500;

/**
 * One attempt at running an execution's flow body on this runner.
 *
 * The body runs from the top. Each checkpoint call is answered from the
 * journal (recorded earlier in this execution), from the replay plan (reused
 * from the source, or overridden), or by running the function and recording
 * its output with one insert. The run ends when the body returns or throws,
 * when it is blocked on waits with nothing else in flight (it suspends), or
 * when it is stopped (fenced by another runner, cancelled, shutting down).
 */
export class ExecutionRun implements FlowRuntime {
  readonly #init: RunInit;
  readonly #execId: string;
  readonly #generation: number;
  readonly #journal = new Map<string, CallRecord>();
  readonly #waits = new Map<string, WaitRecord>();
  readonly #checkpointIds = new InvocationIds("checkpoint");
  readonly #waitIds = new InvocationIds("wait");
  readonly #lineage = new LineageTracker();
  readonly #abort = new AbortController();
  readonly #pendingWaits = new Map<string, { resolve: (value: JsonValue) => void; schema: z.ZodType | undefined }>();
  readonly #callMetadata = new Map<string, JsonObject>();
  #flowMetadata: JsonObject;
  #reusedBuffer: CallRecord[] = [];
  #reusedFlush: Promise<void> = Promise.resolve();
  #sequence = 0;
  #inFlight = 0;
  #suspendCheck: NodeJS.Immediate | undefined;
  #ended = false;
  #endWith!: (ending: Ending) => void;
  readonly #ending: Promise<Ending>;

  constructor(init: RunInit) {
    this.#init = init;
    this.#execId = init.execution.execId;
    this.#generation = init.claim.generation;
    for (const call of init.journal) if (call.status !== "failed") this.#journal.set(call.invocationId, call);
    for (const wait of init.waits) this.#waits.set(wait.name, wait);
    this.#flowMetadata = init.claim.metadata ? (JSON.parse(init.claim.metadata) as JsonObject) : {};
    this.#ending = new Promise((resolve) => {
      this.#endWith = resolve;
    });
  }

  /** The execution this run executes. */
  get execId(): string {
    return this.#execId;
  }

  /** The fencing epoch of this run's claim. */
  get epoch(): number {
    return this.#init.claim.seq;
  }

  /** Names of waits the body is blocked on right now. */
  get pendingWaitNames(): string[] {
    return [...this.#pendingWaits.keys()];
  }

  /** Runs the body to its end and performs the terminal write. */
  async execute(): Promise<RunOutcome> {
    const { flow, execution, store } = this.#init;
    let input: unknown;
    try {
      input = flow.inputSchema.parse(JSON.parse(await store.loadPayload(execution.input)));
    } catch (error) {
      this.#end({ kind: "threw", error: asRuntimeError(error, "The execution input no longer matches the flow's input schema") });
    }
    if (!this.#ended) {
      runInFlow(this, () => flow.body(input)).then(
        (value) => this.#end({ kind: "returned", value }),
        (error: unknown) => this.#end({ kind: "threw", error }),
      );
    }
    const ending = await this.#ending;
    try {
      return await this.#finish(ending);
    } catch (error) {
      this.#init.onError(`execution ${this.#execId}: terminal write failed`, error);
      return { kind: "stopped", reason: "backend_error" };
    }
  }

  /** Abandons the run without a terminal write (fenced, cancelled, shutdown). */
  stop(reason: StopReason): void {
    this.#end({ kind: "stop", reason });
  }

  /** Hands a resolution that arrived while the body is blocked on that wait. */
  deliverResolution(waitName: string, resolution: WaitResolution): void {
    const pending = this.#pendingWaits.get(waitName);
    if (pending === undefined || this.#ended) return;
    if (resolution.kind === "abort") {
      this.#end({ kind: "aborted" });
      return;
    }
    this.#pendingWaits.delete(waitName);
    this.#inFlight += 1;
    this.#init.store.loadPayload(resolution.value).then(
      (json) => {
        this.#inFlight -= 1;
        try {
          pending.resolve(parseWaitValue(JSON.parse(json) as JsonValue, pending.schema, waitName));
        } catch (error) {
          this.#end({ kind: "threw", error });
        }
      },
      (error: unknown) => this.#backendFailure("loading a wait value", error),
    );
  }

  // ------------------------------------------------------------ FlowRuntime

  issueCheckpoint(definition: CheckpointDefinition, args: readonly unknown[], options: CallOptions): OutputHandle<unknown> {
    if (this.#ended) return this.#deadHandle(definition);
    const invocationId = this.#checkpointIds.next(definition.name, options.id);
    const sequence = ++this.#sequence;
    const loadDependencies = this.#lineage.takeLoadDelta();
    const { dependencies, values } = resolveArguments(args);
    const issue = { definition, invocationId, sequence, dataDependencies: dependencies, loadDependencies };

    let value: Promise<unknown>;
    const replay = this.#init.replay;
    if (replay?.isReused(invocationId)) {
      // Checked synchronously, in issue order: the order rule depends on it.
      const checked = replay.checkReuse({ invocationId, name: definition.name, dataDependencies: dependencies });
      if ("divergence" in checked) {
        const error = divergenceError(checked.divergence);
        this.#end({ kind: "threw", error });
        value = Promise.reject(error);
      } else {
        value = this.#track(this.#reuse(issue, checked.output));
      }
    } else {
      const recorded = this.#journal.get(invocationId);
      value = this.#track(
        recorded !== undefined ? this.#fromJournal(issue, recorded) : this.#execute(issue, values),
      );
    }
    return new OutputHandle({ runtime: this, invocationId, value, outputNames: definition.outputs });
  }

  noteLoad(invocationId: string): void {
    if (this.#lineage.noteLoad(invocationId)) this.#init.replay?.noteLoad(invocationId);
  }

  wait(request: WaitRequest): Promise<JsonValue> {
    if (this.#ended) return new Promise(() => undefined);
    const name = this.#waitIds.next(request.name);
    const recorded = this.#waits.get(name);
    const resolution = recorded?.resolution;
    if (resolution?.kind === "value") {
      return this.#track(
        this.#init.store.loadPayload(resolution.value).then((json) => parseWaitValue(JSON.parse(json) as JsonValue, request.schema, name)),
      );
    }
    if (resolution?.kind === "abort") {
      this.#end({ kind: "aborted" });
      return new Promise(() => undefined);
    }
    const promise = new Promise<JsonValue>((resolve) => {
      this.#pendingWaits.set(name, { resolve, schema: request.schema });
    });
    if (recorded === undefined) {
      const wait: WaitRecord = {
        execId: this.#execId,
        name,
        baseName: request.name,
        waitId: waitIdFor(this.#execId, name),
        question: request.question ?? "",
        schema: request.schema === undefined ? "" : JSON.stringify(z.toJSONSchema(request.schema, { unrepresentable: "any" })),
        metadata: request.metadata === undefined ? "" : JSON.stringify(toJsonValue(request.metadata, `Metadata of wait '${name}'`)),
        createdAt: new Date(),
      };
      this.#waits.set(name, wait);
      this.#track(this.#init.store.recordWait(wait).then(() => crashPoint("after-wait-recorded"))).then(
        () => this.#publish({ kind: "wait_pending", execId: this.#execId, at: new Date(), wait }),
        () => undefined,
      );
    }
    this.#maybeSuspend();
    return promise;
  }

  log(metadata: JsonObject, invocationId?: string): void {
    if (invocationId === undefined) this.#flowMetadata = { ...this.#flowMetadata, ...metadata };
    else this.#callMetadata.set(invocationId, { ...(this.#callMetadata.get(invocationId) ?? {}), ...metadata });
  }

  // ------------------------------------------------------------ call paths

  async #reuse(issue: Issue, output: { payload: CallRecord["output"]; sourceCallId: string; overridden: boolean; source: CallRecord }): Promise<unknown> {
    const now = new Date();
    const record: CallRecord = {
      execId: this.#execId,
      invocationId: issue.invocationId,
      callId: newCallId(),
      name: issue.definition.name,
      status: "reused",
      attempts: 0,
      sequence: issue.sequence,
      dataDependencies: issue.dataDependencies,
      loadDependencies: issue.loadDependencies,
      outputNames: output.source.outputNames,
      output: output.payload,
      reusedFromCallId: output.sourceCallId,
      overridden: output.overridden,
      generation: this.#generation,
      startedAt: now,
      endedAt: now,
    };
    if (!this.#journal.has(issue.invocationId)) this.#bufferReused(record);
    this.#publish({ kind: "call_reused", execId: this.#execId, at: now, call: record });
    return JSON.parse(await this.#init.store.loadPayload(output.payload ?? { kind: "inline", json: "null" }));
  }

  async #fromJournal(issue: Issue, recorded: CallRecord): Promise<unknown> {
    if (recorded.name !== issue.definition.name) {
      const error = divergenceError({
        execId: this.#execId,
        sourceExecId: this.#execId,
        invocationId: issue.invocationId,
        kind: "name_changed",
        recorded: `checkpoint '${recorded.name}'`,
        seen: `checkpoint '${issue.definition.name}'`,
        recordedDependencies: [],
        seenDependencies: [],
      });
      this.#end({ kind: "threw", error });
      throw error;
    }
    return JSON.parse(await this.#init.store.loadPayload(recorded.output ?? { kind: "inline", json: "null" }));
  }

  async #execute(issue: Issue, values: Promise<unknown[]>): Promise<unknown> {
    const args = await values;
    if (this.#ended) return new Promise(() => undefined);
    const { definition, invocationId } = issue;
    const callId = newCallId();
    const startedAt = new Date();
    this.#publish({
      kind: "call_started",
      execId: this.#execId,
      at: startedAt,
      call: { execId: this.#execId, invocationId, callId, name: definition.name, sequence: issue.sequence, dataDependencies: issue.dataDependencies, loadDependencies: issue.loadDependencies, outputNames: definition.outputs, startedAt },
    });
    const outcome = await runAttempts(
      definition,
      async () => checkOutputs(definition, toJsonValue(await runInCheckpoint(this, definition.name, invocationId, async () => definition.fn(...args)), `The output of checkpoint '${definition.name}'`)),
      this.#abort.signal,
    );
    if (this.#ended) return new Promise(() => undefined);
    const base = {
      execId: this.#execId,
      invocationId,
      callId,
      name: definition.name,
      attempts: outcome.attempts,
      sequence: issue.sequence,
      dataDependencies: issue.dataDependencies,
      loadDependencies: issue.loadDependencies,
      outputNames: definition.outputs,
      generation: this.#generation,
      startedAt,
      endedAt: new Date(),
      metadata: this.#callMetadata.has(invocationId) ? JSON.stringify(this.#callMetadata.get(invocationId)) : undefined,
    };
    if (!outcome.ok) {
      const error = outcome.error;
      markFailingCall(error, invocationId);
      const record: CallRecord = { ...base, status: "failed", failure: { message: messageOf(error), exceptionType: typeName(error) } };
      await this.#init.store.recordCall(record);
      this.#publish({ kind: "call_failed", execId: this.#execId, at: record.endedAt, call: record });
      throw error;
    }
    const json = JSON.stringify(outcome.value);
    const record: CallRecord = { ...base, status: "completed", output: await this.#init.store.storePayload(json) };
    crashPoint("before-checkpoint-commit");
    const existing = await this.#init.store.recordCall(record);
    if (existing !== undefined) {
      // Another runner recorded this call first (we were fenced, or recovery raced): its output is the durable one.
      return JSON.parse(await this.#init.store.loadPayload(existing.output ?? { kind: "inline", json: "null" }));
    }
    crashPoint("after-checkpoint-commit");
    this.#journal.set(invocationId, record);
    this.#publish({ kind: "call_completed", execId: this.#execId, at: record.endedAt, call: record });
    return outcome.value;
  }

  #deadHandle(definition: CheckpointDefinition): OutputHandle<unknown> {
    return new OutputHandle({ runtime: this, invocationId: definition.name, value: new Promise(() => undefined), outputNames: definition.outputs });
  }

  /** Counts work in flight (for suspension) and turns store failures into a backend stop. */
  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight += 1;
    return work.then(
      (value) => {
        this.#inFlight -= 1;
        this.#maybeSuspend();
        return value;
      },
      (error: unknown) => {
        this.#inFlight -= 1;
        if (isBackendError(error)) {
          this.#backendFailure("a database write", error);
          return new Promise<T>(() => undefined);
        }
        this.#maybeSuspend();
        throw error;
      },
    );
  }

  #backendFailure(what: string, error: unknown): void {
    this.#init.onError(`execution ${this.#execId}: ${what} failed; giving the execution up for another attempt`, error);
    this.stop("backend_error");
  }

  /** Suspends once the body is blocked on waits and nothing else is in flight. */
  #maybeSuspend(): void {
    if (this.#ended || this.#pendingWaits.size === 0 || this.#inFlight > 0 || this.#suspendCheck) return;
    // setImmediate runs after the microtask queue drains, so a body that is
    // about to issue another call (after an await) gets to issue it first.
    this.#suspendCheck = setImmediate(() => {
      this.#suspendCheck = undefined;
      if (!this.#ended && this.#pendingWaits.size > 0 && this.#inFlight === 0) this.#end({ kind: "suspend" });
    });
  }

  #bufferReused(record: CallRecord): void {
    this.#reusedBuffer.push(record);
    if (this.#reusedBuffer.length >= REUSED_FLUSH_SIZE) this.#flushReused();
  }

  /** Writes buffered reused-call records in one insert. They are derivable from the plan, so a crash before a flush loses nothing. */
  #flushReused(): Promise<void> {
    const batch = this.#reusedBuffer;
    this.#reusedBuffer = [];
    if (batch.length > 0) this.#reusedFlush = this.#reusedFlush.then(() => this.#init.store.recordCalls(batch));
    return this.#reusedFlush;
  }

  #publish(event: Parameters<ExecutionEventBus["publish"]>[0]): void {
    if (!this.#ended || event.kind === "status_changed") this.#init.bus.publish(event);
  }

  #end(ending: Ending): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#abort.abort();
    if (this.#suspendCheck) clearImmediate(this.#suspendCheck);
    this.#endWith(ending);
  }

  // ------------------------------------------------------------ terminal writes

  async #finish(ending: Ending): Promise<RunOutcome> {
    if (ending.kind === "stop") return { kind: "stopped", reason: ending.reason };
    await this.#flushReused();
    const { store } = this.#init;
    const base = { generation: this.#generation, metadata: this.#metadataText(), at: new Date() };
    if (ending.kind === "aborted") {
      // Usually abortWait has cancelled the execution already and this append loses;
      // it wins when abortWait's process died between the abort and the cancel.
      const cancelled = await this.#transition({ ...base, kind: "cancelled", status: "cancelled", endedAt: base.at });
      return cancelled === undefined ? { kind: "stopped", reason: "cancelled" } : { kind: "cancelled", state: cancelled };
    }
    if (ending.kind === "suspend") {
      const waiting = await this.#transition({ ...base, kind: "waiting", status: "waiting" });
      if (waiting === undefined) return { kind: "stopped", reason: "fenced" };
      // An input may have been accepted between our last look and the transition; if so, hand the execution back.
      const waits = await store.listWaits(this.#execId);
      if (waits.some((w) => this.#pendingWaits.has(w.name) && w.resolution !== undefined)) {
        const resumed = await store.appendTransition(this.#execId, waiting, { ...base, kind: "resumed", status: "running" });
        if (resumed) this.#publish({ kind: "status_changed", execId: this.#execId, at: resumed.at, state: resumed });
      }
      return { kind: "waiting", state: waiting };
    }
    if (ending.kind === "returned") {
      let result: JsonValue;
      try {
        result = toJsonValue(ending.value, "The flow result");
      } catch (error) {
        return this.#fail(error);
      }
      const payload = await store.storePayload(JSON.stringify(result));
      crashPoint("before-terminal-write");
      const state = await this.#transition({ ...base, kind: "completed", status: "completed", result: payload, endedAt: base.at });
      return state === undefined ? { kind: "stopped", reason: "fenced" } : { kind: "completed", state };
    }
    return this.#fail(ending.error);
  }

  async #fail(error: unknown): Promise<RunOutcome> {
    const at = new Date();
    const failure = failureOf(error);
    crashPoint("before-terminal-write");
    const state = await this.#transition({
      kind: "failed",
      status: "failed",
      generation: this.#generation,
      metadata: this.#metadataText(),
      at,
      endedAt: at,
      failure,
    });
    return state === undefined ? { kind: "stopped", reason: "fenced" } : { kind: "failed", state };
  }

  /** Appends a transition after our claim; undefined when someone else appended first. */
  async #transition(next: Omit<ExecutionState, "seq">): Promise<ExecutionState | undefined> {
    const state = await this.#init.store.appendTransition(this.#execId, this.#init.claim, next);
    if (state) this.#publish({ kind: "status_changed", execId: this.#execId, at: state.at, state });
    return state;
  }

  #metadataText(): string | undefined {
    return Object.keys(this.#flowMetadata).length === 0 ? undefined : JSON.stringify(this.#flowMetadata);
  }
}

interface Issue {
  readonly definition: CheckpointDefinition;
  readonly invocationId: string;
  readonly sequence: number;
  readonly dataDependencies: readonly string[];
  readonly loadDependencies: readonly string[];
}
