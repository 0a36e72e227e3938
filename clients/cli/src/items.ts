/**
 * The snake_case JSON items of `-o json` output, in Kitaru's serialization
 * conventions (`exec_id`, `flow_name`, `original_exec_id`, ...).
 *
 * Absent values are `null`, never left out, so scripts can rely on the keys.
 *
 * @module
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type {
  CallAttempt,
  CheckpointCall,
  DivergenceDetail,
  Execution,
  ExecutionEvent,
  ExecutionFailure,
  PlannedCall,
  ReplayPlan,
  VersionHold,
  Wait,
} from "../../ts/src/index.ts";

const iso = (date: Date | undefined): string | null => (date === undefined ? null : date.toISOString());
const orNull = (text: string): string | null => (text === "" ? null : text);

/** A divergence's evidence, with the flow versions and the replay that moves the work to new code. */
export function divergenceItem(detail: DivergenceDetail): JsonObject {
  return {
    exec_id: detail.execId,
    source_exec_id: detail.sourceExecId,
    invocation_id: detail.invocationId,
    kind: detail.kind,
    recorded: detail.recorded,
    seen: detail.seen,
    recorded_dependencies: [...detail.recordedDependencies],
    seen_dependencies: [...detail.seenDependencies],
    recorded_flow_version: detail.recordedFlowVersion ?? null,
    flow_version: detail.flowVersion ?? null,
    replay_command: detail.replayCommand ?? null,
  };
}

/** A version hold: the version the execution waits for, and why. */
function versionHoldItem(hold: VersionHold | undefined): JsonObject | null {
  if (hold === undefined) return null;
  return {
    required_flow_version: hold.requiredFlowVersion,
    divergence: hold.divergence === undefined ? null : divergenceItem(hold.divergence),
    since: iso(hold.createTime),
  };
}

/** `failure` {origin, message, exception_type, traceback, invocation_id} (+ divergence), or null. */
function failureItem(failure: ExecutionFailure | undefined): JsonObject | null {
  if (failure === undefined) return null;
  return {
    origin: failure.origin,
    message: failure.message,
    exception_type: failure.exceptionType,
    traceback: failure.traceback ?? null,
    invocation_id: orNull(failure.invocationId),
    ...(failure.divergence === undefined ? {} : { divergence: divergenceItem(failure.divergence) }),
  };
}

/** A wait: `wait_id`, `name`, `question`, `schema` (+ status, value, times). */
function waitItem(wait: Wait): JsonObject {
  return {
    wait_id: wait.waitId,
    name: wait.name,
    question: orNull(wait.question),
    schema: wait.schema ?? null,
    metadata: wait.metadata,
    status: wait.status,
    value: wait.value ?? null,
    exec_id: wait.execId,
    create_time: iso(wait.createTime),
    resolve_time: iso(wait.resolveTime),
    answered_by: wait.answeredBy ?? null,
    answer_source_exec_id: wait.answerSourceExecId ?? null,
    source_answer_note: wait.sourceAnswerNote ?? null,
  };
}

/** Kitaru's `pending_wait`: `wait_id`, `name`, `question`, `schema`, `metadata`, `entered_waiting_at`; null when none. */
function pendingWaitItem(wait: Wait | undefined): JsonObject | null {
  if (wait === undefined) return null;
  const { wait_id, name, question, schema, metadata } = waitItem(wait);
  return { wait_id, name, question, schema, metadata, entered_waiting_at: iso(wait.createTime) } as JsonObject;
}

/** One attempt of a call: `attempt`, `status`, `started_at`, `ended_at`, `failure` (Kitaru's attempt shape). */
function attemptItem(attempt: CallAttempt): JsonObject {
  return {
    attempt: attempt.number,
    status: attempt.status,
    started_at: iso(attempt.startTime),
    ended_at: iso(attempt.endTime),
    failure: failureItem(attempt.failure),
  };
}

/**
 * A checkpoint call: `call_id`, `invocation_id`, `name`, `status`, `output`,
 * `override_value`, `metadata`, `attempts` (a list, as Kitaru's) and more.
 * `reused_from_call_id` is also given under Kitaru's name `original_call_id`.
 */
function checkpointItem(call: CheckpointCall): JsonObject {
  return {
    call_id: call.callId,
    invocation_id: call.invocationId,
    name: call.name,
    status: call.status,
    attempt_count: call.attempts,
    attempts: call.attemptHistory.map(attemptItem),
    sequence: call.sequence,
    reused_from_call_id: orNull(call.reusedFromCallId),
    original_call_id: orNull(call.reusedFromCallId),
    overridden: call.overridden,
    output: call.output ?? null,
    override_value: call.overrideValue ?? null,
    metadata: call.metadata,
    data_dependencies: [...call.dataDependencies],
    load_dependencies: [...call.loadDependencies],
    failure: failureItem(call.failure),
    started_at: iso(call.startTime),
    ended_at: iso(call.endTime),
  };
}

