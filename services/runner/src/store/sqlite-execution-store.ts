import type BetterSqlite3 from "better-sqlite3";
import type { CallLineage, ExecutionPageQuery, ExecutionStore, LogChunkQuery, NewExecution, ReusableCall, StoreCallOptions } from "./execution-store.ts";
import { createdState } from "./execution-store.ts";
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import { logOrderKey } from "./log-order.ts";
import {
  type CallTexts,
  decodeCallRecord,
  decodeExecutionRecord,
  decodeExecutionState,
  decodeRecord,
  encodeCall,
  encodeExecutionRecord,
  encodeRecord,
} from "./record-json.ts";
import type { CallRecord, ExecutionRecord, ExecutionState, LogChunkRecord, WaitRecord, WaitResolution } from "./records.ts";
import { decodeReusedEntry, encodeReusedEntry, fitsReusedEntry, withReusedLineage, withReusedOutputs, withReusedRecords } from "./reused-call-entry.ts";
import { SqliteConnection, type SqliteLockOptions } from "./sqlite-connection.ts";

/** Options of {@link SqliteExecutionStore.open}. */
export interface SqliteStoreOptions extends SqliteLockOptions {
  /** The database file; created, with its parent directory, when missing. */
  readonly path: string;
}

type Row = Record<string, unknown>;
type Stmt = BetterSqlite3.Statement<unknown[], Row>;

/** The SQL of every statement the store runs (list pages are built per filter, see `#listStatement`). */
/**
 * A call row's record text: `record` with the `payloads` members spliced in
 * before its last brace (rows written before schema version 6 hold them in
 * `record` and have no `payloads`).
 */
const CALL_RECORD = "CASE WHEN payloads IS NULL THEN record ELSE substr(record, 1, length(record) - 1) || ',' || payloads || '}' END";

