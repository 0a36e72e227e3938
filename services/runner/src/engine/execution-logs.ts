import { KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import type { ExecutionStore, LogPosition } from "../store/execution-store.ts";
import { hasOutput, type CallRecord, type ExecutionRecord, type ExecutionState, type ExecutionStatus, type LogChunkRecord } from "../store/records.ts";
import type { EngineContext } from "./engine-context.ts";
import type { ExecutionCommands, ExecutionRef } from "./execution-commands.ts";
import type { LogEntry } from "./execution-events.ts";
import { PollPause } from "./poll-pause.ts";

/** A page of log entries. */
export interface LogPage {
  readonly entries: readonly LogEntry[];
  readonly nextPageToken: string;
  /** The token that continues after each entry, for a response that carries only the first ones. */
  readonly pageTokens: readonly string[];
}

/** What a log follower receives: a line, or a status change of the execution. */
export type LogFollowEvent = { readonly kind: "entry"; readonly entry: LogEntry } | { readonly kind: "status"; readonly state: ExecutionState };

/** What the log readers use: the engine's store and bus, and its commands (to find the execution). */
type LogDeps = Pick<EngineContext, "store" | "bus"> & { readonly commands: ExecutionCommands };

const DEFAULT_PAGE_SIZE = 200;
const MAX_PAGE_SIZE = 1000;
/** Chunks read per store query while filling a page. */
const CHUNKS_PER_READ = 100;
const TERMINAL: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled"]);

/** Where the previous page stopped: the chunk of its last line, and that line's index. */
interface LogCursor extends LogPosition {
  readonly callId: string;
  readonly index: number;
}

/**
 * One page of the log lines checkpoint code wrote, oldest first: by call
 * issue order, retry generation, attempt, then time. `checkpoint` keeps the
 * lines of calls whose name, invocation ID or call ID equals it.
 */
export async function listExecutionLogs(
  deps: LogDeps,
  ref: ExecutionRef,
  query: { checkpoint?: string; pageSize?: number; pageToken?: string },
): Promise<LogPage> {
  const execution = await deps.commands.require(ref);
  const { execId } = execution;
  const checkpoint = await checkCheckpoint(deps.store, execution, query.checkpoint);
  const pageSize = query.pageSize === undefined || query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize;
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw new KitaruUsageError(`\`page_size\` must be a non-negative integer; got ${query.pageSize}.`, { metadata: { pageSize: String(query.pageSize) } });
  }
  const limit = Math.min(pageSize, MAX_PAGE_SIZE);
  const cursor = query.pageToken ? decodeCursor(query.pageToken) : undefined;
  const entries: LogEntry[] = [];
  let from: LogPosition | undefined = cursor;
  let more = false;
  for (;;) {
    const chunks = await deps.store.listLogs(execId, { checkpoint, from, limit: CHUNKS_PER_READ });
    for (const chunk of chunks) {
      for (const entry of entriesOf(chunk)) {
        if (cursor && isAtOrBefore(entry, cursor)) continue;
        if (entries.length === limit) {
          more = true;
          break;
        }
        entries.push(entry);
      }
      if (more) break;
    }
    const last = chunks.at(-1);
    if (more || chunks.length < CHUNKS_PER_READ || last === undefined) break;
    from = { ...last, chunk: last.chunk + 1 };
  }
  const lastEntry = entries.at(-1);
  return { entries, nextPageToken: more && lastEntry ? encodeCursor(lastEntry) : "", pageTokens: entries.map(encodeCursor) };
}

/**
 * Follows an execution's log lines: every line written so far, then new
 * ones as they are written, with the execution's status changes, until it
 * reaches a terminal status (the last event) or `signal` aborts.
 *
 * Lines of calls this process runs arrive at once; lines written by other
 * runners are read from the store every `pollMs` (they are stored at least
 * once a second while a call runs).
 */
