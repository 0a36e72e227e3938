import type BetterSqlite3 from "better-sqlite3";
import type {
  CallLineage,
  ClaimableOptions,
  ExecutionPageQuery,
  ExecutionStore,
  InsertExecutionOptions,
  ListCallsOptions,
  LogChunkQuery,
  NewExecution,
  ReplayJobMarks,
  ReplayJobPageQuery,
  ReusableCall,
  StoreCallOptions,
} from "./execution-store.ts";
import { createdState } from "./execution-store.ts";
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import { encodeLineageEntry, LINEAGE_ENTRY_FORM } from "#contract/wire/call-graph-encoder.ts";
import { logOrderKey } from "./log-order.ts";
import { decodeCallRecord, decodeExecutionRecord, decodeExecutionState, decodeRecord, encodeCall, encodeExecutionRecord, encodeRecord } from "./record-json.ts";
import type {
  CallRecord,
  ExecutionRecord,
  ExecutionState,
  LogChunkRecord,
  ReplayJobItemRecord,
  ReplayJobRecord,
  WaitRecord,
  WaitResolution,
} from "./records.ts";
import { decodeReusedEntry, encodeReusedEntry, fitsReusedEntry, withReusedLineage, withReusedOutputs, withReusedRecords } from "./reused-call-entry.ts";
import { SqliteConnection, type SqliteLockOptions } from "./sqlite-connection.ts";
import { applyWrite, type CallRow, type ExistingCall, type WriteOp, type WriteOutcome, WriteStatements } from "./sqlite-write-ops.ts";
import { type GroupCommitStats, SqliteWriter } from "./sqlite-writer.ts";

/** Options of {@link SqliteExecutionStore.open}. */
export interface SqliteStoreOptions extends SqliteLockOptions {
  /** The database file; created, with its parent directory, when missing. */
  readonly path: string;
  /**
   * Commit the writes of concurrent executions together, in a writer thread
   * (default true): one transaction and one fsync for every write waiting
   * when the writer is free, each acknowledged once that commit is durable.
   * `false` commits each write on its own, on the caller's thread.
   */
  readonly groupCommit?: boolean;
}

type Row = Record<string, unknown>;
type Stmt = BetterSqlite3.Statement<unknown[], Row>;

/**
 * A call row's record text: `record` with the `payloads` members spliced in
 * before its last brace (rows written before schema version 6 hold them in
 * `record` and have no `payloads`).
 */
const CALL_RECORD = "CASE WHEN payloads IS NULL THEN record ELSE substr(record, 1, length(record) - 1) || ',' || payloads || '}' END";

