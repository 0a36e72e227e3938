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

/** The fields every call record has (optional ones are written only when defined). */
export const REQUIRED_CALL_FIELDS = [
  "execId",
  "invocationId",
  "callId",
  "name",
  "status",
  "attempts",
  "sequence",
  "dataDependencies",
  "loadDependencies",
  "outputNames",
  "generation",
] as const satisfies readonly (keyof CallRecord)[];

/** Every field of a call record that {@link encodeCall} writes itself. */
const CALL_FIELDS: ReadonlySet<string> = new Set<keyof CallRecord>([
  ...REQUIRED_CALL_FIELDS,
  "output",
  "reusedFromCallId",
  "overridden",
  "overrideValue",
  "failure",
  "attemptHistory",
  "startedAt",
  "endedAt",
  "metadata",
]);

const text = JSON.stringify;

/** True when {@link encodeCall} can write `call` field by field: no field it does not name, none of the required ones missing. */
function writableByField(call: CallRecord): boolean {
  for (const key in call) if (!CALL_FIELDS.has(key)) return false;
  for (const key of REQUIRED_CALL_FIELDS) if (call[key] === undefined) return false;
  return true;
}

/** The stored texts of a call record (see {@link encodeCall}). */
export interface CallTexts {
  /** The record without its payloads. */
  readonly record: string;
  /** The lineage fields alone. */
  readonly lineage: string;
  /**
   * The payload members, `"output":…` and `"overrideValue":…` (those
   * defined, comma-separated); undefined when neither is. The record's text
   * with them is `record` with `,payloads` spliced in before its last brace.
   */
  readonly payloads: string | undefined;
}

/**
 * The stored texts of a call record: the record as {@link encodeRecord}
 * writes it (same values, fields in the record type's order) without the
 * payloads, the payloads, and the lineage fields alone, built together from
 * the same pieces. A replay writes one per reused call, so this is written
 * out field by field (3-4x faster than a stringify of a copy with tagged
 * dates); a record with a field not named in {@link CALL_FIELDS}, or without
 * a required one, goes the generic way, so the texts always hold what
 * {@link encodeRecord} would store.
 */
export function encodeCall(call: CallRecord): CallTexts {
  let payloads: string | undefined;
  if (call.output !== undefined) payloads = `"output":${text(call.output)}`;
  if (call.overrideValue !== undefined) payloads = `${payloads === undefined ? "" : `${payloads},`}"overrideValue":${text(call.overrideValue)}`;
  if (!writableByField(call)) {
    const { invocationId, callId, name, status, sequence, generation, dataDependencies, loadDependencies, outputNames } = call;
    const { output: _output, overrideValue: _overrideValue, ...rest } = call;
    return {
      record: encodeRecord(rest),
      lineage: text({ invocationId, callId, name, status, sequence, generation, dataDependencies, loadDependencies, outputNames }),
      payloads,
    };
  }
  const ids = `"invocationId":${text(call.invocationId)},"callId":${text(call.callId)},"name":${text(call.name)},"status":${text(call.status)}`;
  const edges = `"dataDependencies":${text(call.dataDependencies)},"loadDependencies":${text(call.loadDependencies)},"outputNames":${text(call.outputNames)}`;
  const lineage = `{${ids},"sequence":${text(call.sequence)},"generation":${text(call.generation)},${edges}}`;
  let record = `{"execId":${text(call.execId)},${ids},"attempts":${text(call.attempts)},"sequence":${text(call.sequence)},${edges}`;
  if (call.reusedFromCallId !== undefined) record += `,"reusedFromCallId":${text(call.reusedFromCallId)}`;
  if (call.overridden !== undefined) record += `,"overridden":${text(call.overridden)}`;
  if (call.failure !== undefined) record += `,"failure":${text(call.failure)}`;
  if (call.attemptHistory !== undefined) {
    const history = call.attemptHistory.map((attempt) => ({ ...attempt, startedAt: tag(attempt.startedAt), endedAt: tag(attempt.endedAt) }));
    record += `,"attemptHistory":${text(history)}`;
  }
  record += `,"generation":${text(call.generation)},"startedAt":${dateText(call.startedAt)},"endedAt":${dateText(call.endedAt)}`;
  if (call.metadata !== undefined) record += `,"metadata":${text(call.metadata)}`;
  return { record: `${record}}`, lineage, payloads };
}

// The last date written: the reused records of a replay are stamped by the
// thousand within one millisecond.
let lastDateMs = Number.NaN;
let lastDateText = "";

/** A date as its tagged JSON text. */
function dateText(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastDateMs) {
    lastDateText = text(tag(date));
    lastDateMs = ms;
  }
  return lastDateText;
}

/** A call record from its stored text (written by {@link encodeCall} or {@link encodeRecord}). */
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

/**
 * An execution's state from its stored text: read at every turn of a run and
 * every read of an execution, so without a reviver. Dates: `at`, `endedAt`,
 * `claim.at`, `claim.expiresAt`, `flowVersionRuns[].at`, `versionHold.at`.
 */
export function decodeExecutionState(text: string): ExecutionState {
  const state = JSON.parse(text) as Record<string, unknown> & {
    claim?: Record<string, unknown>;
    endedAt?: unknown;
    flowVersionRuns?: Record<string, unknown>[];
    versionHold?: Record<string, unknown>;
  };
  state["at"] = untag(state["at"]);
  if (state.endedAt !== undefined) state.endedAt = untag(state.endedAt);
  if (state.claim !== undefined) {
    state.claim["at"] = untag(state.claim["at"]);
    state.claim["expiresAt"] = untag(state.claim["expiresAt"]);
  }
  if (state.flowVersionRuns !== undefined) for (const run of state.flowVersionRuns) run["at"] = untag(run["at"]);
  if (state.versionHold !== undefined) state.versionHold["at"] = untag(state.versionHold["at"]);
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