export async function* followExecutionLogs(
  deps: LogDeps,
  ref: ExecutionRef,
  options: { checkpoint?: string; signal: AbortSignal; pollMs?: number },
): AsyncGenerator<LogFollowEvent> {
  const execution = await deps.commands.require(ref);
  const { execId } = execution;
  const checkpoint = await checkCheckpoint(deps.store, execution, options.checkpoint);
  const live: LogEntry[] = [];
  const pause = new PollPause();
  const unsubscribe = deps.bus.subscribe(execId, (event) => {
    if (event.kind === "log_line" && (checkpoint === undefined || matches(event.entry, checkpoint))) live.push(event.entry);
    if (event.kind === "log_line" || event.kind === "status_changed") pause.wake();
  });
  const sent = new Set<string>();
  let lastStatus: ExecutionStatus | undefined;
  // Chunks are written in time order, not listing order (calls run concurrently). A call's chunks are
  // all stored before its record, so each round reads again from the first call that had no record
  // when the previous round began: no line of a call that was still running is skipped.
  let readFrom: LogPosition | undefined;
  try {
    for (;;) {
      // The status is read first: the calls of an execution that ended are all recorded, so the last
      // round (after a terminal status) misses no line.
      const current = await deps.commands.require(ref);
      const nextReadFrom = firstOpenPosition(current, await deps.store.listCalls(execId));
      let from = readFrom;
      for (;;) {
        const chunks = await deps.store.listLogs(execId, { checkpoint, from, limit: CHUNKS_PER_READ });
        for (const chunk of chunks) {
          for (const entry of entriesOf(chunk)) {
            if (!sent.has(entryKey(entry))) {
              sent.add(entryKey(entry));
              yield { kind: "entry", entry };
            }
          }
        }
        const last = chunks.at(-1);
        if (last === undefined || chunks.length < CHUNKS_PER_READ) break;
        from = { ...last, chunk: last.chunk + 1 };
      }
      readFrom = nextReadFrom;
      for (const entry of live.splice(0)) {
        if (!sent.has(entryKey(entry))) {
          sent.add(entryKey(entry));
          yield { kind: "entry", entry };
        }
      }
      if (current.state.status !== lastStatus) {
        lastStatus = current.state.status;
        yield { kind: "status", state: current.state };
      }
      if (TERMINAL.has(current.state.status) || options.signal.aborted) return;
      await pause.pause(options.pollMs ?? 1000, options.signal);
      if (options.signal.aborted) return;
    }
  } finally {
    unsubscribe();
  }
}

/**
 * Where log chunks may still be added: at the lowest issue sequence with no
 * record in the current retry generation. Sequences are dense, so every call
 * still running (or not started) is at or after it.
 */
function firstOpenPosition(execution: ExecutionRecord, calls: readonly CallRecord[]): LogPosition {
  const generation = execution.state.generation;
  const closed = new Set(calls.filter((c) => hasOutput(c) || c.generation === generation).map((c) => c.sequence));
  let sequence = 1;
  while (closed.has(sequence)) sequence += 1;
  return { sequence, generation: 0, attempt: 0, chunk: 0 };
}

/** Checks a checkpoint filter: blank is a usage error; on an execution that ended, it must name a recorded call. */
async function checkCheckpoint(store: ExecutionStore, execution: ExecutionRecord, checkpoint: string | undefined): Promise<string | undefined> {
  if (checkpoint === undefined || checkpoint === "") return undefined;
  if (checkpoint.trim() === "") throw new KitaruUsageError("`checkpoint` must not be blank.", { metadata: { checkpoint } });
  if (!TERMINAL.has(execution.state.status)) return checkpoint; // the call may not have started yet
  const calls = await store.listCalls(execution.execId);
  if (calls.some((call) => call.name === checkpoint || call.invocationId === checkpoint || call.callId === checkpoint)) return checkpoint;
  const availableNames = [...new Set(calls.map((call) => call.name))].sort();
  throw new KitaruStateError(
    `No checkpoint call in execution '${execution.execId}' matches '${checkpoint}'. ` + `Available checkpoint names: ${availableNames.join(", ") || "none"}.`,
    {
      metadata: { execId: execution.execId, checkpoint, availableNames: availableNames.join(",") },
      selector: { selector: checkpoint, source: "checkpoint", candidates: [], availableNames },
    },
  );
}

function entriesOf(chunk: LogChunkRecord): LogEntry[] {
  const { lines: _lines, chunk: _chunk, ...call } = chunk;
  return chunk.lines.map((line) => ({ call, line }));
}

function matches(entry: LogEntry, checkpoint: string): boolean {
  return entry.call.name === checkpoint || entry.call.invocationId === checkpoint || entry.call.callId === checkpoint;
}

function entryKey(entry: LogEntry): string {
  return `${entry.call.callId}:${entry.call.attempt}:${entry.line.index}`;
}

/** True for an entry the page of `cursor` already returned. */
function isAtOrBefore(entry: LogEntry, cursor: LogCursor): boolean {
  const { call } = entry;
  if (call.sequence !== cursor.sequence || call.generation !== cursor.generation || call.attempt !== cursor.attempt) return false;
  return call.callId === cursor.callId && entry.line.index <= cursor.index;
}

function encodeCursor(entry: LogEntry): string {
  const { sequence, generation, attempt, callId } = entry.call;
  // The chunk of a line is not in the entry; lines of one attempt are numbered across its chunks,
  // so starting again at chunk 0 of the attempt and skipping by index is exact.
  return Buffer.from(JSON.stringify([sequence, generation, attempt, callId, entry.line.index])).toString("base64url");
}

function decodeCursor(token: string): LogCursor {
  try {
    const [sequence, generation, attempt, callId, index] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (![sequence, generation, attempt, index].every((n) => Number.isInteger(n)) || typeof callId !== "string") throw new Error("bad token");
    return { sequence: sequence as number, generation: generation as number, attempt: attempt as number, chunk: 0, callId, index: index as number };
  } catch {
    throw new KitaruUsageError("`page_token` is not a token returned by ListExecutionLogs.", { metadata: { pageToken: token } });
  }
}
