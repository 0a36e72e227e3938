// A replay's reused calls in the SQLite store (`reused_calls`, schema
// version 6). A replay of a long execution records thousands of them at once,
// and on this store the cost of a write grows with the bytes it commits: a
// reused call as a whole record in `calls` (record and lineage texts, a rowid
// table with two indexes) commits ~3x the bytes of the compact entry below in
// a table with a single key. Everything a reused call record holds is in its
// entry, so reading one back needs no other row (a replay of a replay reads
// its source's entries the same way).
//
// An entry, one JSON object per call (execId, status "reused" and attempts 0
// are implied):
//   i invocationId   c callId   n name   s sequence   g generation
//   d dataDependencies   l loadDependencies (left out when empty)
//   o outputNames (left out when empty)   p output   f reusedFromCallId
//   x overridden   v overrideValue   (each left out when undefined)
//   t startedAt, ms since the epoch   e endedAt, when it differs from t
//
// Records that do not fit (a reused call with metadata, a failure or an
// attempt history, or a field this module does not know) are stored whole in
// `calls` like any other.

import type { CallLineage, ReusableCall } from "./execution-store.ts";
import { REQUIRED_CALL_FIELDS } from "./record-json.ts";
import type { CallRecord, Payload } from "./records.ts";

/** An entry as stored (see the top of this file). */
interface ReusedCallEntry {
  readonly i: string;
  readonly c: string;
  readonly n: string;
  readonly s: number;
  readonly g: number;
  readonly d: readonly string[];
  readonly l?: readonly string[];
  readonly o?: readonly string[];
  readonly p?: Payload;
  readonly f?: string;
  readonly x?: boolean;
  readonly v?: Payload;
  readonly t: number;
  readonly e?: number;
}

/** The fields of a reused call record an entry holds. */
const ENTRY_FIELDS: ReadonlySet<string> = new Set<keyof CallRecord>([
  ...REQUIRED_CALL_FIELDS,
  "output",
  "reusedFromCallId",
  "overridden",
  "overrideValue",
  "startedAt",
  "endedAt",
]);

/** True when `call` is a reused call an entry can hold exactly. */
export function fitsReusedEntry(call: CallRecord): boolean {
  if (call.status !== "reused" || call.attempts !== 0) return false;
  if (!Array.isArray(call.dataDependencies) || !Array.isArray(call.loadDependencies) || !Array.isArray(call.outputNames)) return false;
  if (Number.isNaN(call.startedAt.getTime()) || Number.isNaN(call.endedAt.getTime())) return false;
  for (const key in call) {
    if (!ENTRY_FIELDS.has(key) && (call as unknown as Record<string, unknown>)[key] !== undefined) return false;
  }
  return true;
}

const text = JSON.stringify;

/** The entry text of a call that {@link fitsReusedEntry}. */
export function encodeReusedEntry(call: CallRecord): string {
  let entry = `{"i":${text(call.invocationId)},"c":${text(call.callId)},"n":${text(call.name)},"s":${text(call.sequence)},"g":${text(call.generation)},"d":${text(call.dataDependencies)}`;
  if (call.loadDependencies.length > 0) entry += `,"l":${text(call.loadDependencies)}`;
  if (call.outputNames.length > 0) entry += `,"o":${text(call.outputNames)}`;
  if (call.output !== undefined) entry += `,"p":${text(call.output)}`;
  if (call.reusedFromCallId !== undefined) entry += `,"f":${text(call.reusedFromCallId)}`;
  if (call.overridden !== undefined) entry += `,"x":${text(call.overridden)}`;
  if (call.overrideValue !== undefined) entry += `,"v":${text(call.overrideValue)}`;
  const started = call.startedAt.getTime();
  const ended = call.endedAt.getTime();
  entry += `,"t":${started}`;
  if (ended !== started) entry += `,"e":${ended}`;
  return `${entry}}`;
}

/** The lists of a lineage without them (shared: nothing may change it). */
const NO_NAMES: readonly string[] = Object.freeze([]);