/** The SQL of every read the store runs (list pages are built per filter, see `#listStatement`; writes: sqlite-write-ops.ts). */
const SQL = {
  getExecution: "SELECT record, state FROM executions WHERE exec_id = ?",
  // INDEXED BY: without statistics the planner would pick executions_by_status and filter every running row.
  // A version hold is read from the cached state of the (few) expired rows only: no column or index for it.
  findClaimable: `SELECT exec_id FROM executions INDEXED BY executions_claimable WHERE status = 'running' AND lease_expires_at < ?
    AND (json_extract(state, '$.versionHold') IS NULL OR json_extract(state, '$.versionHold.requiredFlowVersion') = ?) LIMIT ?`,
  leaseExpiry: "SELECT expires_at FROM leases WHERE exec_id = ? AND epoch = ?",
  // One JSON array of an execution's reused entries, in sequence order (reused-call-entry.ts merges it with the calls).
  listReused:
    "SELECT '[' || COALESCE(group_concat(entry, ','), '') || ']' AS entries FROM (SELECT entry FROM reused_calls WHERE exec_id = ? ORDER BY sequence)",
  listCalls: `SELECT ${CALL_RECORD} AS record FROM calls WHERE exec_id = ? AND sequence > ? AND sequence <= ? ORDER BY sequence, rowid`,
  listReusedRange: `SELECT '[' || COALESCE(group_concat(entry, ','), '') || ']' AS entries FROM (
    SELECT entry FROM reused_calls WHERE exec_id = ? AND sequence > ? AND sequence <= ? ORDER BY sequence)`,
  // One JSON array built by SQLite: one parse instead of one per call.
  listCallLineage:
    "SELECT '[' || COALESCE(group_concat(lineage, ','), '') || ']' AS lineage FROM (SELECT lineage FROM calls WHERE exec_id = ? ORDER BY sequence, rowid)",
  // Every row's stored lineage entry, concatenated in issue order (one run of bytes: group_concat keeps
  // them as they are, CAST AS BLOB gives them back as bytes), and how many rows have one of the given form.
  listLineageEntries: `SELECT count(*) AS calls, coalesce(sum(lineage_form = ?), 0) AS entries, CAST(group_concat(lineage_entry, '') AS BLOB) AS bytes
    FROM (SELECT lineage_entry, lineage_form FROM calls WHERE exec_id = ? ORDER BY sequence, rowid)`,
  hasReused: "SELECT 1 FROM reused_calls WHERE exec_id = ? LIMIT 1",
  // The lineage object with the payload members spliced in by SQLite, as one array (rows written before
  // version 6 hold the payloads in their records: json_extract parses those in C).
  listReusableCalls: `SELECT '[' || COALESCE(group_concat(call, ','), '') || ']' AS calls FROM (
    SELECT substr(lineage, 1, length(lineage) - 1) || CASE WHEN payloads IS NOT NULL THEN ',' || payloads ELSE
        COALESCE(',"output":' || json_extract(record, '$.output'), '') || COALESCE(',"overrideValue":' || json_extract(record, '$.overrideValue'), '')
      END || '}' AS call
    FROM calls WHERE exec_id = ? ORDER BY sequence, rowid)`,
  blobChunks: "SELECT chunk, data FROM blobs WHERE blob_id = ? ORDER BY chunk",
  listWaits: `SELECT w.record AS wait, r.record AS resolution FROM waits w
    LEFT JOIN wait_resolutions r ON r.exec_id = w.exec_id AND r.name = w.name
    WHERE w.exec_id = ? ORDER BY w.created_at, w.rowid`,
  listLogs: "SELECT record FROM call_logs WHERE exec_id = ? AND order_key >= ? ORDER BY order_key, call_id LIMIT ?",
  listCheckpointLogs: `SELECT record FROM call_logs WHERE exec_id = ? AND order_key >= ? AND (name = ? OR invocation_id = ? OR call_id = ?)
    ORDER BY order_key, call_id LIMIT ?`,
} as const;

/**
 * The {@link ExecutionStore} in an SQLite file, embedded in the runner process
 * (the default store for one machine). Same semantics as the MongoDB store:
 * contended writes are inserts with deterministic keys (the transition's
 * `(exec_id, seq)`, the wait's resolution, the call's invocation ID), and the
 * loser re-reads. Here a transition and the execution row's cached state are
 * written in one transaction, so the cache is never stale.
 *
 * Several runner processes may share one file: every operation retries while
 * another process holds the lock (see {@link SqliteConnection}); infrastructure
 * failures surface as `StoreUnavailableError`.
 *
 * Reads run on the caller's thread. Writes go, by default, to a writer thread
 * (`sqlite-writer.ts`) that commits the writes of concurrent executions
 * together (group commit); each resolves once the commit holding it is durable.
 */
export class SqliteExecutionStore implements ExecutionStore {
  readonly #connection: SqliteConnection;
  readonly #writer: SqliteWriter | undefined;
  readonly #statements = new Map<string, Stmt>();
  readonly #writes: WriteStatements;

  private constructor(connection: SqliteConnection, writer: SqliteWriter | undefined) {
    this.#connection = connection;
    this.#writer = writer;
    this.#writes = new WriteStatements(connection.db);
  }

