// Records as JSON text, for stores that keep each record whole in one column
// (the SQLite store). Plain JSON would turn every Date into a string; these
// functions keep Dates as Dates, wherever in the record they are, so a field
// added to a record later round-trips without the store knowing about it.
//
// A Date is written as {"$date": "<ISO 8601>"}. No record holds user JSON as
// an object (user values are JSON *text* inside payloads), so no user key can
// collide with the tag.

import type { CallRecord, ExecutionState } from "./records.ts";
import type { NewExecution } from "./execution-store.ts";

const DATE_TAG = "$date";

/**
 * The JSON text of a record, with every Date written as a tagged ISO string.
 * Undefined properties are left out, as JSON.stringify does.
 */
export function encodeRecord(record: unknown): string {
  return JSON.stringify(record, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (!(raw instanceof Date)) return value;
    return { [DATE_TAG]: Number.isNaN(raw.getTime()) ? null : raw.toISOString() };
  });
}

/** A record from its {@link encodeRecord} text; tagged dates come back as Date objects. */
export function decodeRecord<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) => (isDateTag(value) ? new Date(value[DATE_TAG] ?? Number.NaN) : value)) as T;
}

function isDateTag(value: unknown): value is { [DATE_TAG]: string | null } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === DATE_TAG;
}

// Call records are read and written by the thousand (a replay of a long
// execution reads all of the source's and writes one per reused call), so
// they have their own codec: the same stored text, without a replacer or
// reviver function called for every value. The date fields are named here;
// `test/store/conformance.ts` round-trips every field of a call record.

type Tagged = { [DATE_TAG]: string | null };

function tag(date: Date): Tagged {
  return { [DATE_TAG]: Number.isNaN(date.getTime()) ? null : date.toISOString() };
}

function untag(value: unknown): Date {
  return new Date((value as Tagged)[DATE_TAG] ?? Number.NaN);
}

/** The JSON text of a call record: the same text {@link encodeRecord} writes, faster. */
export function encodeCallRecord(call: CallRecord): string {
  return JSON.stringify({
    ...call,
    startedAt: tag(call.startedAt),
    endedAt: tag(call.endedAt),
    attemptHistory: call.attemptHistory?.map((attempt) => ({ ...attempt, startedAt: tag(attempt.startedAt), endedAt: tag(attempt.endedAt) })),
  });
}

/** A call record from its stored text (written by {@link encodeCallRecord} or {@link encodeRecord}). */
export function decodeCallRecord(text: string): CallRecord {
  const call = JSON.parse(text) as Record<string, unknown> & { attemptHistory?: Record<string, unknown>[] };
  call["startedAt"] = untag(call["startedAt"]);
  call["endedAt"] = untag(call["endedAt"]);
  if (call.attemptHistory !== undefined) {
    for (const attempt of call.attemptHistory) {
      attempt["startedAt"] = untag(attempt["startedAt"]);
      attempt["endedAt"] = untag(attempt["endedAt"]);
    }
  }
  return call as unknown as CallRecord;
}

/** The lineage fields of a call record as JSON text (the SQLite store keeps them in a column of their own). */
export function encodeCallLineage(call: CallRecord): string {
  const { invocationId, callId, name, status, sequence, generation, dataDependencies, loadDependencies, outputNames } = call;
  return JSON.stringify({ invocationId, callId, name, status, sequence, generation, dataDependencies, loadDependencies, outputNames });
}

/**
 * An execution's state from its stored text: read at every turn of a run and
 * every read of an execution, so without a reviver. Dates: `at`, `endedAt`,
 * `claim.at`, `claim.expiresAt`.
 */
export function decodeExecutionState(text: string): ExecutionState {
  const state = JSON.parse(text) as Record<string, unknown> & { claim?: Record<string, unknown>; endedAt?: unknown };
  state["at"] = untag(state["at"]);
  if (state.endedAt !== undefined) state.endedAt = untag(state.endedAt);
  if (state.claim !== undefined) {
    state.claim["at"] = untag(state.claim["at"]);
    state.claim["expiresAt"] = untag(state.claim["expiresAt"]);
  }
  return state as unknown as ExecutionState;
}

/**
 * An execution (without its state) from its stored text: a replayed one holds
 * its whole plan (thousands of entries), so without a reviver. Its one date is `createdAt`.
 */
export function decodeExecutionRecord(text: string): NewExecution {
  const execution = JSON.parse(text) as Record<string, unknown>;
  execution["createdAt"] = untag(execution["createdAt"]);
  return execution as unknown as NewExecution;
}

/** The stored text of an execution (without its state): {@link encodeRecord}'s text, without a replacer. */
export function encodeExecutionRecord(execution: NewExecution): string {
  return JSON.stringify({ ...execution, createdAt: tag(execution.createdAt) });
}
