import { z } from "zod";
import type { CheckpointDefinition } from "../authoring/checkpoint.ts";
import type { Flow } from "../authoring/flow.ts";
import {
  runInCheckpoint,
  runInFlow,
  type CallOptions,
  type CheckpointAttempt,
  type FlowRuntime,
  type LogLevel,
  type LogSource,
  type WaitRequest,
} from "../authoring/flow-runtime.ts";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import { argumentDependencies, OutputHandle, resolveArguments } from "../authoring/output-handle.ts";
import type { EncodedValue } from "../store/value-codec.ts";
import type { EngineContext } from "./engine-context.ts";
import {
  hasOutput,
  seenOutput,
  type AttemptRecord,
  type CallRecord,
  type ExecutionRecord,
  type ExecutionState,
  type Payload,
  type WaitRecord,
  type WaitResolution,
} from "../store/records.ts";
import { CallLog } from "./call-log.ts";
import { ReusedCallWriter } from "./reused-call-writer.ts";
import { SourceWaitAnswers } from "./source-wait-answers.ts";
import { recordWaitAnswer } from "./wait-answers.ts";
import { METADATA_LIMIT_BYTES, RunMetadata } from "./run-metadata.ts";
import { runAttempts } from "./checkpoint-attempts.ts";
import { crashPoint } from "./crash-points.ts";
import { checkOutputs, parseWaitValue } from "./durable-values.ts";
import { asRuntimeError, divergenceError, failureOf, isBackendError, markFailingCall, thrownRecord } from "./run-failures.ts";
import type { ExecutionEventBus } from "./execution-events.ts";
import { newCallId, waitIdFor } from "./ids.ts";
import { InvocationIds } from "./invocation-ids.ts";
import { LineageTracker } from "./lineage-tracker.ts";
import { cancelThenReplayCommand } from "./replay-command.ts";
import type { ReplayGuard, ReusedOutput } from "./replay-guard.ts";
import type { ResumeGuard } from "./resume-guard.ts";
import type { DivergenceDetail } from "#contract/failure.ts";

/** How a run ended, from the point of view of the runner that held it. */
export type RunOutcome =
  | { readonly kind: "completed" | "failed" | "waiting" | "cancelled"; readonly state: ExecutionState }
  /** The code diverged from a record another flow version made: the execution is held for runners of that version. */
  | { readonly kind: "held"; readonly state: ExecutionState }
  /** The run gave the execution up without a terminal write: see `reason`. */
  | { readonly kind: "stopped"; readonly reason: StopReason };

/** Why a run was abandoned. */
export type StopReason = "fenced" | "cancelled" | "shutdown" | "backend_error";

/** Everything a run needs; loaded by the scheduler when it claims the execution. */
export interface RunInit {
  readonly context: EngineContext;
  readonly flow: Flow<z.ZodType, unknown>;
  readonly execution: ExecutionRecord;
  /** The `claimed` state that makes this runner the holder. */
  readonly claim: ExecutionState;
  /** The execution's own recorded calls (completed and reused ones are returned, not re-run). */
  readonly journal: readonly CallRecord[];
  readonly waits: readonly WaitRecord[];
  /** Present for a replayed execution. */
  readonly replay?: ReplayGuard | undefined;
  /** Present when the body was last run by code of another flow version than this runner's. */
  readonly resume?: ResumeCheck | undefined;
  readonly onError: (message: string, error: unknown) => void;
  /** Where lines a flow body writes with `logger` go (they are not stored). */
  readonly onFlowLog?: ((level: LogLevel, message: string) => void) | undefined;
}

/** How a body resumed by code of another flow version is checked, and what happens when it diverges. */
export interface ResumeCheck {
  readonly guard: ResumeGuard;
  /**
   * On a divergence: `hold` keeps the execution for runners of
   * `recordedFlowVersion` (when known), `fail` fails it with the divergence.
   */
  readonly onDivergence: "hold" | "fail";
  /** The flow version that last ran the body; undefined when the record predates flow versions. */
  readonly recordedFlowVersion: string | undefined;
  /** The flow versions that had run the body before this run's claim (kept when the execution is held). */
  readonly previousRuns: ExecutionState["flowVersionRuns"];
}

