import type {
  CallRecord,
  ExecutionRecord,
  ExecutionState,
  ExecutionStatus,
  LogChunkRecord,
  ReplayJobItemRecord,
  ReplayJobRecord,
  WaitRecord,
  WaitResolution,
} from "./records.ts";

/** Options a store call takes. */
export interface StoreCallOptions {
  /** Aborts the call when its caller gave up (a cancelled RPC, a stopping run). */
  readonly signal?: AbortSignal | undefined;
}

/** Options of `findClaimable`. */
export interface ClaimableOptions extends StoreCallOptions {
  /**
   * The flow version of the runner asking: executions held for another
   * version (`ExecutionState.versionHold`) are left out.
   */
  readonly flowVersion?: string | undefined;
}

/** Options of `listCalls`: a range of sequence numbers, for reading a long execution's calls in pages. */
export interface ListCallsOptions extends StoreCallOptions {
  /** Only calls whose sequence number is greater than this. */
  readonly afterSequence?: number | undefined;
  /** Only calls whose sequence number is at most this. */
  readonly throughSequence?: number | undefined;
}

/** The part of a call record that says where it sits in the execution's lineage. */
export type CallLineage = Pick<
  CallRecord,
  "invocationId" | "callId" | "name" | "status" | "sequence" | "generation" | "dataDependencies" | "loadDependencies" | "outputNames"
>;

/** A call's lineage and the outputs it recorded: what a replay of its execution reuses. */
export type ReusableCall = CallLineage & Pick<CallRecord, "output" | "overrideValue">;

/** A new execution to insert; its first state is {@link createdState}. */
export type NewExecution = Omit<ExecutionRecord, "state">;

/** The first state of a new execution, as `insertExecution` stores it. */
export function createdState(execution: NewExecution): ExecutionState {
  return { seq: 0, kind: "created", status: "running", generation: 0, at: execution.createdAt };
}

/** Options of `insertExecution`. */
export interface InsertExecutionOptions extends StoreCallOptions {
  /**
   * The state after the execution's first transition (seq 1), written in the
   * same commit as the insert: an execution created already claimed by the
   * runner that will run it (scheduler.ts). Its claim's lease is the cached
   * lease expiry, so no runner finds it claimable before the lease lapses.
   */
  readonly claimed?: Omit<ExecutionState, "seq"> | undefined;
}

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

/** A page of replay jobs, newest first. */
export interface ReplayJobPageQuery {
  /** Only jobs of this namespace; all when undefined (a restarted planner resuming every job). */
  readonly namespace?: string | undefined;
  /** Only jobs without `endedAt`. */
  readonly unfinishedOnly?: boolean | undefined;
  readonly limit: number;
  /** Keyset cursor: return jobs strictly older than this one. */
  readonly after?: { readonly createdAt: Date; readonly jobId: string } | undefined;
}

/** What `markReplayJob` sets; each time is kept once set (the first cancel, the first end win). */
export interface ReplayJobMarks {
  readonly cancelledAt?: Date | undefined;
  readonly endedAt?: Date | undefined;
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
  // Every method takes `options.signal`: when its caller gives up (a cancelled
  // RPC, a stopping run), the call stops before or while it talks to the
  // database and rejects with the signal's reason (an AbortError).

  // ---------------------------------------------------------------- executions