  /** Opens (or creates) the store in `options.path`. */
  static async open(options: SqliteStoreOptions): Promise<SqliteExecutionStore> {
    const connection = await SqliteConnection.open(options.path, options);
    if (options.groupCommit === false) return new SqliteExecutionStore(connection, undefined);
    try {
      const writer = await SqliteWriter.start(connection.file, { lockRetryMs: connection.lockRetryMs, failure: (error) => connection.writeFailure(error) });
      return new SqliteExecutionStore(connection, writer);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** The absolute path of the database file. */
  get path(): string {
    return this.#connection.file;
  }

  /** Transactions committed by the group-commit writer and the writes they held; undefined without it. */
  get groupCommits(): GroupCommitStats | undefined {
    return this.#writer?.stats;
  }

  async close(): Promise<void> {
    await this.#writer?.close();
    this.#connection.close();
  }

  /** One write: to the group-commit writer, or in a transaction of its own on this thread. */
  #write(op: WriteOp, options: StoreCallOptions | undefined): Promise<WriteOutcome> {
    if (this.#writer !== undefined) return this.#writer.write(op, options?.signal);
    return this.#connection.write(options?.signal, () => applyWrite(this.#writes, op));
  }

  /**
   * See {@link SqliteConnection.capFileSize}: caps (or, with undefined,
   * uncaps) the file's size, on this thread's connection and on the
   * group-commit writer's, which makes the writes.
   */
  async capFileSize(bytes: number | undefined): Promise<number> {
    const pages = this.#connection.capFileSize(bytes);
    if (this.#writer !== undefined) await this.#writer.write({ kind: "capPages", pages }, undefined);
    return pages;
  }

  async checkWritable(options?: StoreCallOptions): Promise<void> {
    // A row larger than a page needs new pages (none are free when the file is full); committed, so a full disk shows.
    await this.#connection.write(options?.signal, () => {
      this.#sql("INSERT OR REPLACE INTO blobs (blob_id, chunk, data) VALUES ('kitaru-write-check', 0, zeroblob(16384))").run();
      this.#sql("DELETE FROM blobs WHERE blob_id = 'kitaru-write-check'").run();
    });
  }

  async ping(options?: StoreCallOptions): Promise<void> {
    // A store whose writer thread stopped cannot write: health says so.
    const stopped = this.#writer?.failure;
    if (stopped !== undefined) throw stopped;
    await this.#connection.read(options?.signal, () => this.#sql("SELECT 1").get());
  }

  /** A prepared statement, prepared on first use. */
  #sql(source: string): Stmt {
    let statement = this.#statements.get(source);
    if (statement === undefined) {
      statement = this.#connection.db.prepare<unknown[], Row>(source);
      this.#statements.set(source, statement);
    }
    return statement;
  }

  // ---------------------------------------------------------------- executions