/** The whole call record of an entry of execution `execId`. */
function entryRecord(execId: string, entry: ReusedCallEntry): CallRecord {
  const record: { -readonly [K in keyof CallRecord]: CallRecord[K] } = {
    execId,
    invocationId: entry.i,
    callId: entry.c,
    name: entry.n,
    status: "reused",
    attempts: 0,
    sequence: entry.s,
    dataDependencies: entry.d,
    loadDependencies: entry.l ?? [],
    outputNames: entry.o ?? [],
    generation: entry.g,
    startedAt: new Date(entry.t),
    endedAt: new Date(entry.e ?? entry.t),
  };
  if (entry.p !== undefined) record.output = entry.p;
  if (entry.f !== undefined) record.reusedFromCallId = entry.f;
  if (entry.x !== undefined) record.overridden = entry.x;
  if (entry.v !== undefined) record.overrideValue = entry.v;
  return record;
}

/** The lineage of an entry, as `listCallLineage` returns it. */
function entryLineage(entry: ReusedCallEntry): CallLineage {
  return {
    invocationId: entry.i,
    callId: entry.c,
    name: entry.n,
    status: "reused",
    sequence: entry.s,
    generation: entry.g,
    dataDependencies: entry.d,
    loadDependencies: entry.l ?? NO_NAMES,
    outputNames: entry.o ?? NO_NAMES,
  };
}

/** The lineage and outputs of an entry, as `listReusableCalls` returns them. */
function entryReusable(entry: ReusedCallEntry): ReusableCall {
  const call: { -readonly [K in keyof ReusableCall]: ReusableCall[K] } = entryLineage(entry);
  if (entry.p !== undefined) call.output = entry.p;
  if (entry.v !== undefined) call.overrideValue = entry.v;
  return call;
}

/**
 * The calls of an execution: its rows in `calls` (in issue order) merged with
 * its reused entries (a JSON array built by the store's query, in sequence
 * order), as one list in issue order. A row of an invocation's outcome wins
 * over an entry of the same invocation: the store writes such a row only when
 * it came first (see `SqliteExecutionStore.recordCall`), so the first writer
 * wins here too.
 */
function merged<T extends Pick<CallRecord, "invocationId" | "sequence" | "status">>(
  rows: T[],
  entriesJson: string | undefined,
  toCall: (entry: ReusedCallEntry) => T,
): T[] {
  if (entriesJson === undefined || entriesJson === "[]") return rows;
  const entries = JSON.parse(entriesJson) as ReusedCallEntry[];
  if (rows.length === 0) return entries.map(toCall);
  const outcomes = new Set<string>();
  for (const row of rows) if (row.status === "completed" || row.status === "reused") outcomes.add(row.invocationId);
  const calls: T[] = [];
  let next = 0;
  for (const entry of entries) {
    if (outcomes.has(entry.i)) continue;
    for (let row = rows[next]; row !== undefined && row.sequence <= entry.s; row = rows[++next]) calls.push(row);
    calls.push(toCall(entry));
  }
  for (let row = rows[next]; row !== undefined; row = rows[++next]) calls.push(row);
  return calls;
}

/** {@link merged} for whole records. */
export function withReusedRecords(execId: string, rows: CallRecord[], entriesJson: string | undefined): CallRecord[] {
  return merged(rows, entriesJson, (entry) => entryRecord(execId, entry));
}

/** {@link merged} for lineage. */
export function withReusedLineage(rows: CallLineage[], entriesJson: string | undefined): CallLineage[] {
  return merged(rows, entriesJson, entryLineage);
}

/** {@link merged} for lineage and outputs. */
export function withReusedOutputs(rows: ReusableCall[], entriesJson: string | undefined): ReusableCall[] {
  return merged(rows, entriesJson, entryReusable);
}

/** The call record of one entry's text. */
export function decodeReusedEntry(execId: string, entryText: string): CallRecord {
  return entryRecord(execId, JSON.parse(entryText) as ReusedCallEntry);
}