  /**
   * Inserts a new execution; `false` when one with that ID exists already
   * (then nothing is written, `options.claimed` included).
   */
  insertExecution(execution: NewExecution, options?: InsertExecutionOptions): Promise<boolean>;
  /** Reads an execution with its latest state. */
  getExecution(execId: string, options?: StoreCallOptions): Promise<ExecutionRecord | undefined>;
  /** Lists executions newest first (state as of the last cache write). */
  listExecutions(query: ExecutionPageQuery, options?: StoreCallOptions): Promise<ExecutionRecord[]>;
  /**
   * The executions replayed from any of `execIds` (their `originalExecId`),
   * in `namespace`, oldest first: one level of an execution's family tree.
   */
  listReplaysOf(execIds: readonly string[], namespace: string, options?: StoreCallOptions): Promise<ExecutionRecord[]>;
  /**
   * IDs of `running` executions whose lease expired before `now` (or that
   * have none), except those held for a flow version other than `options.flowVersion`.
   */
  findClaimable(now: Date, limit: number, options?: ClaimableOptions): Promise<string[]>;
  /**
   * Appends `next` as transition `expected.seq + 1`. Returns the new state, or
   * `undefined` when another writer appended that sequence number first.
   */
  appendTransition(
    execId: string,
    expected: ExecutionState,
    next: Omit<ExecutionState, "seq">,
    options?: StoreCallOptions,
  ): Promise<ExecutionState | undefined>;

  // -------------------------------------------------------------------- leases

  /** Extends the holder's lease (only the holder of `epoch` writes it). */
  renewLease(execId: string, epoch: number, runnerId: string, expiresAt: Date, options?: StoreCallOptions): Promise<void>;
  /** The lease expiry the holder of `epoch` last wrote, if any. */
  leaseExpiry(execId: string, epoch: number, options?: StoreCallOptions): Promise<Date | undefined>;

  // --------------------------------------------------------------------- calls

  /**
   * Records a call. When a call with the same invocation ID is recorded
   * already (a zombie runner, a concurrent recovery), returns that record:
   * the first writer wins and everyone adopts its output.
   */
  recordCall(call: CallRecord, options?: StoreCallOptions): Promise<CallRecord | undefined>;
  /** Records many calls in one write; existing ones are kept. */
  recordCalls(calls: readonly CallRecord[], options?: StoreCallOptions): Promise<void>;
  /**
   * The lineage of every recorded call of an execution, in issue order:
   * what planning a replay needs, read without the rest of each record.
   */
  listCallLineage(execId: string, options?: StoreCallOptions): Promise<CallLineage[]>;
  /**
   * Optional: `listCallLineage`'s calls already encoded as the call graph's
   * `lineage` (`encodeLineageEntry` of each, concatenated), or undefined
   * when the store does not hold them for this execution; the caller then
   * reads `listCallLineage`. The embedded store keeps them (planning a
   * replay of 10,000 calls then parses nothing).
   */
  encodedCallLineage?(execId: string, options?: StoreCallOptions): Promise<Uint8Array | undefined>;
  /**
   * The lineage and recorded outputs of every call of an execution, in issue
   * order: what running a replay of it needs, read without the rest of each record.
   */
  listReusableCalls(execId: string, options?: StoreCallOptions): Promise<ReusableCall[]>;
  /**
   * The recorded calls of an execution, in issue order: all of them, or
   * those in a range of sequence numbers (every record of each sequence in
   * it: failed attempts, and the records of later generations after a retry).
   */
  listCalls(execId: string, options?: ListCallsOptions): Promise<CallRecord[]>;
  /**
   * For each execution, how many distinct invocation IDs it has recorded
   * calls for (any status); executions without calls map to 0. One query.
   */
  countCalls(execIds: readonly string[], options?: StoreCallOptions): Promise<Map<string, number>>;

  // ---------------------------------------------------------------------- logs

  /** Stores log chunks in one write; a chunk stored already (same call, attempt and chunk number) is kept. */
  appendLogs(chunks: readonly LogChunkRecord[], options?: StoreCallOptions): Promise<void>;
  /** Log chunks of an execution ordered by (sequence, generation, attempt, chunk). */
  listLogs(execId: string, query: LogChunkQuery, options?: StoreCallOptions): Promise<LogChunkRecord[]>;

  // --------------------------------------------------------------------- blobs

