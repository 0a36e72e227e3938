import type { Binary } from "mongodb";
import type { ExecutionState, Payload, ReplayRecord } from "./records.ts";

// Document shapes of the MongoDB collections. User JSON is always stored as
// text (or Binary chunks), never as documents: user keys may contain "." or
// start with "$", which MongoDB-wire servers reject or treat specially.

/** `executions`: one per execution; `_id` is the execution ID. The state fields are a cache of the latest transition. */
export interface ExecutionDocument {
  _id: string;
  /** Always written (engine); read as `default` when absent. */
  namespace?: string | undefined;
  flowName: string;
  input: Payload;
  createdAt: Date;
  requestId?: string | undefined;
  requestFingerprint?: string | undefined;
  originalExecId?: string | undefined;
  replay?: ReplayRecord | undefined;
  state: StoredState;
  /** Denormalized for indexed queries. */
  status: string;
  seq: number;
  leaseExpiresAt: Date;
}

/** `transitions`: `_id` = `<execId>:<seq>`; inserted once, never updated. */
export interface TransitionDocument {
  _id: string;
  execId: string;
  seq: number;
  state: StoredState;
}

/** An ExecutionState as stored (undefined fields left out). */
export type StoredState = ExecutionState;

/** `leases`: `_id` = `<execId>:<epoch>`; written only by the holder of that epoch. */
export interface LeaseDocument {
  _id: string;
  runnerId: string;
  expiresAt: Date;
}

/** `calls`: `_id` = `<execId>:<invocationId>` (failed attempts add `:failed:<generation>`). */
export interface CallDocument {
  _id: string;
  execId: string;
  invocationId: string;
  callId: string;
  name: string;
  status: string;
  attempts: number;
  sequence: number;
  dataDependencies: string[];
  loadDependencies: string[];
  outputNames: string[];
  output?: Payload | undefined;
  reusedFromCallId?: string | undefined;
  overridden?: boolean | undefined;
  failure?: { message: string; exceptionType: string } | undefined;
  generation: number;
  startedAt: Date;
  endedAt: Date;
  metadata?: string | undefined;
}

/** `waits`: `_id` = `<execId>:<wait name>`. */
export interface WaitDocument {
  _id: string;
  execId: string;
  name: string;
  baseName: string;
  waitId: string;
  question: string;
  schema: string;
  metadata: string;
  createdAt: Date;
  sourceAnswerNote?: string | undefined;
}

/** `wait_resolutions`: `_id` equals the wait's `_id`; the insert is what makes one input win. */
export interface WaitResolutionDocument {
  _id: string;
  execId: string;
  kind: "value" | "abort";
  value?: Payload | undefined;
  at: Date;
  copiedFromExecId?: string | undefined;
}

/**
 * `call_logs`: one chunk of log lines of one attempt of one call; `_id` =
 * `<execId>:<order>:<callId>`, where `order` is the zero-padded listing key
 * `<sequence>:<generation>:<attempt>:<chunk>` (log-order.ts), served by the
 * index `{execId, order}`.
 */
export interface LogChunkDocument {
  _id: string;
  execId: string;
  order: string;
  invocationId: string;
  callId: string;
  name: string;
  sequence: number;
  generation: number;
  attempt: number;
  chunk: number;
  /** The lines as JSON text (user text is never stored as document keys). */
  lines: string;
}

/** `blobs`: `_id` = `<blobId>:<chunk index>`. */
export interface BlobDocument {
  _id: string;
  data: Binary;
}

/**
 * `replay_jobs`: `_id` = the job ID. `job` is JSON text: it holds user values
 * (args, overrides), which are never stored as document keys.
 */
export interface ReplayJobDocument {
  _id: string;
  namespace: string;
  createdAt: Date;
  cancelledAt?: Date | undefined;
  endedAt?: Date | undefined;
  /** True once `endedAt` is set: the unfinished jobs' index filters on it. */
  ended: boolean;
  job: string;
}

/** `replay_job_items`: `_id` = `<jobId>:<index>`; `item` is JSON text (it holds result diffs). */
export interface ReplayJobItemDocument {
  _id: string;
  jobId: string;
  index: number;
  item: string;
}