  async insertExecution(execution: NewExecution, options?: InsertExecutionOptions): Promise<boolean> {
    const created = createdState(execution);
    const claimed = options?.claimed === undefined ? undefined : { ...options.claimed, seq: created.seq + 1 };
    const latest = claimed ?? created;
    const inserted = await this.#write(
      {
        kind: "insertExecution",
        execId: execution.execId,
        namespace: execution.namespace ?? DEFAULT_NAMESPACE,
        flowName: execution.flowName,
        createdAt: execution.createdAt.getTime(),
        record: encodeExecutionRecord(execution),
        originalExecId: execution.originalExecId ?? null,
        transitions: [created, ...(claimed === undefined ? [] : [claimed])].map((state) => ({ seq: state.seq, state: encodeRecord(state) })),
        status: latest.status,
        leaseExpiresAt: latest.claim?.expiresAt.getTime() ?? 0,
      },
      options,
    );
    return inserted === true;
  }

  getExecution(execId: string, options?: StoreCallOptions): Promise<ExecutionRecord | undefined> {
    return this.#connection.read(options?.signal, () => {
      const row = this.#sql(SQL.getExecution).get(execId);
      return row === undefined ? undefined : toExecutionRecord(row);
    });
  }

  listReplaysOf(execIds: readonly string[], namespace: string, options?: StoreCallOptions): Promise<ExecutionRecord[]> {
    if (execIds.length === 0) return Promise.resolve([]);
    const placeholders = execIds.map(() => "?").join(", ");
    return this.#connection.read(options?.signal, () =>
      this.#sql(`SELECT record, state FROM executions WHERE original_exec_id IN (${placeholders}) AND namespace = ? ORDER BY created_at, exec_id`)
        .all(...execIds, namespace)
        .map(toExecutionRecord),
    );
  }

  listExecutions(query: ExecutionPageQuery, options?: StoreCallOptions): Promise<ExecutionRecord[]> {
    const params: unknown[] = [];
    if (query.namespace !== undefined) params.push(query.namespace);
    if (query.flowName) params.push(query.flowName);
    if (query.status) params.push(query.status);
    if (query.after) params.push(query.after.createdAt.getTime(), query.after.execId);
    params.push(query.limit > 0 ? query.limit : -1); // like MongoDB: a limit of 0 means none
    return this.#connection.read(options?.signal, () =>
      this.#listStatement(query.namespace !== undefined, Boolean(query.flowName), Boolean(query.status), query.after !== undefined)
        .all(...params)
        .map(toExecutionRecord),
    );
  }

  /** The list query for one combination of filters; each is served by its own index (sqlite-schema.ts). */
  #listStatement(byNamespace: boolean, byFlow: boolean, byStatus: boolean, afterCursor: boolean): Stmt {
    const where: string[] = [];
    if (byNamespace) where.push("namespace = ?");
    if (byFlow) where.push("flow_name = ?");
    if (byStatus) where.push("status = ?");
    if (afterCursor) where.push("(created_at, exec_id) < (?, ?)");
    const filter = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
    return this.#sql(`SELECT record, state FROM executions${filter} ORDER BY created_at DESC, exec_id DESC LIMIT ?`);
  }

  findClaimable(now: Date, limit: number, options?: ClaimableOptions): Promise<string[]> {
    return this.#connection.read(options?.signal, () =>
      this.#sql(SQL.findClaimable)
        .all(now.getTime(), options?.flowVersion ?? null, limit > 0 ? limit : -1)
        .map((row) => row.exec_id as string),
    );
  }

  async appendTransition(
    execId: string,
    expected: ExecutionState,
    next: Omit<ExecutionState, "seq">,
    options?: StoreCallOptions,
  ): Promise<ExecutionState | undefined> {
    const seq = expected.seq + 1;
    const stateJson = encodeRecord({ ...next, seq });
    const state = decodeExecutionState(stateJson);
    const leaseExpiresAt = state.claim?.expiresAt.getTime() ?? 0;
    const appended = await this.#write({ kind: "appendTransition", execId, seq, state: stateJson, status: state.status, leaseExpiresAt }, options);
    return appended === true ? state : undefined;
  }

  // -------------------------------------------------------------------- leases

  async renewLease(execId: string, epoch: number, runnerId: string, expiresAt: Date, options?: StoreCallOptions): Promise<void> {
    await this.#write({ kind: "renewLease", execId, epoch, runnerId, expiresAt: expiresAt.getTime() }, options);
  }

  leaseExpiry(execId: string, epoch: number, options?: StoreCallOptions): Promise<Date | undefined> {
    return this.#connection.read(options?.signal, () => {
      const row = this.#sql(SQL.leaseExpiry).get(execId, epoch);
      return row === undefined ? undefined : new Date(row.expires_at as number);
    });
  }

  // --------------------------------------------------------------------- calls

  async recordCall(call: CallRecord, options?: StoreCallOptions): Promise<CallRecord | undefined> {
    const { execId, invocationId, sequence } = call;
    const op: WriteOp = fitsReusedEntry(call)
      ? { kind: "recordReused", row: { execId, invocationId, sequence, entry: encodeReusedEntry(call) } }
      : { kind: "recordCall", row: callRow(call) };
    const existing = (await this.#write(op, options)) as ExistingCall | undefined;
    if (existing === undefined) return undefined;
    return "record" in existing ? decodeCallRecord(existing.record) : decodeReusedEntry(execId, existing.entry);
  }

  async recordCalls(calls: readonly CallRecord[], options?: StoreCallOptions): Promise<void> {
    if (calls.length === 0) return;
    // Encoded before the write transaction, which blocks other writers while it lasts.
    const reused = [];
    const rows = [];
    for (const call of calls) {
      if (fitsReusedEntry(call)) reused.push({ execId: call.execId, invocationId: call.invocationId, sequence: call.sequence, entry: encodeReusedEntry(call) });
      else rows.push(callRow(call));
    }
    await this.#write({ kind: "recordCalls", reused, rows }, options);
  }

  /** The JSON array of an execution's reused entries. */
  #reusedEntries(execId: string): string | undefined {
    return this.#sql(SQL.listReused).get(execId)?.entries as string | undefined;
  }

  listCallLineage(execId: string, options?: StoreCallOptions): Promise<CallLineage[]> {
    return this.#connection.read(options?.signal, () =>
      withReusedLineage(
        JSON.parse((this.#sql(SQL.listCallLineage).get(execId)?.lineage as string | undefined) ?? "[]") as CallLineage[],
        this.#reusedEntries(execId),
      ),
    );
  }

  /**
   * The execution's lineage as the call graph sends it, when every call of
   * it is one outcome row with its entry stored in the current form (no
   * failed attempt, no reused entry, no row of older code or of an older
   * `CallLineage`): `listCallLineage`'s calls, encoded.
   */
  encodedCallLineage(execId: string, options?: StoreCallOptions): Promise<Uint8Array | undefined> {
    return this.#connection.read(options?.signal, () => {
      const read = this.#sql(SQL.listLineageEntries).get(LINEAGE_ENTRY_FORM, execId) as { calls: number; entries: number; bytes: Buffer | null };
      if (read.entries !== read.calls) return undefined;
      // Asked after the calls were read (two statements, not one snapshot): a reused entry written
      // before that read is seen here too (entries are never deleted), and the calls are read the other way.
      if (this.#sql(SQL.hasReused).get(execId) !== undefined) return undefined;
      return read.bytes ?? new Uint8Array(0);
    });
  }

  listReusableCalls(execId: string, options?: StoreCallOptions): Promise<ReusableCall[]> {
    return this.#connection.read(options?.signal, () =>
      withReusedOutputs(
        JSON.parse((this.#sql(SQL.listReusableCalls).get(execId)?.calls as string | undefined) ?? "[]") as ReusableCall[],
        this.#reusedEntries(execId),
      ),
    );
  }

  listCalls(execId: string, options?: ListCallsOptions): Promise<CallRecord[]> {
    const after = options?.afterSequence ?? Number.MIN_SAFE_INTEGER;
    const through = options?.throughSequence ?? Number.MAX_SAFE_INTEGER;
    return this.#connection.read(options?.signal, () =>
      withReusedRecords(
        execId,
        this.#sql(SQL.listCalls)
          .all(execId, after, through)
          .map((row) => decodeCallRecord(row.record as string)),
        this.#sql(SQL.listReusedRange).get(execId, after, through)?.entries as string | undefined,
      ),
    );
  }

  countCalls(execIds: readonly string[], options?: StoreCallOptions): Promise<Map<string, number>> {
    const counts = new Map<string, number>(execIds.map((id) => [id, 0]));
    if (execIds.length === 0) return Promise.resolve(counts);
    // One statement per page size (a list page has at most a few hundred executions).
    const placeholders = execIds.map(() => "?").join(", ");
    return this.#connection.read(options?.signal, () => {
      const rows = this.#sql(
        `SELECT exec_id, COUNT(DISTINCT invocation_id) AS n FROM (
          SELECT exec_id, invocation_id FROM calls WHERE exec_id IN (${placeholders})
          UNION ALL SELECT exec_id, invocation_id FROM reused_calls WHERE exec_id IN (${placeholders})
        ) GROUP BY exec_id`,
      ).all(...execIds, ...execIds);
      for (const row of rows) counts.set(row.exec_id as string, row.n as number);
      return counts;
    });
  }

  // ---------------------------------------------------------------------- logs

  async appendLogs(chunks: readonly LogChunkRecord[], options?: StoreCallOptions): Promise<void> {
    if (chunks.length === 0) return;
    const rows = chunks.map((c) => ({
      execId: c.execId,
      orderKey: logOrderKey(c),
      callId: c.callId,
      invocationId: c.invocationId,
      name: c.name,
      record: encodeRecord(c),
    }));
    await this.#write({ kind: "appendLogs", rows }, options);
  }

  listLogs(execId: string, query: LogChunkQuery, options?: StoreCallOptions): Promise<LogChunkRecord[]> {
    const from = query.from === undefined ? "" : logOrderKey(query.from);
    const limit = query.limit > 0 ? query.limit : -1;
    return this.#connection.read(options?.signal, () => {
      const rows =
        query.checkpoint === undefined
          ? this.#sql(SQL.listLogs).all(execId, from, limit)
          : this.#sql(SQL.listCheckpointLogs).all(execId, from, query.checkpoint, query.checkpoint, query.checkpoint, limit);
      return rows.map((row) => decodeRecord<LogChunkRecord>(row.record as string));
    });
  }

  // ------------------------------------------------------------------ payloads

  async writeBlob(blobId: string, chunks: readonly Uint8Array[], options?: StoreCallOptions): Promise<void> {
    await this.#write({ kind: "writeBlob", blobId, chunks }, options);
  }

  async readBlob(blobId: string, count: number, options?: StoreCallOptions): Promise<(Uint8Array | undefined)[]> {
    const rows = await this.#connection.read(options?.signal, () => this.#sql(SQL.blobChunks).all(blobId));
    const chunks = new Array<Uint8Array | undefined>(count).fill(undefined);
    for (const row of rows) if ((row.chunk as number) < count) chunks[row.chunk as number] = row.data as Buffer;
    return chunks;
  }

  // --------------------------------------------------------------------- waits

  async recordWait(wait: Omit<WaitRecord, "resolution">, options?: StoreCallOptions): Promise<void> {
    await this.#write({ kind: "recordWait", execId: wait.execId, name: wait.name, createdAt: wait.createdAt.getTime(), record: encodeRecord(wait) }, options);
  }

  listWaits(execId: string, options?: StoreCallOptions): Promise<WaitRecord[]> {
    return this.#connection.read(options?.signal, () =>
      this.#sql(SQL.listWaits)
        .all(execId)
        .map((row) => {
          const wait = decodeRecord<WaitRecord>(row.wait as string);
          return row.resolution === null ? wait : { ...wait, resolution: decodeRecord<WaitResolution>(row.resolution as string) };
        }),
    );
  }

  async resolveWait(execId: string, name: string, resolution: WaitResolution, options?: StoreCallOptions): Promise<boolean> {
    return (await this.#write({ kind: "resolveWait", execId, name, record: encodeRecord(resolution) }, options)) === true;
  }

  // --------------------------------------------------------------- replay jobs

  async insertReplayJob(job: ReplayJobRecord, options?: StoreCallOptions): Promise<boolean> {
    const { cancelledAt: _cancelled, endedAt: _ended, ...fields } = job;
    const op: WriteOp = {
      kind: "insertReplayJob",
      jobId: job.jobId,
      namespace: job.namespace,
      createdAt: job.createdAt.getTime(),
      record: encodeRecord(fields),
    };
    return (await this.#write(op, options)) === true;
  }

  getReplayJob(jobId: string, options?: StoreCallOptions): Promise<ReplayJobRecord | undefined> {
    return this.#connection.read(options?.signal, () => {
      const row = this.#sql("SELECT record, cancelled_at, ended_at FROM replay_jobs WHERE job_id = ?").get(jobId);
      return row === undefined ? undefined : toReplayJobRecord(row);
    });
  }

  listReplayJobs(query: ReplayJobPageQuery, options?: StoreCallOptions): Promise<ReplayJobRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.namespace !== undefined) {
      where.push("namespace = ?");
      params.push(query.namespace);
    }
    if (query.unfinishedOnly) where.push("ended_at IS NULL");
    if (query.after) {
      where.push("(created_at, job_id) < (?, ?)");
      params.push(query.after.createdAt.getTime(), query.after.jobId);
    }
    params.push(query.limit > 0 ? query.limit : -1);
    const filter = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
    return this.#connection.read(options?.signal, () =>
      this.#sql(`SELECT record, cancelled_at, ended_at FROM replay_jobs${filter} ORDER BY created_at DESC, job_id DESC LIMIT ?`)
        .all(...params)
        .map(toReplayJobRecord),
    );
  }

  async markReplayJob(jobId: string, marks: ReplayJobMarks, options?: StoreCallOptions): Promise<ReplayJobRecord | undefined> {
    const op: WriteOp = { kind: "markReplayJob", jobId, cancelledAt: marks.cancelledAt?.getTime() ?? null, endedAt: marks.endedAt?.getTime() ?? null };
    await this.#write(op, options);
    return await this.getReplayJob(jobId, options);
  }

  async putReplayJobItems(items: readonly ReplayJobItemRecord[], options?: StoreCallOptions): Promise<void> {
    if (items.length === 0) return;
    await this.#write(
      { kind: "putReplayJobItems", rows: items.map((item) => ({ jobId: item.jobId, index: item.index, record: encodeRecord(item.item) })) },
      options,
    );
  }

  listReplayJobItems(jobId: string, fromIndex: number, limit: number, options?: StoreCallOptions): Promise<ReplayJobItemRecord[]> {
    return this.#connection.read(options?.signal, () =>
      this.#sql("SELECT idx, record FROM replay_job_items WHERE job_id = ? AND idx >= ? ORDER BY idx LIMIT ?")
        .all(jobId, fromIndex, limit > 0 ? limit : -1)
        .map((row) => ({ jobId, index: row.idx as number, item: decodeRecord<ReplayJobItemRecord["item"]>(row.record as string) })),
    );
  }
}