/** An execution, with its pending waits and checkpoint calls. */
export function executionItem(execution: Execution): JsonObject {
  return {
    exec_id: execution.execId,
    flow_name: execution.flowName,
    status: execution.status,
    original_exec_id: orNull(execution.originalExecId),
    input: execution.input,
    result: execution.result ?? null,
    failure: failureItem(execution.failure),
    retry_count: execution.retryCount,
    // Kitaru's field: the wait the execution is waiting on (the first pending one), or null.
    pending_wait: pendingWaitItem(execution.pendingWaits[0]),
    // kitaru's own: every pending wait (an execution may wait on several at once).
    pending_waits: execution.pendingWaits.map((wait) => ({
      wait_id: wait.waitId,
      name: wait.name,
      question: orNull(wait.question),
      schema: wait.schema ?? null,
    })),
    checkpoint_count: execution.checkpointCount,
    checkpoints: execution.checkpoints.map(checkpointItem),
    replay:
      execution.replay === undefined
        ? null
        : {
            from: execution.replay.from,
            roots: [...execution.replay.roots],
            override_keys: [...execution.replay.overrideKeys],
            source_flow_version: execution.replay.sourceFlowVersion ?? null,
            answer_waits_from_source: [...(execution.replay.answerWaitsFromSource ?? [])],
          },
    flow_version: orNull(execution.flowVersion),
    flow_version_runs: execution.flowVersionRuns.map((run) => ({ flow_version: run.flowVersion, started_at: iso(run.startTime) })),
    version_hold: versionHoldItem(execution.versionHold),
    waits: execution.waits.map(waitItem),
    metadata: execution.metadata,
    started_at: iso(execution.createTime),
    updated_at: iso(execution.updateTime),
    ended_at: iso(execution.endTime),
    // Only list results leave values out; `executions get` reads them all.
    ...(execution.omittedValues.length === 0 ? {} : { omitted_values: execution.omittedValues.map((value) => ({ path: value.path, bytes: value.bytes })) }),
  };
}

const ids = (calls: readonly PlannedCall[]): string[] => calls.map((call) => call.invocationId);

/** A replay plan: `roots`, `reexecute`, `reuse` (invocation IDs) and `overrides` keyed by override key. */
export function planItem(plan: ReplayPlan): JsonObject {
  const overrides: JsonObject = {};
  for (const override of plan.overrides) {
    overrides[override.key] = {
      target: override.target.invocationId || null,
      consumers: [...override.consumerInvocationIds],
      value: override.value,
    };
  }
  return {
    source_exec_id: plan.sourceExecId,
    flow_name: plan.flowName,
    from: plan.from,
    from_call: plan.fromCall === undefined ? null : plan.fromCall.invocationId,
    roots: ids(plan.roots),
    reexecute: ids(plan.reexecute),
    reuse: ids(plan.reuse),
    overrides,
    input: plan.input,
    source_flow_version: orNull(plan.sourceFlowVersion),
    flow_version: orNull(plan.flowVersion),
    answer_waits_from_source: [...plan.answerWaitsFromSource],
  };
}

const eventKinds = {
  callStarted: "call_started",
  callCompleted: "call_completed",
  callReused: "call_reused",
  callFailed: "call_failed",
  callCancelled: "call_cancelled",
  waitPending: "wait_pending",
  waitResolved: "wait_resolved",
  statusChanged: "status_changed",
} as const satisfies Record<ExecutionEvent["kind"], string>;

/** A watch event: `kind` in snake_case, `exec_id`, `time`, and `call`, `wait` or `status`/`result`/`failure`. */
export function eventItem(event: ExecutionEvent): JsonObject {
  const base = { kind: eventKinds[event.kind], exec_id: event.execId, time: iso(event.time) };
  switch (event.kind) {
    case "callStarted":
    case "callCompleted":
    case "callReused":
    case "callFailed":
    case "callCancelled":
      return { ...base, call: checkpointItem(event.call) };
    case "waitPending":
    case "waitResolved":
      return { ...base, wait: waitItem(event.wait) };
    case "statusChanged":
      return {
        ...base,
        status: event.status,
        result: event.result ?? null,
        failure: failureItem(event.failure),
        metadata: event.metadata,
        flow_version: event.flowVersion ?? null,
        version_hold: versionHoldItem(event.versionHold),
      };
  }
}
