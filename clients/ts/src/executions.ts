/**
 * `client.executions`: read, steer and replay executions.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { ExecutionView, type Execution as ExecutionPb } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { executionEventFromProto, statusChangeFromProto, type ExecutionEvent, type StatusChangedEvent } from "./convert/event.ts";
import { executionFromProto, type Execution } from "./convert/execution.ts";
import { executionHistoryFromProto, verificationFromProto, type ExecutionHistory, type ExecutionVerification } from "#contract/execution-verification.ts";
import { valueFromJson } from "./convert/json.ts";
import { comparisonFromProto, lineageFromProto, type ExecutionComparison, type ExecutionLineage } from "./convert/lineage.ts";
import { logEntryFromProto, type LogEntry } from "./convert/log-entry.ts";

import { replayPlanFromProto, type ReplayPlan } from "./convert/replay-plan.ts";
import { EXECUTION_STATUSES, executionStatusToProto, isExecutionStatus, type ExecutionStatus } from "#contract/status.ts";
import { waitFromProto, type Wait } from "./convert/wait.ts";
import { KitaruInternalError, KitaruNotFoundError, KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import { ExecutionHandle } from "./execution-handle.ts";
import { fillOmittedEventValue, fillOmittedStatusResult, fillOmittedValues, readExecutionValue } from "./execution-values.ts";
import { retryUnderRequestId } from "./retry-backend.ts";
import { callRpc, streamRpc } from "./rpc-error.ts";

/** The most executions one `ListExecutions` page returns. */
const MAX_PAGE_SIZE = 200;
/** The most lines one `ListExecutionLogs` page returns. */
const MAX_LOG_PAGE_SIZE = 1000;

