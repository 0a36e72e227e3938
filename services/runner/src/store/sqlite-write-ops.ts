/**
 * The embedded store's writes as plain data: what `SqliteExecutionStore`
 * asks for, already encoded to text, and the SQL that carries it out. The
 * same operations run on the runner's connection (one transaction each) or
 * in the group-commit writer's thread (`sqlite-writer-worker.ts`, many per
 * transaction), so both paths share this one piece of SQL.
 *
 * Imports nothing but types: the writer thread loads it without the
 * package's import conditions.
 *
 * @module
 */
import type BetterSqlite3 from "better-sqlite3";

/** A call row, its texts encoded (`record-json.ts`); `attempt` is `''` for the call's outcome. */
export interface CallRow {
  readonly execId: string;
  readonly invocationId: string;
  readonly attempt: string;
  readonly sequence: number;
  readonly record: string;
  readonly lineage: string;
  readonly payloads: string | null;
  /** An outcome's element of the call graph's `lineage` as sent (call-graph-encoder.ts); null for other records. */
  readonly lineageEntry: Uint8Array | null;
  /** The entry's form (`LINEAGE_ENTRY_FORM` when written); null without an entry. */
  readonly lineageForm: number | null;
}

/** A reused call as a compact entry (`reused-call-entry.ts`). */
export interface ReusedRow {
  readonly execId: string;
  readonly invocationId: string;
  readonly sequence: number;
  readonly entry: string;
}

/** A log chunk row. */
export interface LogRow {
  readonly execId: string;
  readonly orderKey: string;
  readonly callId: string;
  readonly invocationId: string;
  readonly name: string;
  readonly record: string;
}

/** One write the store asks for. */
export type WriteOp =
  | {
      readonly kind: "insertExecution";
      readonly execId: string;
      readonly namespace: string;
      readonly flowName: string;
      readonly createdAt: number;
      readonly record: string;
      readonly originalExecId: string | null;
      /** The first state (seq 0), and with it the claimed one (seq 1) of an execution created claimed: the last is cached. */
      readonly transitions: readonly { readonly seq: number; readonly state: string }[];
      /** The cached status and lease expiry: the last transition's. */
      readonly status: string;
      readonly leaseExpiresAt: number;
    }
  | {
      readonly kind: "appendTransition";
      readonly execId: string;
      readonly seq: number;
      readonly state: string;
      readonly status: string;
      readonly leaseExpiresAt: number;
    }
  | { readonly kind: "renewLease"; readonly execId: string; readonly epoch: number; readonly runnerId: string; readonly expiresAt: number }
  | { readonly kind: "recordReused"; readonly row: ReusedRow }
  | { readonly kind: "recordCall"; readonly row: CallRow }
  | { readonly kind: "recordCalls"; readonly reused: readonly ReusedRow[]; readonly rows: readonly CallRow[] }
  | { readonly kind: "appendLogs"; readonly rows: readonly LogRow[] }
  | { readonly kind: "writeBlob"; readonly blobId: string; readonly chunks: readonly Uint8Array[] }
  | { readonly kind: "recordWait"; readonly execId: string; readonly name: string; readonly createdAt: number; readonly record: string }
  | { readonly kind: "resolveWait"; readonly execId: string; readonly name: string; readonly record: string }
  | {
      readonly kind: "insertReplayJob";
      readonly jobId: string;
      readonly namespace: string;
      readonly createdAt: number;
      readonly record: string;
    }
  | { readonly kind: "markReplayJob"; readonly jobId: string; readonly cancelledAt: number | null; readonly endedAt: number | null }
  | { readonly kind: "putReplayJobItems"; readonly rows: readonly { readonly jobId: string; readonly index: number; readonly record: string }[] }
  /** Caps the file at `pages` pages on the writing connection (`SqliteExecutionStore.capFileSize`). */
  | { readonly kind: "capPages"; readonly pages: number };

/** A call recorded before the one being written: its whole record text, or its reused entry. */
export type ExistingCall = { readonly record: string } | { readonly entry: string };