const SQL = {
  insertExecution: `INSERT INTO executions (exec_id, namespace, flow_name, created_at, status, seq, lease_expires_at, record, state, original_exec_id)
    VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING`,
  getExecution: "SELECT record, state FROM executions WHERE exec_id = ?",
  // INDEXED BY: without statistics the planner would pick executions_by_status and filter every running row.
  findClaimable: "SELECT exec_id FROM executions INDEXED BY executions_claimable WHERE status = 'running' AND lease_expires_at < ? LIMIT ?",
  insertTransition: "INSERT INTO transitions (exec_id, seq, state) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  updateCache: "UPDATE executions SET state = ?, status = ?, seq = ?, lease_expires_at = ? WHERE exec_id = ? AND seq < ?",
  renewLease: `INSERT INTO leases (exec_id, epoch, runner_id, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (exec_id, epoch) DO UPDATE SET runner_id = excluded.runner_id, expires_at = excluded.expires_at`,
  leaseExpiry: "SELECT expires_at FROM leases WHERE exec_id = ? AND epoch = ?",
  insertCall: "INSERT INTO calls (exec_id, invocation_id, attempt, sequence, record, lineage, payloads) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  // A call's outcome (attempt ''), unless a reused entry of the invocation came first.
  insertOutcome: `INSERT INTO calls (exec_id, invocation_id, attempt, sequence, record, lineage, payloads) SELECT ?, ?, ?, ?, ?, ?, ?
    WHERE NOT EXISTS (SELECT 1 FROM reused_calls WHERE exec_id = ? AND invocation_id = ?) ON CONFLICT DO NOTHING`,
  getCall: `SELECT ${CALL_RECORD} AS record FROM calls WHERE exec_id = ? AND invocation_id = ? AND attempt = ?`,
  insertReused: "INSERT INTO reused_calls (exec_id, invocation_id, sequence, entry) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  getReused: "SELECT entry FROM reused_calls WHERE exec_id = ? AND invocation_id = ?",
  // One JSON array of an execution's reused entries, in sequence order (reused-call-entry.ts merges it with the calls).
  listReused:
    "SELECT '[' || COALESCE(group_concat(entry, ','), '') || ']' AS entries FROM (SELECT entry FROM reused_calls WHERE exec_id = ? ORDER BY sequence)",
  listCalls: `SELECT ${CALL_RECORD} AS record FROM calls WHERE exec_id = ? ORDER BY sequence, rowid`,
  // One JSON array built by SQLite: one parse instead of one per call.
  listCallLineage:
    "SELECT '[' || COALESCE(group_concat(lineage, ','), '') || ']' AS lineage FROM (SELECT lineage FROM calls WHERE exec_id = ? ORDER BY sequence, rowid)",
  // The lineage object with the payload members spliced in by SQLite, as one array (rows written before
  // version 6 hold the payloads in their records: json_extract parses those in C).
  listReusableCalls: `SELECT '[' || COALESCE(group_concat(call, ','), '') || ']' AS calls FROM (
    SELECT substr(lineage, 1, length(lineage) - 1) || CASE WHEN payloads IS NOT NULL THEN ',' || payloads ELSE
        COALESCE(',"output":' || json_extract(record, '$.output'), '') || COALESCE(',"overrideValue":' || json_extract(record, '$.overrideValue'), '')
      END || '}' AS call
    FROM calls WHERE exec_id = ? ORDER BY sequence, rowid)`,
  insertBlobChunk: "INSERT INTO blobs (blob_id, chunk, data) VALUES (?, ?, ?)",
  blobChunks: "SELECT chunk, data FROM blobs WHERE blob_id = ? ORDER BY chunk",
  insertWait: "INSERT INTO waits (exec_id, name, created_at, record) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  listWaits: `SELECT w.record AS wait, r.record AS resolution FROM waits w
    LEFT JOIN wait_resolutions r ON r.exec_id = w.exec_id AND r.name = w.name
    WHERE w.exec_id = ? ORDER BY w.created_at, w.rowid`,
  insertResolution: "INSERT INTO wait_resolutions (exec_id, name, record) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  insertLogChunk: `INSERT INTO call_logs (exec_id, order_key, call_id, invocation_id, name, record)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
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
 */
export class SqliteExecutionStore implements ExecutionStore {
  readonly #connection: SqliteConnection;
  readonly #statements = new Map<string, Stmt>();

  private constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  /** Opens (or creates) the store in `options.path`. */
  static async open(options: SqliteStoreOptions): Promise<SqliteExecutionStore> {
    return new SqliteExecutionStore(await SqliteConnection.open(options.path, options));
  }

  /** The absolute path of the database file. */
  get path(): string {
    return this.#connection.file;
  }

  async close(): Promise<void> {
    this.#connection.close();
  }

  /** See {@link SqliteConnection.capFileSize}: caps (or, with undefined, uncaps) the file's size. */
  capFileSize(bytes: number | undefined): number {
    return this.#connection.capFileSize(bytes);
  }

  async checkWritable(options?: StoreCallOptions): Promise<void> {
    // A row larger than a page needs new pages (none are free when the file is full); committed, so a full disk shows.
    await this.#connection.write(options?.signal, () => {
      this.#sql("INSERT OR REPLACE INTO blobs (blob_id, chunk, data) VALUES ('kitaru-write-check', 0, zeroblob(16384))").run();
      this.#sql("DELETE FROM blobs WHERE blob_id = 'kitaru-write-check'").run();
    });
  }

  async ping(options?: StoreCallOptions): Promise<void> {
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

  insertExecution(execution: NewExecution, options?: StoreCallOptions): Promise<boolean> {
    const state = createdState(execution);
    const stateJson = encodeRecord(state);
    const recordJson = encodeExecutionRecord(execution);
    return this.#connection.write(options?.signal, () => {
      const inserted = this.#sql(SQL.insertExecution).run(
        execution.execId,
        execution.namespace ?? DEFAULT_NAMESPACE,
        execution.flowName,
        execution.createdAt.getTime(),
        state.status,
        state.seq,
        recordJson,
        stateJson,
        execution.originalExecId ?? null,
      );
      if (inserted.changes === 0) return false;
      this.#sql(SQL.insertTransition).run(execution.execId, state.seq, stateJson);
      return true;
    });
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

  findClaimable(now: Date, limit: number, options?: StoreCallOptions): Promise<string[]> {
    return this.#connection.read(options?.signal, () =>
      this.#sql(SQL.findClaimable)
        .all(now.getTime(), limit > 0 ? limit : -1)
        .map((row) => row.exec_id as string),
    );
  }

  appendTransition(
    execId: string,
    expected: ExecutionState,
    next: Omit<ExecutionState, "seq">,
    options?: StoreCallOptions,
  ): Promise<ExecutionState | undefined> {
    const seq = expected.seq + 1;
    const stateJson = encodeRecord({ ...next, seq });
    const state = decodeExecutionState(stateJson);
    return this.#connection.write(options?.signal, () => {
      if (this.#sql(SQL.insertTransition).run(execId, seq, stateJson).changes === 0) return undefined;
      // Same transaction: the cached state is the latest transition, always.
      this.#sql(SQL.updateCache).run(stateJson, state.status, seq, state.claim?.expiresAt.getTime() ?? 0, execId, seq);
      return state;
    });
  }

  // -------------------------------------------------------------------- leases

  async renewLease(execId: string, epoch: number, runnerId: string, expiresAt: Date, options?: StoreCallOptions): Promise<void> {
    await this.#connection.write(options?.signal, () => this.#sql(SQL.renewLease).run(execId, epoch, runnerId, expiresAt.getTime()));
  }

  leaseExpiry(execId: string, epoch: number, options?: StoreCallOptions): Promise<Date | undefined> {
    return this.#connection.read(options?.signal, () => {
      const row = this.#sql(SQL.leaseExpiry).get(execId, epoch);
      return row === undefined ? undefined : new Date(row.expires_at as number);
    });
  }

  // --------------------------------------------------------------------- calls

  recordCall(call: CallRecord, options?: StoreCallOptions): Promise<CallRecord | undefined> {
    const attempt = callAttempt(call);
    if (fitsReusedEntry(call)) {
      const entry = encodeReusedEntry(call);
      return this.#connection.write(options?.signal, () => {
        const outcome = this.#sql(SQL.getCall).get(call.execId, call.invocationId, "");
        if (outcome !== undefined) return decodeCallRecord(outcome.record as string);
        if (this.#sql(SQL.insertReused).run(call.execId, call.invocationId, call.sequence, entry).changes === 1) return undefined;
        return this.#reusedEntry(call.execId, call.invocationId);
      });
    }
    const texts = encodeCall(call);
    return this.#connection.write(options?.signal, () => {
      if (this.#insertRow(call, attempt, texts)) return undefined;
      const existing = this.#sql(SQL.getCall).get(call.execId, call.invocationId, attempt);
      if (existing !== undefined) return decodeCallRecord(existing.record as string);
      return attempt === "" ? this.#reusedEntry(call.execId, call.invocationId) : undefined;
    });
  }

  async recordCalls(calls: readonly CallRecord[], options?: StoreCallOptions): Promise<void> {
    if (calls.length === 0) return;
    // Encoded before the write transaction, which blocks other writers while it lasts.
    const rows = calls.map((call) => (fitsReusedEntry(call) ? { call, entry: encodeReusedEntry(call) } : { call, texts: encodeCall(call) }));
    await this.#connection.write(options?.signal, () => {
      const insertReused = this.#sql(SQL.insertReused);
      for (const row of rows) {
        // An existing call is kept (an entry behind an outcome row of its invocation is never read).
        if (row.entry !== undefined) insertReused.run(row.call.execId, row.call.invocationId, row.call.sequence, row.entry);
        else this.#insertRow(row.call, callAttempt(row.call), row.texts);
      }
    });
  }

  /** Inserts a call's row in `calls`; false when a record of its key (or, for an outcome, a reused entry of its invocation) exists. */
  #insertRow(call: CallRecord, attempt: string, texts: CallTexts): boolean {
    const { execId, invocationId, sequence } = call;
    const inserted =
      attempt === ""
        ? this.#sql(SQL.insertOutcome).run(execId, invocationId, attempt, sequence, texts.record, texts.lineage, texts.payloads ?? null, execId, invocationId)
        : this.#sql(SQL.insertCall).run(execId, invocationId, attempt, sequence, texts.record, texts.lineage, texts.payloads ?? null);
    return inserted.changes === 1;
  }

  /** The reused entry of an invocation, as a call record. */
  #reusedEntry(execId: string, invocationId: string): CallRecord | undefined {
    const row = this.#sql(SQL.getReused).get(execId, invocationId);
    return row === undefined ? undefined : decodeReusedEntry(execId, row.entry as string);
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

  listReusableCalls(execId: string, options?: StoreCallOptions): Promise<ReusableCall[]> {
    return this.#connection.read(options?.signal, () =>
      withReusedOutputs(
        JSON.parse((this.#sql(SQL.listReusableCalls).get(execId)?.calls as string | undefined) ?? "[]") as ReusableCall[],
        this.#reusedEntries(execId),
      ),
    );
  }

  listCalls(execId: string, options?: StoreCallOptions): Promise<CallRecord[]> {
    return this.#connection.read(options?.signal, () =>
      withReusedRecords(
        execId,
        this.#sql(SQL.listCalls)
          .all(execId)
          .map((row) => decodeCallRecord(row.record as string)),
        this.#reusedEntries(execId),
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
    const rows = chunks.map((c) => [c.execId, logOrderKey(c), c.callId, c.invocationId, c.name, encodeRecord(c)] as const);
    await this.#connection.write(options?.signal, () => {
      const insert = this.#sql(SQL.insertLogChunk);
      for (const row of rows) insert.run(...row); // a chunk stored already is kept
    });
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
    await this.#connection.write(options?.signal, () => {
      const insert = this.#sql(SQL.insertBlobChunk);
      for (const [i, data] of chunks.entries()) insert.run(blobId, i, data);
    });
  }

  async readBlob(blobId: string, count: number, options?: StoreCallOptions): Promise<(Uint8Array | undefined)[]> {
    const rows = await this.#connection.read(options?.signal, () => this.#sql(SQL.blobChunks).all(blobId));
    const chunks = new Array<Uint8Array | undefined>(count).fill(undefined);
    for (const row of rows) if ((row.chunk as number) < count) chunks[row.chunk as number] = row.data as Buffer;
    return chunks;
  }

  // --------------------------------------------------------------------- waits

  async recordWait(wait: Omit<WaitRecord, "resolution">, options?: StoreCallOptions): Promise<void> {
    const recordJson = encodeRecord(wait);
    await this.#connection.write(options?.signal, () => this.#sql(SQL.insertWait).run(wait.execId, wait.name, wait.createdAt.getTime(), recordJson));
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

  resolveWait(execId: string, name: string, resolution: WaitResolution, options?: StoreCallOptions): Promise<boolean> {
    const recordJson = encodeRecord(resolution);
    return this.#connection.write(options?.signal, () => this.#sql(SQL.insertResolution).run(execId, name, recordJson).changes === 1);
  }
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

function toExecutionRecord(row: Row): ExecutionRecord {
  return { ...decodeExecutionRecord(row.record as string), state: decodeExecutionState(row.state as string) };
}