/** Options of {@link ExecutionsClient.get}. */
export interface GetExecutionOptions {
  /** `full` (default) includes checkpoint calls and their outputs; `basic` leaves them out. */
  readonly view?: "basic" | "full" | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Filters and paging of {@link ExecutionsClient.list}. */
export interface ListExecutionsOptions {
  /** Only executions of this flow. */
  readonly flow?: string | undefined;
  /** Only executions in this status. */
  readonly status?: ExecutionStatus | undefined;
  /** Return at most this many, following pages as needed (>= 1). */
  readonly limit?: number | undefined;
  /** Executions per page (server default 20, at most 200). */
  readonly pageSize?: number | undefined;
  /** Start at this `nextPageToken`; without `limit`, only that one page is returned. */
  readonly pageToken?: string | undefined;
}

/** Filters of {@link ExecutionsClient.latest}. */
export interface LatestExecutionOptions {
  readonly flow?: string | undefined;
  readonly status?: ExecutionStatus | undefined;
}

/** What to replay: the `from` selector, new input fields and output overrides. */
export interface PlanReplayOptions {
  /** Checkpoint selector: name, invocation ID or call ID. Required. */
  readonly from: string;
  /** Flow input fields, shallow-merged onto the source execution's input. */
  readonly args?: JsonObject | undefined;
  /** Output overrides keyed `checkpoint.<selector>`. */
  readonly overrides?: JsonObject | undefined;
  /**
   * Accept override values of another type than the output they replace.
   * Without it, a value that does not fit the checkpoint's `outputSchema`
   * (or the JSON type of its recorded output) is a `KitaruUsageError` and
   * nothing is created.
   */
  readonly allowOverrideTypeChange?: boolean | undefined;
  /**
   * Wait names (the `name` given to `wait()`) the replay answers with the
   * source execution's recorded answer to the wait of the same occurrence,
   * instead of stopping there. Such an answer is recorded as copied from the
   * source (`Wait.answeredBy`); a wait the source never answered waits for an
   * input as usual (`Wait.sourceAnswerNote` says why). Default: none, every
   * wait asks again.
   */
  readonly answerWaitsFromSource?: readonly string[] | undefined;
}

/** {@link PlanReplayOptions} plus an idempotency key. */
export interface ReplayOptions extends PlanReplayOptions {
  /** The same request ID returns the same new execution instead of creating another. */
  readonly requestId?: string | undefined;
}

/** Which executions {@link ExecutionsClient.verify} checks: by ID, or by flow and status (newest first). */
export interface VerifyExecutionsOptions {
  /** These executions (at most 200); the filter is then not used. */
  readonly execIds?: readonly string[];
  readonly flow?: string;
  readonly status?: ExecutionStatus;
  /** At most this many executions by the filter (default 20). */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** What {@link ExecutionsClient.verify} found. */
export interface VerifyExecutionsResult {
  /** The flow version of the code checked: the runner's. */
  readonly flowVersion: string;
  readonly results: readonly ExecutionVerification[];
}

/** Options of {@link ExecutionsClient.logs}. */
export interface ExecutionLogsOptions {
  /** Only lines of calls whose checkpoint name, invocation ID or call ID equals this. */
  readonly checkpoint?: string | undefined;
  /** Return at most this many lines (>= 1); all by default. */
  readonly limit?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Options of {@link ExecutionsClient.followLogs}. */
export interface FollowLogsOptions {
  /** Only lines of calls whose checkpoint name, invocation ID or call ID equals this. */
  readonly checkpoint?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What {@link ExecutionsClient.followLogs} yields: a log line, or the execution's new status. */
export type LogFollowEvent = { readonly kind: "log"; readonly entry: LogEntry } | Omit<StatusChangedEvent, "execId" | "time">;

/** Options of {@link ExecutionsClient.watch}. */
export interface WatchExecutionOptions {
  /** Keep streaming while the execution waits for input; by default the stream ends when it waits. */
  readonly followWaits?: boolean | undefined;
  /**
   * Only status changes, starting with the current status: no history and no
   * call or wait events (the cheapest way to learn when it ends).
   */
  readonly statusOnly?: boolean | undefined;
  /**
   * Start the history after this call sequence number (resume a watch that
   * broke off: the highest sequence up to which every call's end was seen).
   */
  readonly afterSequence?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

function requireExecution(execution: ExecutionPb | undefined, method: string): Execution {
  if (execution === undefined) {
    throw new KitaruInternalError(`The server answered ${method} without an execution.`, { metadata: { method } });
  }
  return executionFromProto(execution);
}

function checkStatus(status: string | undefined): ExecutionStatus | undefined {
  if (status === undefined) return undefined;
  if (!isExecutionStatus(status)) {
    throw new KitaruUsageError(`Unsupported status filter '${status}'. Expected one of: ${EXECUTION_STATUSES.join(", ")}.`, { metadata: { status } });
  }
  return status;
}

function checkPositive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new KitaruUsageError(`\`${name}\` must be >= 1 when provided.`, { metadata: { [name]: String(value) } });
  }
  return value;
}

function describeFilters(flow: string | undefined, status: string | undefined): string {
  const parts = [flow === undefined ? "" : `flow='${flow}'`, status === undefined ? "" : `status='${status}'`];
  const filters = parts.filter(Boolean).join(" and ");
  return filters ? ` for ${filters}` : "";
}

/**
 * The executions API of a {@link KitaruClient}: `client.executions`.
 *
 * Replay and its dry run go to the PlannerService; everything else to the
 * RunnerService. Every failure is a typed `KitaruError`.
 */
export class ExecutionsClient {
  readonly #runner: Client<typeof RunnerService>;
  readonly #planner: Client<typeof PlannerService>;

  /** @private Created by `KitaruClient`. */
  constructor(runner: Client<typeof RunnerService>, planner: Client<typeof PlannerService>) {
    this.#runner = runner;
    this.#planner = planner;
  }

