import { KitaruUsageError } from "../../../../clients/ts/src/errors/index.ts";
import type { JsonValue } from "../authoring/json-value.ts";
import type { ExecutionStore } from "../store/execution-store.ts";
import type { CallRecord, ExecutionRecord, ExecutionStatus, WaitRecord } from "../store/records.ts";
import type { ExecutionCommands } from "./execution-commands.ts";
import { pendingWaits } from "./wait-selection.ts";

/** An execution with what a read returns alongside it. */
export interface ExecutionView {
  readonly execution: ExecutionRecord;
  readonly input: JsonValue;
  readonly result: JsonValue | undefined;
  readonly pendingWaits: readonly WaitRecord[];
  /** Recorded calls; undefined in summary views. */
  readonly callCount: number | undefined;
  /** Calls in issue order (full view only). */
  readonly calls: readonly CallRecord[];
  /** Outputs by invocation ID (full view only). */
  readonly outputs: ReadonlyMap<string, JsonValue>;
}

/** A page of executions. */
export interface ExecutionPage {
  readonly executions: readonly ExecutionView[];
  readonly nextPageToken: string;
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 200;

/** Read-only views of executions for the API. */
export class ExecutionQueries {
  readonly #store: ExecutionStore;
  readonly #commands: ExecutionCommands;

  constructor(init: { store: ExecutionStore; commands: ExecutionCommands }) {
    this.#store = init.store;
    this.#commands = init.commands;
  }

  /** One execution; `full` adds its calls with their outputs. */
  async get(execId: string, options: { full: boolean }): Promise<ExecutionView> {
    return this.view(await this.#commands.require(execId), options);
  }

  /**
   * The view of a record already read. `summary` views (list pages) skip the
   * calls: on servers without secondary indexes each read scans the calls.
   */
  async view(execution: ExecutionRecord, options: { full: boolean; summary?: boolean }): Promise<ExecutionView> {
    const [calls, waits] = execution.execId === ""
      ? [[], []]
      : await Promise.all([
          options.summary ? Promise.resolve([]) : this.#store.listCalls(execution.execId),
          this.#store.listWaits(execution.execId),
        ]);
    const visible = latestCalls(calls);
    const outputs = new Map<string, JsonValue>();
    if (options.full) {
      for (const call of visible) {
        if (call.output) outputs.set(call.invocationId, JSON.parse(await this.#store.loadPayload(call.output)) as JsonValue);
      }
    }
    return {
      execution,
      input: JSON.parse(await this.#store.loadPayload(execution.input)) as JsonValue,
      result: execution.state.result ? (JSON.parse(await this.#store.loadPayload(execution.state.result)) as JsonValue) : undefined,
      pendingWaits: pendingWaits(execution, waits),
      callCount: options.summary ? undefined : visible.length,
      calls: options.full ? visible : [],
      outputs,
    };
  }

  /** The recorded calls of an execution for the planner (no outputs). */
  async callGraph(execId: string): Promise<{ execution: ExecutionRecord; input: JsonValue; calls: CallRecord[] }> {
    const execution = await this.#commands.require(execId);
    const calls = latestCalls(await this.#store.listCalls(execId));
    return { execution, input: JSON.parse(await this.#store.loadPayload(execution.input)) as JsonValue, calls };
  }

  /** Executions newest first, filtered by flow and status, paged by an opaque token (AIP-158). */
  async list(query: { flowName?: string; status?: ExecutionStatus; pageSize?: number; pageToken?: string }): Promise<ExecutionPage> {
    const pageSize = query.pageSize === undefined || query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize;
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      throw new KitaruUsageError(`\`page_size\` must be a non-negative integer; got ${query.pageSize}.`, { metadata: { pageSize: String(query.pageSize) } });
    }
    const limit = Math.min(pageSize, MAX_PAGE_SIZE);
    const after = query.pageToken ? decodePageToken(query.pageToken) : undefined;
    const records = await this.#store.listExecutions({ flowName: query.flowName || undefined, status: query.status, limit: limit + 1, after });
    const page = records.slice(0, limit);
    const last = page[page.length - 1];
    return {
      executions: await Promise.all(page.map((record) => this.view(record, { full: false, summary: true }))),
      nextPageToken: records.length > limit && last ? encodePageToken(last) : "",
    };
  }
}

/**
 * The calls to show: per invocation ID the successful record when there is
 * one, else the latest failed attempt (a retry re-runs failed calls).
 */
function latestCalls(calls: readonly CallRecord[]): CallRecord[] {
  const byInvocation = new Map<string, CallRecord>();
  for (const call of calls) {
    const seen = byInvocation.get(call.invocationId);
    if (seen === undefined || (seen.status === "failed" && (call.status !== "failed" || call.generation > seen.generation))) {
      byInvocation.set(call.invocationId, call);
    }
  }
  return [...byInvocation.values()].sort((a, b) => a.sequence - b.sequence);
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