/**
 * What a write returns: `insertExecution`, `appendTransition`,
 * `resolveWait` and `insertReplayJob` whether they inserted; `recordCall` and `recordReused` the
 * call recorded first, if any; the others nothing.
 */
export type WriteOutcome = boolean | ExistingCall | undefined;

const SQL = {
  insertExecution: `INSERT INTO executions (exec_id, namespace, flow_name, created_at, status, seq, lease_expires_at, record, state, original_exec_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  insertTransition: "INSERT INTO transitions (exec_id, seq, state) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  updateCache: "UPDATE executions SET state = ?, status = ?, seq = ?, lease_expires_at = ? WHERE exec_id = ? AND seq < ?",
  renewLease: `INSERT INTO leases (exec_id, epoch, runner_id, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (exec_id, epoch) DO UPDATE SET runner_id = excluded.runner_id, expires_at = excluded.expires_at`,
  insertCall: `INSERT INTO calls (exec_id, invocation_id, attempt, sequence, record, lineage, payloads, lineage_entry, lineage_form)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  // A call's outcome (attempt ''), unless a reused entry of the invocation came first.
  insertOutcome: `INSERT INTO calls (exec_id, invocation_id, attempt, sequence, record, lineage, payloads, lineage_entry, lineage_form)
    SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
    WHERE NOT EXISTS (SELECT 1 FROM reused_calls WHERE exec_id = ? AND invocation_id = ?) ON CONFLICT DO NOTHING`,
  // The same record text the store's reads build (payloads spliced back in).
  getCall: `SELECT CASE WHEN payloads IS NULL THEN record ELSE substr(record, 1, length(record) - 1) || ',' || payloads || '}' END AS record
    FROM calls WHERE exec_id = ? AND invocation_id = ? AND attempt = ?`,
  insertReused: "INSERT INTO reused_calls (exec_id, invocation_id, sequence, entry) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  getReused: "SELECT entry FROM reused_calls WHERE exec_id = ? AND invocation_id = ?",
  insertBlobChunk: "INSERT INTO blobs (blob_id, chunk, data) VALUES (?, ?, ?)",
  insertWait: "INSERT INTO waits (exec_id, name, created_at, record) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  insertResolution: "INSERT INTO wait_resolutions (exec_id, name, record) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  insertLogChunk: `INSERT INTO call_logs (exec_id, order_key, call_id, invocation_id, name, record)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  insertReplayJob: "INSERT INTO replay_jobs (job_id, namespace, created_at, record) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  // The first cancel and the first end are kept.
  markReplayJob: "UPDATE replay_jobs SET cancelled_at = coalesce(cancelled_at, ?), ended_at = coalesce(ended_at, ?) WHERE job_id = ?",
  putReplayJobItem: "INSERT INTO replay_job_items (job_id, idx, record) VALUES (?, ?, ?) ON CONFLICT (job_id, idx) DO UPDATE SET record = excluded.record",
} as const;

type Row = Record<string, unknown>;

/** The write statements of one connection, prepared on first use. */
export class WriteStatements {
  readonly #db: BetterSqlite3.Database;
  readonly #prepared = new Map<string, BetterSqlite3.Statement<unknown[], Row>>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** Sets this connection's `max_page_count`: writes beyond it fail as on a full disk. */
  capPages(pages: number): void {
    this.#db.pragma(`max_page_count = ${Math.floor(pages)}`);
  }

  get(name: keyof typeof SQL): BetterSqlite3.Statement<unknown[], Row> {
    let statement = this.#prepared.get(name);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[], Row>(SQL[name]);
      this.#prepared.set(name, statement);
    }
    return statement;
  }
}

/** Carries out one write inside the caller's transaction. */
export function applyWrite(sql: WriteStatements, op: WriteOp): WriteOutcome {
  switch (op.kind) {
    case "insertExecution": {
      const latest = op.transitions.at(-1);
      if (latest === undefined) throw new Error("insertExecution without a first state");
      const inserted = sql
        .get("insertExecution")
        .run(op.execId, op.namespace, op.flowName, op.createdAt, op.status, latest.seq, op.leaseExpiresAt, op.record, latest.state, op.originalExecId);
      if (inserted.changes === 0) return false;
      const insertTransition = sql.get("insertTransition");
      for (const transition of op.transitions) insertTransition.run(op.execId, transition.seq, transition.state);
      return true;
    }
    case "appendTransition":
      if (sql.get("insertTransition").run(op.execId, op.seq, op.state).changes === 0) return false;
      // Same transaction: the cached state is the latest transition, always.
      sql.get("updateCache").run(op.state, op.status, op.seq, op.leaseExpiresAt, op.execId, op.seq);
      return true;
    case "renewLease":
      sql.get("renewLease").run(op.execId, op.epoch, op.runnerId, op.expiresAt);
      return undefined;
    case "capPages":
      sql.capPages(op.pages);
      return undefined;
    case "recordReused": {
      const { execId, invocationId, sequence, entry } = op.row;
      const outcome = sql.get("getCall").get(execId, invocationId, "");
      if (outcome !== undefined) return { record: outcome.record as string };
      if (sql.get("insertReused").run(execId, invocationId, sequence, entry).changes === 1) return undefined;
      return reusedEntry(sql, execId, invocationId);
    }
    case "recordCall": {
      const { row } = op;
      if (insertCallRow(sql, row)) return undefined;
      const existing = sql.get("getCall").get(row.execId, row.invocationId, row.attempt);
      if (existing !== undefined) return { record: existing.record as string };
      return row.attempt === "" ? reusedEntry(sql, row.execId, row.invocationId) : undefined;
    }
    case "recordCalls": {
      // An existing call is kept (an entry behind an outcome row of its invocation is never read).
      const insertReused = sql.get("insertReused");
      for (const row of op.reused) insertReused.run(row.execId, row.invocationId, row.sequence, row.entry);
      for (const row of op.rows) insertCallRow(sql, row);
      return undefined;
    }
    case "appendLogs": {
      const insert = sql.get("insertLogChunk");
      for (const row of op.rows) insert.run(row.execId, row.orderKey, row.callId, row.invocationId, row.name, row.record); // a chunk stored already is kept
      return undefined;
    }
    case "writeBlob": {
      const insert = sql.get("insertBlobChunk");
      for (const [i, data] of op.chunks.entries()) insert.run(op.blobId, i, data);
      return undefined;
    }
    case "recordWait":
      sql.get("insertWait").run(op.execId, op.name, op.createdAt, op.record);
      return undefined;
    case "resolveWait":
      return sql.get("insertResolution").run(op.execId, op.name, op.record).changes === 1;
    case "insertReplayJob":
      return sql.get("insertReplayJob").run(op.jobId, op.namespace, op.createdAt, op.record).changes === 1;
    case "markReplayJob":
      sql.get("markReplayJob").run(op.cancelledAt, op.endedAt, op.jobId);
      return undefined;
    case "putReplayJobItems": {
      const put = sql.get("putReplayJobItem");
      for (const row of op.rows) put.run(row.jobId, row.index, row.record);
      return undefined;
    }
  }
}

/** Inserts a call's row in `calls`; false when a record of its key (or, for an outcome, a reused entry of its invocation) exists. */
function insertCallRow(sql: WriteStatements, row: CallRow): boolean {
  const { execId, invocationId, attempt, sequence, record, lineage, payloads, lineageEntry, lineageForm } = row;
  const inserted =
    attempt === ""
      ? sql.get("insertOutcome").run(execId, invocationId, attempt, sequence, record, lineage, payloads, lineageEntry, lineageForm, execId, invocationId)
      : sql.get("insertCall").run(execId, invocationId, attempt, sequence, record, lineage, payloads, lineageEntry, lineageForm);
  return inserted.changes === 1;
}

function reusedEntry(sql: WriteStatements, execId: string, invocationId: string): ExistingCall | undefined {
  const row = sql.get("getReused").get(execId, invocationId);
  return row === undefined ? undefined : { entry: row.entry as string };
}