function toReplayJobRecord(row: Row): ReplayJobRecord {
  const fields = decodeRecord<Omit<ReplayJobRecord, "cancelledAt" | "endedAt">>(row.record as string);
  return {
    ...fields,
    ...(row.cancelled_at === null ? {} : { cancelledAt: new Date(row.cancelled_at as number) }),
    ...(row.ended_at === null ? {} : { endedAt: new Date(row.ended_at as number) }),
  };
}

/**
 * The call's key beside its invocation ID: a call with an output (completed,
 * reused) is keyed by the invocation alone, so the first writer wins; any
 * other record (a failed attempt) is kept per retry generation, as
 * `<status>:<generation>`.
 */
function callAttempt(call: CallRecord): string {
  return call.status === "completed" || call.status === "reused" ? "" : `${call.status}:${call.generation}`;
}

/** A call's row in `calls`, its texts encoded. */
function callRow(call: CallRecord): CallRow {
  const texts = encodeCall(call);
  const attempt = callAttempt(call);
  const entry = attempt === "" ? encodeLineageEntry(call) : undefined;
  return {
    execId: call.execId,
    invocationId: call.invocationId,
    attempt,
    sequence: call.sequence,
    record: texts.record,
    lineage: texts.lineage,
    payloads: texts.payloads ?? null,
    lineageEntry: entry ?? null,
    lineageForm: entry === undefined ? null : LINEAGE_ENTRY_FORM,
  };
}

function toExecutionRecord(row: Row): ExecutionRecord {
  return { ...decodeExecutionRecord(row.record as string), state: decodeExecutionState(row.state as string) };
}