  /**
   * Writes a large value's chunks (numbered from 0) before any record names
   * it. Values are encoded, split and read back by `value-codec.ts`.
   */
  writeBlob(blobId: string, chunks: readonly Uint8Array[], options?: StoreCallOptions): Promise<void>;
  /** Reads chunks 0..count-1 of a blob, in order; a missing chunk is `undefined`. */
  readBlob(blobId: string, count: number, options?: StoreCallOptions): Promise<(Uint8Array | undefined)[]>;

  // --------------------------------------------------------------------- waits

  /** Records that a flow reached a wait; a no-op when recorded already. */
  recordWait(wait: Omit<WaitRecord, "resolution">, options?: StoreCallOptions): Promise<void>;
  /** The waits of an execution with their resolutions, in the order reached. */
  listWaits(execId: string, options?: StoreCallOptions): Promise<WaitRecord[]>;
  /** Resolves a wait; `false` when it was resolved already (exactly one wins). */
  resolveWait(execId: string, name: string, resolution: WaitResolution, options?: StoreCallOptions): Promise<boolean>;

  // --------------------------------------------------------------- replay jobs

  /** Inserts a replay job; `false` when one with that ID exists already (the request was repeated). */
  insertReplayJob(job: ReplayJobRecord, options?: StoreCallOptions): Promise<boolean>;
  /** A replay job by ID, of any namespace (the caller checks it). */
  getReplayJob(jobId: string, options?: StoreCallOptions): Promise<ReplayJobRecord | undefined>;
  /** A page of replay jobs, newest first. */
  listReplayJobs(query: ReplayJobPageQuery, options?: StoreCallOptions): Promise<ReplayJobRecord[]>;
  /** Sets the times given that are not set yet; returns the job after it, undefined when there is none. */
  markReplayJob(jobId: string, marks: ReplayJobMarks, options?: StoreCallOptions): Promise<ReplayJobRecord | undefined>;
  /** Writes items of a job; each replaces the stored item of its index (only the job's one driver writes them). */
  putReplayJobItems(items: readonly ReplayJobItemRecord[], options?: StoreCallOptions): Promise<void>;
  /** The stored items of a job whose index is at least `fromIndex`, in index order, at most `limit`. */
  listReplayJobItems(jobId: string, fromIndex: number, limit: number, options?: StoreCallOptions): Promise<ReplayJobItemRecord[]>;

  // ------------------------------------------------------------------ lifecycle

  /** Resolves when the database answers a trivial request; rejects (StoreUnavailableError) when it does not. */
  ping(options?: StoreCallOptions): Promise<void>;
  /**
   * Resolves when the database takes a write that needs new space (a
   * 16 KiB value, written and removed at once); rejects with a
   * `StoreUnavailableError` (`diskFull` when it is full) when it does not.
   * How the runner sees that a full disk has space again.
   */
  checkWritable(options?: StoreCallOptions): Promise<void>;
  /**
   * Optional: subscribes to the driver's own view of the database, for a
   * store whose driver knows at once when no server can take its writes
   * (MongoDB's topology monitoring): `listener` gets the reason when that
   * happens and `undefined` when a server can again. Returns the
   * unsubscribe function. Lets the runner fail calls at once instead of
   * after the driver's server selection timeout.
   */
  watchAvailability?(listener: (problem: string | undefined) => void): () => void;
  /**
   * Optional: what the driver last did and saw of the database's servers
   * (MongoDB: each server's type and error, when the monitor last checked it
   * and with what result), logged while the database cannot be reached.
   */
  describeConnection?(): string;
  /**
   * Optional: called while the database has been unreachable for a while
   * (every 10 s of an outage), for a store whose client can stay stuck after
   * the database is back: when a new connection reaches the database, the
   * store reconnects its client and says what it saw and did; otherwise it
   * does nothing and resolves `undefined`.
   */
  reconnectIfStuck?(): Promise<string | undefined>;
  /** Closes the connection. */
  close(): Promise<void>;
}