  /** One execution, with its checkpoint calls unless `view` is `basic`. Unknown ID → `KitaruNotFoundError`. */
  async get(execId: string, options: GetExecutionOptions = {}): Promise<Execution> {
    const view = options.view === "basic" ? ExecutionView.BASIC : ExecutionView.FULL;
    return requireExecution(await this.#read(execId, view, options.signal), "GetExecution");
  }

  /** One execution with every value its responses left out read and put in place, and all its calls (a long one's come in several responses). */
  async #read(execId: string, view: ExecutionView, signal: AbortSignal | undefined): Promise<ExecutionPb | undefined> {
    const read = (checkpointsPageToken: string) => callRpc(() => this.#runner.getExecution({ execId, view, checkpointsPageToken }, signal ? { signal } : {}));
    const execution = (await read("")).execution;
    if (execution === undefined) return undefined;
    await fillOmittedValues(this.#runner, execution, signal);
    // Each response stays within the response bound: read on to the last call.
    for (let token = execution.checkpointsNextPageToken; token !== ""; ) {
      const next = (await read(token)).execution;
      if (next === undefined) return undefined;
      next.omittedValues = next.omittedValues.filter((omitted) => omitted.path.startsWith("checkpoints/"));
      await fillOmittedValues(this.#runner, next, signal);
      execution.checkpoints.push(...next.checkpoints);
      token = next.checkpointsNextPageToken;
    }
    execution.checkpointsNextPageToken = "";
    return execution;
  }

  /**
   * The execution's recorded history, as `executions verify --flows` checks
   * it against other code: its input, every call with the output the body
   * saw, every wait with its answer (values left out of the response are read).
   */
  async history(execId: string, options: { signal?: AbortSignal } = {}): Promise<ExecutionHistory> {
    const execution = await this.#read(execId, ExecutionView.FULL, options.signal);
    if (execution === undefined) throw new KitaruInternalError("The server answered GetExecution without an execution.", { metadata: { execId } });
    return executionHistoryFromProto(execution);
  }

  /**
   * Checks recorded executions against the flow code the runner serves,
   * without running a checkpoint or writing anything: per execution,
   * whether that code would continue it (`compatible`), diverges from its
   * record (`diverged`, with the evidence), would fail, or was skipped.
   * Pages through a filter up to `limit`.
   */
  async verify(options: VerifyExecutionsOptions = {}): Promise<VerifyExecutionsResult> {
    const call = options.signal ? { signal: options.signal } : {};
    const execIds = [...(options.execIds ?? [])];
    if (execIds.length > 0) {
      const response = await callRpc(() => this.#runner.verifyExecutions({ execIds }, call));
      return { flowVersion: response.flowVersion, results: response.results.map(verificationFromProto) };
    }
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1) throw new KitaruUsageError("`limit` must be >= 1 when provided.", { metadata: { limit: String(limit) } });
    const results: ExecutionVerification[] = [];
    let flowVersion = "";
    let pageToken = "";
    do {
      const response = await callRpc(() =>
        this.#runner.verifyExecutions(
          {
            flowName: options.flow ?? "",
            status: options.status === undefined ? undefined : executionStatusToProto(options.status),
            pageSize: Math.min(limit - results.length, 200),
            pageToken,
          },
          call,
        ),
      );
      flowVersion = response.flowVersion;
      results.push(...response.results.map(verificationFromProto));
      pageToken = response.nextPageToken;
    } while (pageToken !== "" && results.length < limit);
    return { flowVersion, results };
  }

  /**
   * The execution's family: the original it descends from through replays,
   * then every replay of it and of its replays, level by level (at most
   * `maxNodes`, default 200). Unknown ID → `KitaruNotFoundError`.
   */
  async lineage(execId: string, options: { maxNodes?: number; signal?: AbortSignal } = {}): Promise<ExecutionLineage> {
    const response = await callRpc(() =>
      this.#runner.getExecutionLineage({ execId, maxNodes: options.maxNodes ?? 0 }, options.signal ? { signal: options.signal } : {}),
    );
    if (response.lineage === undefined) throw new KitaruInternalError("The server answered GetExecutionLineage without a lineage.");
    return lineageFromProto(response.lineage);
  }

  /**
   * `otherExecId` compared with `baseExecId` call by call (typically a replay
   * with its source): reused, same output, changed output, overridden, new,
   * not reached, with JSON diffs of what the flow saw.
   */
  async compare(baseExecId: string, otherExecId: string, options: { signal?: AbortSignal } = {}): Promise<ExecutionComparison> {
    const response = await callRpc(() => this.#runner.compareExecutions({ baseExecId, otherExecId }, options.signal ? { signal: options.signal } : {}));
    if (response.comparison === undefined) throw new KitaruInternalError("The server answered CompareExecutions without a comparison.");
    return comparisonFromProto(response.comparison);
  }

  /**
   * One value of an execution, by its path: `input`, `result`,
   * `checkpoints/<invocation_id>/output`,
   * `checkpoints/<invocation_id>/override_value` or `waits/<name>/value`. `get()` already reads the
   * values a response left out; this reads those of `list()` results
   * (`execution.omittedValues`). No such value → `KitaruNotFoundError`.
   */
  async readValue(execId: string, path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<JsonValue> {
    return readExecutionValue(this.#runner, execId, path, options.signal);
  }

  /**
   * Executions, newest first, without checkpoint calls.
   *
   * With `limit`, pages are followed until `limit` executions are found; with
   * only `pageSize`/`pageToken`, one page is returned; with neither, all.
   * An unknown `status` or a `limit` below 1 → `KitaruUsageError`.
   */
  async list(options: ListExecutionsOptions = {}): Promise<Execution[]> {
    const status = checkStatus(options.status);
    const limit = checkPositive("limit", options.limit);
    const pageSize = checkPositive("pageSize", options.pageSize) ?? (limit === undefined ? 0 : Math.min(limit, MAX_PAGE_SIZE));
    const onePage = limit === undefined && (options.pageSize !== undefined || options.pageToken !== undefined);
    const executions: Execution[] = [];
    let pageToken = options.pageToken ?? "";
    for (;;) {
      const response = await callRpc(() =>
        this.#runner.listExecutions({
          flowName: options.flow ?? "",
          status: status === undefined ? undefined : executionStatusToProto(status),
          pageSize,
          pageToken,
        }),
      );
      for (const execution of response.executions) {
        executions.push(executionFromProto(execution));
        if (limit !== undefined && executions.length >= limit) return executions;
      }
      pageToken = response.nextPageToken;
      if (onePage || pageToken === "") return executions;
    }
  }

  /** The newest execution matching the filters, with its checkpoint calls. None → `KitaruNotFoundError`. */
  async latest(options: LatestExecutionOptions = {}): Promise<Execution> {
    const [newest] = await this.list({ flow: options.flow, status: options.status, limit: 1 });
    if (newest === undefined) {
      throw new KitaruNotFoundError(`No executions found${describeFilters(options.flow, options.status)}.`, {
        resourceType: "execution",
        resourceName: "",
        metadata: { ...(options.flow ? { flow: options.flow } : {}), ...(options.status ? { status: options.status } : {}) },
      });
    }
    return this.get(newest.execId);
  }

  /** The pending waits of an execution, oldest first. */
  async pendingWaits(execId: string): Promise<Wait[]> {
    const response = await callRpc(() => this.#runner.listPendingWaits({ execId }));
    return response.waits.map(waitFromProto);
  }

  /**
   * Answers a pending wait; the execution continues by itself.
   *
   * `wait` matches a pending wait's name first, then its wait ID. A value
   * rejected by the wait's schema → `KitaruWaitValidationError` (the
   * execution keeps waiting); no such wait → `KitaruStateError`.
   */
  async input(execId: string, options: { readonly wait: string; readonly value?: JsonValue }): Promise<Execution> {
    const value = valueFromJson(options.value ?? null);
    const response = await callRpc(() => this.#runner.resolveWait({ execId, wait: options.wait, value }));
    return requireExecution(response.execution, "ResolveWait");
  }

  /** Aborts a pending wait (name first, then wait ID); the execution ends `cancelled`. */
  async abortWait(execId: string, options: { readonly wait: string }): Promise<Execution> {
    const response = await callRpc(() => this.#runner.abortWait({ execId, wait: options.wait }));
    return requireExecution(response.execution, "AbortWait");
  }

  /** Restarts a `failed` execution under the same ID; completed calls are reused. Otherwise → `KitaruStateError`. */
  async retry(execId: string): Promise<Execution> {
    const response = await callRpc(() => this.#runner.retryExecution({ execId }));
    return requireExecution(response.execution, "RetryExecution");
  }

  /** Cancels a `running` or `waiting` execution; it ends `cancelled`. */
  async cancel(execId: string): Promise<Execution> {
    const response = await callRpc(() => this.#runner.cancelExecution({ execId }));
    return requireExecution(response.execution, "CancelExecution");
  }

  /**
   * Replays an execution as a new one; the source never changes.
   *
   * The result's `originalExecId` names the source. Calls outside the replay
   * roots and their descendants are reused. Bad selectors or override keys →
   * `KitaruUsageError`/`KitaruStateError`; nothing is created then.
   *
   * Always idempotent: without a `requestId` one is generated, and a call
   * that fails with `KitaruBackendError` (the planner or runner did not
   * answer) is retried with the same ID, so a retry never creates a second
   * execution. When the retries fail too, the error's `requestId` metadata
   * (and its message) names the ID to repeat the request with.
   */
  async replay(execId: string, options: ReplayOptions): Promise<Execution> {
    const requestId = options.requestId ?? randomUUID();
    const response = await retryUnderRequestId(requestId, () => callRpc(() => this.#planner.replayExecution({ ...replayRequest(execId, options), requestId })));
    return requireExecution(response.execution, "ReplayExecution");
  }

  /** The plan a replay would follow, computed without creating anything (dry run); same errors as `replay()`. */
  async planReplay(execId: string, options: PlanReplayOptions): Promise<ReplayPlan> {
    const response = await callRpc(() => this.#planner.planReplay(replayRequest(execId, options)));
    if (response.plan === undefined) {
      throw new KitaruInternalError("The server answered PlanReplay without a plan.", { metadata: { method: "PlanReplay" } });
    }
    return replayPlanFromProto(response.plan);
  }

  /**
   * The events of an execution: its history first (unless `statusOnly`), then
   * live events until it reaches a terminal status (or waits, unless `followWaits`).
   */
  async *watch(execId: string, options: WatchExecutionOptions = {}): AsyncGenerator<ExecutionEvent, void, undefined> {
    const request = { execId, followWaits: options.followWaits ?? false, statusOnly: options.statusOnly ?? false, afterSequence: options.afterSequence ?? 0 };
    const stream = streamRpc(() => this.#runner.watchExecution(request, options.signal ? { signal: options.signal } : {}));
    for await (const response of stream) {
      if (response.event === undefined) continue;
      await fillOmittedEventValue(this.#runner, response.event, options.signal);
      const event = executionEventFromProto(response.event);
      if (event !== undefined) yield event;
    }
  }

  /**
   * The lines checkpoint code wrote (`console.*` and the authoring API's
   * `logger`), oldest first: by call issue order, attempt, then time.
   * A `checkpoint` filter naming no call of a finished execution →
   * `KitaruStateError`; `limit` below 1 → `KitaruUsageError`.
   */
  async logs(execId: string, options: ExecutionLogsOptions = {}): Promise<LogEntry[]> {
    const limit = checkPositive("limit", options.limit);
    const entries: LogEntry[] = [];
    let pageToken = "";
    for (;;) {
      const pageSize = limit === undefined ? MAX_LOG_PAGE_SIZE : Math.min(limit - entries.length, MAX_LOG_PAGE_SIZE);
      const response = await callRpc(() =>
        this.#runner.listExecutionLogs({ execId, checkpoint: options.checkpoint ?? "", pageSize, pageToken }, options.signal ? { signal: options.signal } : {}),
      );
      entries.push(...response.entries.map(logEntryFromProto));
      pageToken = response.nextPageToken;
      if (pageToken === "" || (limit !== undefined && entries.length >= limit)) return entries;
    }
  }

  /**
   * Follows an execution's log lines: those written so far, then new ones as
   * they are written, with each status change, until the execution ends (the
   * last event is its terminal status) or `signal` aborts.
   */
  async *followLogs(execId: string, options: FollowLogsOptions = {}): AsyncGenerator<LogFollowEvent, void, undefined> {
    const stream = streamRpc(() =>
      this.#runner.watchExecutionLogs({ execId, checkpoint: options.checkpoint ?? "" }, options.signal ? { signal: options.signal } : {}),
    );
    for await (const response of stream) {
      const kind = response.kind;
      if (kind.case === "entry") {
        yield { kind: "log", entry: logEntryFromProto(kind.value) };
      } else if (kind.case === "statusChanged") {
        await fillOmittedStatusResult(this.#runner, execId, kind.value, options.signal);
        yield statusChangeFromProto(kind.value);
      }
    }
  }

  /** A handle on an execution, to wait for its result or follow it. Makes no call. */
  handle<TResult = JsonValue>(execId: string): ExecutionHandle<TResult> {
    return new ExecutionHandle<TResult>(this, execId);
  }
}

/** The fields PlanReplay and ReplayExecution requests share. */
function replayRequest(execId: string, options: PlanReplayOptions) {
  return {
    execId,
    from: options.from,
    args: options.args,
    overrides: options.overrides,
    allowOverrideTypeChange: options.allowOverrideTypeChange ?? false,
    answerWaitsFromSource: [...(options.answerWaitsFromSource ?? [])],
  };
}