type Ending =
  | { readonly kind: "returned"; readonly value: unknown }
  /** The resumed body diverged from the record of another flow version (see {@link ResumeCheck}). */
  | { readonly kind: "diverged"; readonly detail: DivergenceDetail }
  | { readonly kind: "threw"; readonly error: unknown }
  | { readonly kind: "suspend" }
  /** A wait the body reached was aborted: the execution ends cancelled. */
  | { readonly kind: "aborted" }
  | { readonly kind: "stop"; readonly reason: StopReason };

/** How often log lines of calls still running are written (calls that end write theirs with their record). */
const LOG_FLUSH_MS = 1000;

/** A checkpoint call this run is executing now. */
interface ExecutingCall {
  readonly issue: Issue;
  readonly callId: string;
  readonly startedAt: Date;
  readonly log: CallLog;
  /** Attempts that ended, oldest first; the running one is added when it ends. */
  readonly history: AttemptRecord[];
  /** The attempt running now, and when it started. */
  current: { number: number; startedAt: Date } | undefined;
}

/**
 * Why a run's own signal aborts: its run ended. Made once (a DOMException
 * captures a stack trace, which `abort()` without a reason would do for
 * every run).
 */
const RUN_ENDED = new DOMException("The execution's run ended.", "AbortError");

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
  /** The run's inputs, but the journal and waits: those are indexed below and not kept twice. */
  readonly #init: Omit<RunInit, "journal" | "waits">;
  readonly #execId: string;
  readonly #generation: number;
  /**
   * The recorded calls the body has not reached yet, by invocation ID. Each
   * is taken out when the body issues its ID (IDs are unique in a run), and
   * calls this run records are not added: nothing reads them again, and on a
   * long execution they were most of the runner's memory (bench/results.md).
   */
  readonly #journal = new Map<string, CallRecord>();
  readonly #waits = new Map<string, WaitRecord>();
  readonly #checkpointIds = new InvocationIds("checkpoint");
  readonly #waitIds = new InvocationIds("wait");
  readonly #lineage = new LineageTracker();
  readonly #abort = new AbortController();
  readonly #pendingWaits = new Map<string, { resolve: (value: JsonValue) => void; schema: z.ZodType | undefined }>();
  readonly #executing = new Map<string, ExecutingCall>();
  #logFlush: NodeJS.Timeout | undefined;
  readonly #metadata: RunMetadata;
  readonly #reused: ReusedCallWriter;
  readonly #sourceAnswers: SourceWaitAnswers | undefined;
  #sequence = 0;
  #inFlight = 0;
  #suspendCheck: NodeJS.Immediate | undefined;
  #ended = false;
  #endWith!: (ending: Ending) => void;
  readonly #ending: Promise<Ending>;

  constructor(init: RunInit) {
    const { journal, waits, ...kept } = init;
    this.#init = kept;
    this.#execId = init.execution.execId;
    this.#generation = init.claim.generation;
    for (const call of journal) if (hasOutput(call)) this.#journal.set(call.invocationId, call);
    for (const wait of waits) this.#waits.set(wait.name, wait);
    this.#metadata = new RunMetadata(init.context.values, init.claim.metadata);
    this.#reused = new ReusedCallWriter(init.context.store);
    this.#sourceAnswers = SourceWaitAnswers.of(init.context, init.execution);
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
    const { flow, execution } = this.#init;
    const { values } = this.#init.context;
    let input: unknown;
    try {
      input = flow.inputSchema.parse(await values.load(execution.input, { signal: this.#abort.signal }));
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
    this.#init.context.values.load(resolution.value, { signal: this.#abort.signal }).then(
      (value) => {
        this.#inFlight -= 1;
        try {
          pending.resolve(parseWaitValue(value, pending.schema, waitName));
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
    const dependencies = argumentDependencies(args);
    const issue = { definition, invocationId, sequence, dataDependencies: dependencies, loadDependencies };

    // Checked before anything runs: code of another version never executes a call in place of a recorded one.
    const diverged = this.#init.resume?.guard.checkCall({ invocationId, name: definition.name, sequence, dataDependencies: dependencies });
    if (diverged !== undefined) {
      this.#end({ kind: "diverged", detail: diverged });
      return this.#deadHandle(definition);
    }

    let value: Promise<unknown> | (() => Promise<unknown>);
    const replay = this.#init.replay;
    if (replay?.isReused(invocationId)) {
      // Checked synchronously, in issue order: the order rule depends on it.
      const checked = replay.checkReuse({ invocationId, name: definition.name, dataDependencies: dependencies });
      if ("divergence" in checked) {
        const error = divergenceError(checked.divergence);
        this.#end({ kind: "threw", error });
        value = Promise.reject(error);
      } else {
        const seen = this.#reuse(issue, checked.output);
        // An inline output is parsed when first needed (a replay passes most reused outputs on as handles).
        value = seen.kind === "inline" ? () => this.#load(seen) : this.#track(this.#load(seen));
      }
    } else {
      const recorded = this.#journal.get(invocationId);
      this.#journal.delete(invocationId);
      // An overridden call outside the reused set still runs (it is `from`, or downstream of a root),
      // but the flow and its consumers see the override, never its fresh output (docs/replay-contract.md §3).
      const override = replay?.overrideFor(invocationId);
      const work = recorded !== undefined ? this.#fromJournal(issue, recorded) : this.#execute(issue, resolveArguments(args), override);
      value = this.#track(override === undefined ? work : work.then(() => this.#load(override)));
    }
    return new OutputHandle({ runtime: this, invocationId, value, outputNames: definition.outputs });
  }

  noteLoad(invocationId: string): void {
    if (this.#lineage.noteLoad(invocationId)) {
      this.#init.replay?.noteLoad(invocationId);
      this.#init.resume?.guard.noteLoad(invocationId);
    }
  }

  wait(request: WaitRequest): Promise<JsonValue> {
    if (this.#ended) return new Promise(() => undefined);
    const name = this.#waitIds.next(request.name);
    const diverged = this.#init.resume?.guard.checkWait(name, this.#sequence);
    if (diverged !== undefined) {
      this.#end({ kind: "diverged", detail: diverged });
      return new Promise(() => undefined);
    }
    const recorded = this.#waits.get(name);
    const resolution = recorded?.resolution;
    if (resolution?.kind === "value") {
      return this.#track(
        this.#init.context.values.load(resolution.value, { signal: this.#abort.signal }).then((value) => parseWaitValue(value, request.schema, name)),
      );
    }
    if (resolution?.kind === "abort") {
      this.#end({ kind: "aborted" });
      return new Promise(() => undefined);
    }
    const promise = new Promise<JsonValue>((resolve) => {
      this.#pendingWaits.set(name, { resolve, schema: request.schema });
    });
    // A replay asked to answer this wait from its source: unless an earlier run found nothing to copy (its note says why).
    const fromSource = this.#sourceAnswers?.covers({ baseName: request.name, name }) === true && recorded?.sourceAnswerNote === undefined;
    if (fromSource) {
      this.#track(this.#answerFromSource(recorded ?? this.#newWait(name, request), recorded !== undefined)).then(
        () => undefined,
        // A database failure has stopped the run already (#track); anything else leaves the wait to an input.
        (error: unknown) => this.#init.onError(`execution ${this.#execId}: answering wait '${name}' from the replay source failed`, error),
      );
    } else if (recorded === undefined) {
      const wait = this.#newWait(name, request);
      this.#waits.set(name, wait);
      this.#track(this.#init.context.store.recordWait(wait).then(() => crashPoint("after-wait-recorded"))).then(
        () => this.#publish({ kind: "wait_pending", execId: this.#execId, at: new Date(), wait }),
        () => undefined,
      );
    }
    this.#maybeSuspend();
    return promise;
  }

  /** The record of a wait the body reached for the first time. */
  #newWait(name: string, request: WaitRequest): WaitRecord {
    return {
      execId: this.#execId,
      name,
      baseName: request.name,
      waitId: waitIdFor(this.#execId, name),
      question: request.question ?? "",
      schema: request.schema === undefined ? "" : JSON.stringify(z.toJSONSchema(request.schema, { unrepresentable: "any" })),
      metadata:
        request.metadata === undefined ? "" : this.#init.context.values.encodeInline(request.metadata, `Metadata of wait '${name}'`, METADATA_LIMIT_BYTES),
      createdAt: new Date(),
    };
  }

  /**
   * Answers a wait with the replay source's recorded answer, through the path
   * inputs take (one answer wins: a racing input may be it). Without an answer
   * to copy, records the wait with a note saying why and leaves it to an input.
   */
  async #answerFromSource(wait: WaitRecord, recordedAlready: boolean): Promise<void> {
    const sources = this.#sourceAnswers as SourceWaitAnswers;
    const found = await sources.find(wait, this.#abort.signal);
    const pending = found.kind === "none" ? { ...wait, sourceAnswerNote: found.note } : wait;
    if (!recordedAlready) {
      this.#waits.set(wait.name, pending);
      await this.#init.context.store.recordWait(pending);
      crashPoint("after-wait-recorded");
      this.#publish({ kind: "wait_pending", execId: this.#execId, at: new Date(), wait: pending });
    }
    if (found.kind === "none") {
      this.#init.onFlowLog?.("info", `wait '${wait.name}' waits for an input. ${found.note}`);
      return;
    }
    const { won, resolved } = await recordWaitAnswer(this.#init.context, pending, found.value, { copiedFromExecId: sources.sourceExecId });
    let resolution = resolved.resolution;
    if (won) {
      this.#publish({ kind: "wait_resolved", execId: this.#execId, at: resolved.resolution?.at ?? new Date(), wait: resolved });
    } else {
      // An input won the race: the body gets that answer.
      resolution = (await this.#init.context.store.listWaits(this.#execId)).find((w) => w.name === wait.name)?.resolution;
    }
    if (resolution !== undefined) this.deliverResolution(wait.name, resolution);
  }

  log(metadata: JsonObject, invocationId?: string): void {
    this.#metadata.log(metadata, invocationId);
  }

  writeFlowLog(level: LogLevel, message: string): void {
    this.#init.onFlowLog?.(level, message);
  }

  // ------------------------------------------------------------ call paths

  /** Records a reused call (buffered) and returns the payload the flow sees. */
  #reuse(issue: Issue, output: ReusedOutput): Payload {
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
      overridden: output.override !== undefined ? true : undefined,
      overrideValue: output.override,
      generation: this.#generation,
      startedAt: now,
      endedAt: now,
    };
    if (!this.#journal.delete(issue.invocationId)) this.#reused.add(record); // recorded before a crash: not again
    this.#publish({ kind: "call_reused", execId: this.#execId, at: now, call: record });
    return output.override ?? output.payload;
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
    return this.#load(seenOutput(recorded));
  }

  async #execute(issue: Issue, values: Promise<unknown[]>, override: Payload | undefined): Promise<unknown> {
    const args = await values;
    if (this.#ended) return new Promise(() => undefined);
    const { definition, invocationId } = issue;
    const callId = newCallId();
    const startedAt = new Date();
    const call: ExecutingCall = {
      issue,
      callId,
      startedAt,
      log: new CallLog({ execId: this.#execId, invocationId, callId, name: definition.name, sequence: issue.sequence, generation: this.#generation }),
      history: [],
      current: undefined,
    };
    // Reused records buffered so far are written before this call's: a watcher then never sees a
    // re-executed call before the reused calls issued ahead of it.
    await this.#reused.flush();
    if (this.#ended) return new Promise(() => undefined);
    this.#executing.set(invocationId, call);
    this.#publish({
      kind: "call_started",
      execId: this.#execId,
      at: startedAt,
      call: {
        execId: this.#execId,
        invocationId,
        callId,
        name: definition.name,
        sequence: issue.sequence,
        dataDependencies: issue.dataDependencies,
        loadDependencies: issue.loadDependencies,
        outputNames: definition.outputs,
        startedAt,
      },
    });
    const outcome = await runAttempts(
      definition,
      async (number) => {
        call.current = { number, startedAt: new Date() };
        call.log.beginAttempt(number);
        const attempt = this.#attemptContext(call, number);
        const returned = await runInCheckpoint(this, attempt, async () => definition.fn(...args));
        const encoded = this.#init.context.values.encode(returned, `The output of checkpoint '${definition.name}'`);
        checkOutputs(definition, encoded.value);
        return encoded;
      },
      this.#abort.signal,
      call.history,
    );
    call.current = undefined;
    if (this.#ended) return new Promise(() => undefined);
    this.#executing.delete(invocationId);
    const base = this.#callRecordBase(call, outcome.attempts);
    const logs = call.log.takeChunks();
    if (!outcome.ok) {
      const error = outcome.error;
      markFailingCall(error, invocationId);
      const record: CallRecord = { ...base, status: "failed", failure: thrownRecord(error) };
      await this.#init.context.store.appendLogs(logs); // before the record: log followers rely on it (execution-logs.ts)
      await this.#init.context.store.recordCall(record);
      this.#publish({ kind: "call_failed", execId: this.#execId, at: record.endedAt, call: record });
      throw error;
    }
    const encoded = outcome.value as EncodedValue;
    const { value } = encoded;
    const record: CallRecord = {
      ...base,
      status: "completed",
      output: await this.#init.context.values.store(encoded),
      overridden: override !== undefined ? true : undefined,
      overrideValue: override,
    };
    crashPoint("before-checkpoint-commit");
    await this.#init.context.store.appendLogs(logs); // before the record: log followers rely on it (execution-logs.ts)
    const existing = await this.#init.context.store.recordCall(record);
    if (existing !== undefined) {
      // Another runner recorded this call first (we were fenced, or recovery raced): its output is the durable one.
      return this.#load(seenOutput(existing));
    }
    crashPoint("after-checkpoint-commit");
    this.#publish({ kind: "call_completed", execId: this.#execId, at: record.endedAt, call: record });
    return value;
  }

  /** What checkpoint code sees of its attempt: IDs, the run's abort signal, and where its log lines go. */
  #attemptContext(call: ExecutingCall, number: number): CheckpointAttempt {
    const { invocationId, definition } = call.issue;
    return {
      execId: this.#execId,
      name: definition.name,
      invocationId,
      attempt: number,
      signal: this.#abort.signal,
      writeLog: (level: LogLevel, message: string, source: LogSource) => {
        if (this.#ended) return;
        const line = call.log.write(number, level, message, source);
        if (line === undefined) return;
        this.#init.context.bus.publish({
          kind: "log_line",
          execId: this.#execId,
          at: line.at,
          entry: { call: { ...call.log.identity, attempt: number }, line },
        });
        this.#scheduleLogFlush();
      },
    };
  }

  /** The fields every record of an executed call has. */
  #callRecordBase(call: ExecutingCall, attempts: number) {
    const { issue, callId, startedAt } = call;
    const { invocationId, definition } = issue;
    return {
      execId: this.#execId,
      invocationId,
      callId,
      name: definition.name,
      attempts,
      sequence: issue.sequence,
      dataDependencies: issue.dataDependencies,
      loadDependencies: issue.loadDependencies,
      outputNames: definition.outputs,
      generation: this.#generation,
      startedAt,
      endedAt: new Date(),
      metadata: this.#metadata.callText(invocationId),
      attemptHistory: [...call.history],
    };
  }

  /** Writes, once a second at most, the log lines of calls still running. */
  #scheduleLogFlush(): void {
    if (this.#logFlush !== undefined) return;
    this.#logFlush = setTimeout(() => {
      this.#logFlush = undefined;
      const chunks = [...this.#executing.values()].flatMap((call) => call.log.takeChunks());
      if (chunks.length === 0) return;
      this.#init.context.store.appendLogs(chunks).catch((error: unknown) => this.#init.onError(`execution ${this.#execId}: writing log lines failed`, error));
    }, LOG_FLUSH_MS);
    this.#logFlush.unref();
  }

  /** Records the calls that were running when the execution was cancelled, with their log lines. */
  async #recordCancelledCalls(): Promise<void> {
    const endedAt = new Date();
    const records: CallRecord[] = [];
    for (const call of this.#executing.values()) {
      const history = [...call.history];
      if (call.current !== undefined) history.push({ number: call.current.number, status: "cancelled", startedAt: call.current.startedAt, endedAt });
      records.push({ ...this.#callRecordBase(call, history.length), attemptHistory: history, status: "cancelled", endedAt });
    }
    const logs = [...this.#executing.values()].flatMap((call) => call.log.takeChunks());
    this.#executing.clear();
    await this.#init.context.store.appendLogs(logs); // before the records: log followers rely on it (execution-logs.ts)
    await this.#init.context.store.recordCalls(records);
  }

  /** The JSON value of a stored payload. */
  /** A recorded value; an inline one (most) without a store read or a chain of promises. */
  #load(payload: Payload | undefined): Promise<unknown> {
    if (payload === undefined) return Promise.resolve(null);
    if (payload.kind !== "inline") return this.#init.context.values.load(payload, { signal: this.#abort.signal });
    try {
      return Promise.resolve(this.#init.context.values.loadInline(payload));
    } catch (error) {
      return Promise.reject(error);
    }
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

  #publish(event: Parameters<ExecutionEventBus["publish"]>[0]): void {
    if (!this.#ended || event.kind === "status_changed") this.#init.context.bus.publish(event);
  }

  #end(ending: Ending): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#abort.abort(RUN_ENDED);
    if (this.#suspendCheck) clearImmediate(this.#suspendCheck);
    if (this.#logFlush) clearTimeout(this.#logFlush);
    this.#endWith(ending);
  }

  // ------------------------------------------------------------ terminal writes

  async #finish(ending: Ending): Promise<RunOutcome> {
    if (ending.kind === "stop") {
      if (ending.reason === "cancelled") await this.#recordCancelledCalls();
      return { kind: "stopped", reason: ending.reason };
    }
    await this.#reused.flush();
    const { store, transitions } = this.#init.context;
    const base = { generation: this.#generation, metadata: this.#metadata.flowText(), at: new Date() };
    if (ending.kind === "diverged") return this.#divergedOnResume(ending.detail, base);
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
        await transitions.append(this.#execId, waiting, { ...base, kind: "resumed", status: "running" });
      }
      return { kind: "waiting", state: waiting };
    }
    if (ending.kind === "returned") {
      let encoded: EncodedValue;
      try {
        encoded = this.#init.context.values.encode(ending.value, "The flow result");
      } catch (error) {
        return this.#fail(error);
      }
      const payload = await this.#init.context.values.store(encoded);
      crashPoint("before-terminal-write");
      const state = await this.#transition({ ...base, kind: "completed", status: "completed", result: payload, endedAt: base.at });
      return state === undefined ? { kind: "stopped", reason: "fenced" } : { kind: "completed", state };
    }
    return this.#fail(ending.error);
  }

  /**
   * The resumed body diverged from the record of another flow version: hold
   * the execution for runners of that version, or (when told to, or when the
   * record's version is unknown) fail it with the divergence.
   */
  async #divergedOnResume(detail: DivergenceDetail, base: { generation: number; metadata: string | undefined; at: Date }): Promise<RunOutcome> {
    const resume = this.#init.resume;
    const required = resume?.recordedFlowVersion;
    // The diverging code recorded nothing: the versions that ran the body stay those before its claim.
    const previousRuns = { flowVersionRuns: resume?.previousRuns };
    if (resume === undefined || resume.onDivergence === "fail" || required === undefined) return this.#fail(divergenceError(detail), previousRuns);
    const held = await this.#transition({
      ...base,
      kind: "held",
      status: "running",
      ...previousRuns,
      versionHold: { requiredFlowVersion: required, divergence: heldDivergence(detail), at: base.at },
    });
    return held === undefined ? { kind: "stopped", reason: "fenced" } : { kind: "held", state: held };
  }

  async #fail(error: unknown, carry: Pick<ExecutionState, "flowVersionRuns"> = {}): Promise<RunOutcome> {
    const at = new Date();
    const failure = failureOf(error);
    crashPoint("before-terminal-write");
    const state = await this.#transition({
      kind: "failed",
      status: "failed",
      generation: this.#generation,
      metadata: this.#metadata.flowText(),
      at,
      endedAt: at,
      failure,
      ...carry,
    });
    return state === undefined ? { kind: "stopped", reason: "fenced" } : { kind: "failed", state };
  }

  /** Appends a transition after our claim; undefined when someone else appended first. */
  async #transition(next: Omit<ExecutionState, "seq">): Promise<ExecutionState | undefined> {
    return this.#init.context.transitions.append(this.#execId, this.#init.claim, next);
  }
}

/** A divergence as a hold shows it: its replay, which a held (running) execution takes only once cancelled, is preceded by the cancel. */
function heldDivergence(detail: DivergenceDetail): DivergenceDetail {
  return detail.replayFrom === undefined ? detail : { ...detail, replayCommand: cancelThenReplayCommand(detail.execId, detail.replayFrom) };
}

interface Issue {
  readonly definition: CheckpointDefinition;
  readonly invocationId: string;
  readonly sequence: number;
  readonly dataDependencies: readonly string[];
  readonly loadDependencies: readonly string[];
}
