import { KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import type { EncodedLineage } from "#contract/wire/call-graph-encoder.ts";
import type { JsonValue } from "../authoring/json-value.ts";
import type { CallLineage, ExecutionStore } from "../store/execution-store.ts";
import type { ValueCodec } from "../store/value-codec.ts";
import type { EngineContext } from "./engine-context.ts";
import { hasOutput, type CallRecord, type ExecutionRecord, type ExecutionStatus, type Payload, type WaitRecord } from "../store/records.ts";
import type { ExecutionCommands, ExecutionRef } from "./execution-commands.ts";
import { parseValuePath, ValueBudget, type OmittedValue, type ValuePath } from "./value-budget.ts";
import { pendingWaits } from "./wait-selection.ts";

/** An execution with what a read returns alongside it. */
export interface ExecutionView {
  readonly execution: ExecutionRecord;
  /** Undefined only when left out (see `omitted`). */
  readonly input: JsonValue | undefined;
  readonly result: JsonValue | undefined;
  /** Values left out to keep the response within its value budget. */
  readonly omitted: readonly OmittedValue[];
  readonly pendingWaits: readonly WaitRecord[];
  /** How many calls are recorded (distinct invocation IDs). */
  readonly callCount: number;
  /** Calls in issue order (full view only; after `checkpointsAfter` when given). */
  readonly calls: readonly CallRecord[];
  /** Output and override values by invocation ID (full view only). */
  readonly values: ReadonlyMap<string, CallValues>;
  /** Every wait the body reached, in the order reached (full view only). */
  readonly waits: readonly WaitRecord[];
  /** The answers of resolved waits by wait name, unless left out (full view only). */
  readonly waitValues: ReadonlyMap<string, JsonValue>;
}

/** The values of one recorded call: its own output and the override the flow saw instead. */
export interface CallValues {
  readonly output?: JsonValue | undefined;
  readonly overrideValue?: JsonValue | undefined;
}

/** A page of executions. */
export interface ExecutionPage {
  readonly executions: readonly ExecutionView[];
  readonly nextPageToken: string;
  /** The token that continues after each execution, for a response that carries only the first ones. */
  readonly pageTokens: readonly string[];
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 200;

/** Read-only views of executions for the API. */
export class ExecutionQueries {
  readonly #store: ExecutionStore;
  readonly #commands: ExecutionCommands;
  readonly #values: ValueCodec;

  constructor(context: EngineContext, commands: ExecutionCommands) {
    this.#store = context.store;
    this.#commands = commands;
    this.#values = context.values;
  }

  /**
   * One execution; `full` adds its calls with their outputs, from the call
   * after sequence `checkpointsAfter` when given (the rest of a response
   * that carried only the first calls).
   */
  async get(ref: ExecutionRef, options: { full: boolean; checkpointsAfter?: number | undefined }): Promise<ExecutionView> {
    return this.view(await this.#commands.require(ref), { ...options, signal: ref.signal });
  }

  /**
   * The view of a record already read. `summary` views (list pages) skip
   * reading the calls and take their count from `callCount` (counted for a
   * whole page at once). Values past `budget` are left out and listed in
   * `omitted`: input first, then result, then call outputs and override
   * values in issue order.
   */
  async view(
    execution: ExecutionRecord,
    options: {
      full: boolean;
      checkpointsAfter?: number | undefined;
      summary?: { callCount: number };
      /** The record was created just now (by the start asking for this view): no calls or waits to read. */
      created?: true;
      budget?: ValueBudget;
      signal?: AbortSignal | undefined;
    },
  ): Promise<ExecutionView> {
    const { signal } = options;
    const budget = options.budget ?? new ValueBudget();
    const omitted: OmittedValue[] = [];
    const admit = (path: ValuePath, payload: Payload | undefined) => budget.admit(this.#values, payload, path, (value) => omitted.push(value));
    // Input and result are admitted before the first await, so a list page's
    // shared budget goes to its executions in page order.
    const input = admit({ kind: "input" }, execution.input);
    const result = admit({ kind: "result" }, execution.state.result);
    const [calls, waits] = options.created
      ? [[], []]
      : await Promise.all([
          options.summary ? Promise.resolve([]) : this.#store.listCalls(execution.execId, { signal }),
          this.#store.listWaits(execution.execId, { signal }),
        ]);
    const visible = latestCalls(calls);
    const after = options.checkpointsAfter;
    const shown = after === undefined ? visible : visible.filter((call) => call.sequence > after);
    const values = new Map<string, CallValues>();
    const waitValues = new Map<string, JsonValue>();
    if (options.full) {
      for (const call of shown) {
        const { invocationId } = call;
        const output = admit({ kind: "output", invocationId }, call.output);
        const overrideValue = admit({ kind: "override_value", invocationId }, call.overrideValue);
        values.set(invocationId, { output, overrideValue });
      }
      for (const wait of waits) {
        if (wait.resolution?.kind !== "value") continue;
        const answer = admit({ kind: "wait_value", wait: wait.name }, wait.resolution.value);
        if (answer !== undefined) waitValues.set(wait.name, answer);
      }
    }
    return {
      execution,
      input,
      result,
      omitted,
      pendingWaits: pendingWaits(execution, waits),
      callCount: options.summary ? options.summary.callCount : visible.length,
      calls: options.full ? shown : [],
      values,
      waits: options.full ? waits : [],
      waitValues,
    };
  }

  /**
   * One value of an execution as JSON text, by its path (see
   * `formatValuePath`). An unknown path, or one naming no value (a call
   * without an output), → `KitaruNotFoundError`.
   */
  async readValue(ref: ExecutionRef, pathText: string): Promise<string> {
    const path = parseValuePath(pathText);
    if (path === undefined) {
      throw new KitaruUsageError(
        '`path` must be "input", "result", "checkpoints/<invocation_id>/output", "checkpoints/<invocation_id>/override_value" or "waits/<name>/value".',
        {
          metadata: { path: pathText },
          violations: [{ field: "path", description: "not a value path" }],
        },
      );
    }
    const execution = await this.#commands.require(ref);
    const payload = await this.#payloadAt(execution, path, ref.signal);
    if (payload === undefined) {
      throw new KitaruNotFoundError(`Execution ${execution.execId} has no value at '${pathText}'.`, {
        resourceType: "value",
        resourceName: `executions/${execution.execId}/${pathText}`,
      });
    }
    return this.#values.loadText(payload, { signal: ref.signal });
  }

  async #payloadAt(execution: ExecutionRecord, path: ValuePath, signal: AbortSignal | undefined): Promise<Payload | undefined> {
    if (path.kind === "input") return execution.input;
    if (path.kind === "result") return execution.state.result;
    if (path.kind === "wait_value") {
      const resolution = (await this.#store.listWaits(execution.execId, { signal })).find((wait) => wait.name === path.wait)?.resolution;
      return resolution?.kind === "value" ? resolution.value : undefined;
    }
    const call = latestCalls(await this.#store.listCalls(execution.execId, { signal })).find((c) => c.invocationId === path.invocationId);
    return path.kind === "output" ? call?.output : call?.overrideValue;
  }

  /** The lineage of an execution's recorded calls, for the planner (no outputs). */
  async callGraph(ref: ExecutionRef): Promise<{ execution: ExecutionRecord; input: JsonValue; calls: CallLineage[] }> {
    const execution = await this.#commands.require(ref);
    const calls = latestCalls(await this.#store.listCallLineage(execution.execId, { signal: ref.signal }));
    return { execution, input: await this.#values.load(execution.input, { signal: ref.signal }), calls };
  }

  /** {@link callGraph}, its calls as the store keeps them encoded for the wire when it does (the embedded store). */
  async encodedCallGraph(ref: ExecutionRef): Promise<{ execution: ExecutionRecord; input: JsonValue; calls: CallLineage[] | EncodedLineage }> {
    const execution = await this.#commands.require(ref);
    const lineageBytes = await this.#store.encodedCallLineage?.(execution.execId, { signal: ref.signal });
    const calls = lineageBytes !== undefined ? { lineageBytes } : latestCalls(await this.#store.listCallLineage(execution.execId, { signal: ref.signal }));
    return { execution, input: await this.#values.load(execution.input, { signal: ref.signal }), calls };
  }

  /** Executions newest first, filtered by flow and status, paged by an opaque token (AIP-158). */
  async list(query: ExecutionListQuery): Promise<ExecutionPage> {
    const { signal } = query;
    const { records: page, nextPageToken } = await this.page(query);
    const counts = await this.#store.countCalls(
      page.map((record) => record.execId),
      { signal },
    );
    const budget = new ValueBudget();
    return {
      executions: await Promise.all(
        page.map((record) => this.view(record, { full: false, budget, signal, summary: { callCount: counts.get(record.execId) ?? 0 } })),
      ),
      nextPageToken,
      pageTokens: page.map(encodePageToken),
    };
  }

  /** One page of execution records, newest first, as `list` pages them (no values read). */
  async page(query: ExecutionListQuery): Promise<{ records: ExecutionRecord[]; nextPageToken: string }> {
    const pageSize = query.pageSize === undefined || query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      throw new KitaruUsageError(`\`page_size\` must be a non-negative integer; got ${query.pageSize}.`, { metadata: { pageSize: String(query.pageSize) } });
    }
    const limit = Math.min(pageSize, MAX_PAGE_SIZE);
    const after = query.pageToken ? decodePageToken(query.pageToken) : undefined;
    const records = await this.#store.listExecutions(
      { namespace: query.namespace, flowName: query.flowName || undefined, status: query.status, limit: limit + 1, after },
      { signal: query.signal },
    );
    const page = records.slice(0, limit);
    const last = page[page.length - 1];
    return { records: page, nextPageToken: records.length > limit && last ? encodePageToken(last) : "" };
  }
}

/** Which executions a list page holds. */
export interface ExecutionListQuery {
  readonly namespace: string;
  readonly flowName?: string | undefined;
  readonly status?: ExecutionStatus | undefined;
  readonly pageSize?: number | undefined;
  readonly pageToken?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The calls to show: per invocation ID the record with an output when there
 * is one, else the latest failed or cancelled one (a retry re-runs those).
 */
export function latestCalls<C extends CallLineage>(calls: readonly C[]): C[] {
  // The usual case, in linear time without a map: outcomes only, in issue order, so already one
  // per invocation (a store records an invocation's outcome once).
  if (outcomesInOrder(calls)) return calls.slice();
  const byInvocation = new Map<string, C>();
  for (const call of calls) {
    const seen = byInvocation.get(call.invocationId);
    if (seen === undefined || (!hasOutput(seen) && (hasOutput(call) || call.generation > seen.generation))) {
      byInvocation.set(call.invocationId, call);
    }
  }
  return [...byInvocation.values()].sort((a, b) => a.sequence - b.sequence);
}

/** True when every call has its output recorded (no failed or cancelled record) and they are in sequence order. */
function outcomesInOrder(calls: readonly CallLineage[]): boolean {
  let sequence = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    if (!hasOutput(call) || call.sequence < sequence) return false;
    sequence = call.sequence;
  }
  return true;
}

/** The token of a full view's checkpoint calls after the call with `sequence` (`Execution.checkpoints_next_page_token`). */
export function checkpointsPageToken(sequence: number): string {
  return Buffer.from(JSON.stringify({ after: sequence })).toString("base64url");
}

/** The sequence a {@link checkpointsPageToken} continues after; a usage error for anything else. */
export function checkpointsAfter(token: string): number {
  try {
    const after = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { after?: unknown }).after;
    if (typeof after === "number" && Number.isSafeInteger(after) && after >= 0) return after;
  } catch {
    // not JSON: refused below
  }
  throw new KitaruUsageError("`checkpoints_page_token` is not a token returned by GetExecution.", {
    metadata: { checkpointsPageToken: token.slice(0, 100) },
    violations: [{ field: "checkpoints_page_token", description: "not a token returned by GetExecution" }],
  });
}

function encodePageToken(record: ExecutionRecord): string {
  return Buffer.from(JSON.stringify({ c: record.createdAt.toISOString(), i: record.execId })).toString("base64url");
}

function decodePageToken(token: string): { createdAt: Date; execId: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { c?: unknown; i?: unknown };
    const createdAt = new Date(String(parsed.c));
    if (typeof parsed.i !== "string" || Number.isNaN(createdAt.getTime())) throw new Error("bad token");
    return { createdAt, execId: parsed.i };
  } catch {
    throw new KitaruUsageError("`page_token` is not a token returned by ListExecutions.", { metadata: { pageToken: token } });
  }
}
