import type {
  CallRecord,
  ExecutionRecord,
  ExecutionState,
  ExecutionStatus,
  LogChunkRecord,
  Payload,
  WaitRecord,
  WaitResolution,
} from "./records.ts";

/** A new execution to insert; its first state is `created`/`running`. */
export type NewExecution = Omit<ExecutionRecord, "state">;

/** A page of executions, newest first. */
export interface ExecutionPageQuery {
  /** Only executions of this namespace; all when undefined (the scheduler's sweep). */
  readonly namespace?: string | undefined;
  readonly flowName?: string | undefined;
  readonly status?: ExecutionStatus | undefined;
  readonly limit: number;
  /** Keyset cursor: return executions strictly older than this one. */
  readonly after?: { readonly createdAt: Date; readonly execId: string } | undefined;
}

/** The position of a log chunk in listing order: (sequence, generation, attempt, chunk). */
export interface LogPosition {
  readonly sequence: number;
  readonly generation: number;
  readonly attempt: number;
  readonly chunk: number;
}

/** Which log chunks to list. */
export interface LogChunkQuery {
  /** Only chunks of calls whose name, invocation ID or call ID equals this; all when undefined. */
  readonly checkpoint?: string | undefined;
  /** Only chunks at or after this position. */
  readonly from?: LogPosition | undefined;
  /** At most this many chunks. */
  readonly limit: number;
}

/**
 * Everything the runner persists, behind one narrow interface.
 *
 * Contention rule (it must hold on FerretDB, whose conditional updates are
 * not atomic): every contended write is an insert with a deterministic `_id`;
 * the loser sees a duplicate key and re-reads. State transitions are such
 * inserts (`<execId>:<seq>`), so `appendTransition` is a compare-and-set.
 */
export interface ExecutionStore {
  // ---------------------------------------------------------------- executions

  /** Inserts a new execution; `false` when one with that ID exists already. */
  insertExecution(execution: NewExecution): Promise<boolean>;
  /** Reads an execution with its latest state. */
  getExecution(execId: string): Promise<ExecutionRecord | undefined>;
  /** Lists executions newest first (state as of the last cache write). */
  listExecutions(query: ExecutionPageQuery): Promise<ExecutionRecord[]>;
  /** IDs of `running` executions whose lease expired before `now` (or that have none). */
  findClaimable(now: Date, limit: number): Promise<string[]>;
  /**
   * Appends `next` as transition `expected.seq + 1`. Returns the new state, or
   * `undefined` when another writer appended that sequence number first.
   */
  appendTransition(execId: string, expected: ExecutionState, next: Omit<ExecutionState, "seq">): Promise<ExecutionState | undefined>;

  // -------------------------------------------------------------------- leases

  /** Extends the holder's lease (only the holder of `epoch` writes it). */
  renewLease(execId: string, epoch: number, runnerId: string, expiresAt: Date): Promise<void>;
  /** The lease expiry the holder of `epoch` last wrote, if any. */
  leaseExpiry(execId: string, epoch: number): Promise<Date | undefined>;

  // --------------------------------------------------------------------- calls

  /**
   * Records a call. When a call with the same invocation ID is recorded
   * already (a zombie runner, a concurrent recovery), returns that record:
   * the first writer wins and everyone adopts its output.
   */
  recordCall(call: CallRecord): Promise<CallRecord | undefined>;
  /** Records many calls in one write; existing ones are kept. */
  recordCalls(calls: readonly CallRecord[]): Promise<void>;
  /** All recorded calls of an execution, in issue order. */
  listCalls(execId: string): Promise<CallRecord[]>;
  /**
   * For each execution, how many distinct invocation IDs it has recorded
   * calls for (any status); executions without calls map to 0. One query.
   */
  countCalls(execIds: readonly string[]): Promise<Map<string, number>>;

  // ---------------------------------------------------------------------- logs

  /** Stores log chunks in one write; a chunk stored already (same call, attempt and chunk number) is kept. */
  appendLogs(chunks: readonly LogChunkRecord[]): Promise<void>;
  /** Log chunks of an execution ordered by (sequence, generation, attempt, chunk). */
  listLogs(execId: string, query: LogChunkQuery): Promise<LogChunkRecord[]>;

  // ------------------------------------------------------------------ payloads

  /** Turns a JSON text into a payload, writing blob chunks first when it is large. */
  storePayload(json: string): Promise<Payload>;
  /** The JSON text of a payload. */
  loadPayload(payload: Payload): Promise<string>;

  // --------------------------------------------------------------------- waits

  /** Records that a flow reached a wait; a no-op when recorded already. */
  recordWait(wait: Omit<WaitRecord, "resolution">): Promise<void>;
  /** The waits of an execution with their resolutions, in the order reached. */
  listWaits(execId: string): Promise<WaitRecord[]>;
  /** Resolves a wait; `false` when it was resolved already (exactly one wins). */
  resolveWait(execId: string, name: string, resolution: WaitResolution): Promise<boolean>;

  // ------------------------------------------------------------------ lifecycle

  /** Resolves when the database answers a trivial request; rejects (StoreUnavailableError) when it does not. */
  ping(): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}
