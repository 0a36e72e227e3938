import type BetterSqlite3 from "better-sqlite3";

// The embedded store's tables. Every record is a few indexed key columns plus
// the whole record as JSON text (record-json.ts), so optional fields added to
// the records later need no schema change. Dates used in queries are INTEGER
// milliseconds since the epoch.
//
// Every query of the store is served by a primary key or an index:
//   executions   point read by exec_id (PK); list pages (keyset on created_at
//                desc, exec_id desc) of a namespace without filter, by flow,
//                by status, by both; the sweep's pages by status across
//                namespaces; claimable = running with an expired lease (partial index)
//   transitions  (exec_id, seq) PK: the insert is the compare-and-set
//   leases       (exec_id, epoch) PK
//   calls        (exec_id, invocation_id, attempt) PK: first writer wins;
//                listCalls by (exec_id, sequence)
//   reused_calls (exec_id, invocation_id) PK: a replay's reused calls, one
//                compact entry each (reused-call-entry.ts); listed by the
//                PK's exec_id prefix and sorted by sequence
//   waits        (exec_id, name) PK; listWaits by (exec_id, created_at)
//   wait_resolutions (exec_id, name) PK: the insert makes one input win
//   blobs        (blob_id, chunk) PK
//   call_logs    (exec_id, order_key, call_id) PK: listLogs from a position;
//                countCalls uses the calls and reused_calls PKs (exec_id prefix)
//   replay_jobs  job_id PK; list pages of a namespace (keyset on created_at
//                desc, job_id desc); unfinished jobs (partial index)
//   replay_job_items (job_id, idx) PK: a job's items in index order

/** The schema version this code writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION = 7;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS executions (
  exec_id          TEXT    NOT NULL PRIMARY KEY,
  namespace        TEXT    NOT NULL DEFAULT 'default',
  flow_name        TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  -- Cache of the latest transition, written in the same transaction as it.
  status           TEXT    NOT NULL,
  seq              INTEGER NOT NULL,
  lease_expires_at INTEGER NOT NULL,
  record           TEXT    NOT NULL, -- the execution without its state
  state            TEXT    NOT NULL, -- the latest state
  -- Version 5: the execution a replay was made from (its family's tree).
  original_exec_id TEXT
);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status, created_at DESC, exec_id DESC);
CREATE INDEX IF NOT EXISTS executions_claimable ON executions (lease_expires_at) WHERE status = 'running';

CREATE TABLE IF NOT EXISTS transitions (
  exec_id TEXT    NOT NULL,
  seq     INTEGER NOT NULL,
  state   TEXT    NOT NULL,
  PRIMARY KEY (exec_id, seq)
);

CREATE TABLE IF NOT EXISTS leases (
  exec_id    TEXT    NOT NULL,
  epoch      INTEGER NOT NULL,
  runner_id  TEXT    NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (exec_id, epoch)
);

CREATE TABLE IF NOT EXISTS calls (
  exec_id       TEXT    NOT NULL,
  invocation_id TEXT    NOT NULL,
  -- '' for the call's outcome (completed, reused); '<status>:<generation>' for
  -- any other record, e.g. 'failed:2' for a failed attempt.
  attempt       TEXT    NOT NULL,
  sequence      INTEGER NOT NULL,
  record        TEXT    NOT NULL,
  -- Version 4: the call's lineage fields as compact JSON, so that planning a
  -- replay reads them without parsing whole records (record-json.ts).
  lineage       TEXT,
  -- Version 6: the record's payload members ("output":…,"overrideValue":…),
  -- kept out of record, so that a replay reads them without parsing whole
  -- records; NULL when it has none, and in rows written before (whose record
  -- holds them).
  payloads      TEXT,
  -- The outcome's element of the call graph's lineage as GetCallGraph sends
  -- it (call-graph-encoder.ts), so that planning reads the graph as one run
  -- of bytes, and the form it was written in (LINEAGE_ENTRY_FORM, which
  -- changes with the message's fields); NULL for other records and in rows
  -- written before them. Added without a new version: code of version 7
  -- leaves them NULL, which reads take as absent (see addLineageEntries).
  lineage_entry BLOB,
  lineage_form  INTEGER,
  PRIMARY KEY (exec_id, invocation_id, attempt)
);
CREATE INDEX IF NOT EXISTS calls_by_sequence ON calls (exec_id, sequence);

-- Version 6: a replay's reused calls, one compact entry each instead of a
-- whole record in calls (a third of the bytes per commit, one B-tree instead
-- of three). Calls reused before version 6 stay in calls; reads merge both.
CREATE TABLE IF NOT EXISTS reused_calls (
  exec_id       TEXT    NOT NULL,
  invocation_id TEXT    NOT NULL,
  sequence      INTEGER NOT NULL,
  entry         TEXT    NOT NULL,
  PRIMARY KEY (exec_id, invocation_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS waits (
  exec_id    TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  record     TEXT    NOT NULL,
  PRIMARY KEY (exec_id, name)
);
CREATE INDEX IF NOT EXISTS waits_by_created ON waits (exec_id, created_at);

CREATE TABLE IF NOT EXISTS wait_resolutions (
  exec_id TEXT NOT NULL,
  name    TEXT NOT NULL,
  record  TEXT NOT NULL,
  PRIMARY KEY (exec_id, name)
);

CREATE TABLE IF NOT EXISTS blobs (
  blob_id TEXT    NOT NULL,
  chunk   INTEGER NOT NULL,
  data    BLOB    NOT NULL,
  PRIMARY KEY (blob_id, chunk)
);

-- Version 2: log lines of checkpoint calls, one row per chunk of an attempt.
CREATE TABLE IF NOT EXISTS call_logs (
  exec_id       TEXT NOT NULL,
  order_key     TEXT NOT NULL, -- log-order.ts: sequence, generation, attempt, chunk, zero-padded
  call_id       TEXT NOT NULL,
  invocation_id TEXT NOT NULL,
  name          TEXT NOT NULL,
  record        TEXT NOT NULL,
  PRIMARY KEY (exec_id, order_key, call_id)
);

-- Version 7: replay jobs the planner stores (the runner never interprets
-- record), and their items, one per source.
CREATE TABLE IF NOT EXISTS replay_jobs (
  job_id       TEXT    NOT NULL PRIMARY KEY,
  namespace    TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  cancelled_at INTEGER,
  ended_at     INTEGER,
  record       TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS replay_jobs_by_namespace ON replay_jobs (namespace, created_at DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS replay_jobs_unfinished ON replay_jobs (created_at DESC, job_id DESC) WHERE ended_at IS NULL;

CREATE TABLE IF NOT EXISTS replay_job_items (
  job_id TEXT    NOT NULL,
  idx    INTEGER NOT NULL,
  record TEXT    NOT NULL,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
`;

/** Version 3: list pages per namespace (the `namespace` column is added to older files first). */
const NAMESPACE_INDEXES = `
DROP INDEX IF EXISTS executions_by_created;
DROP INDEX IF EXISTS executions_by_flow;
DROP INDEX IF EXISTS executions_by_flow_status;
CREATE INDEX IF NOT EXISTS executions_by_namespace ON executions (namespace, created_at DESC, exec_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_namespace_flow ON executions (namespace, flow_name, created_at DESC, exec_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_namespace_status ON executions (namespace, status, created_at DESC, exec_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_namespace_flow_status ON executions (namespace, flow_name, status, created_at DESC, exec_id DESC);
`;

/** Columns every kitaru file's `executions` table has had since version 1. */
const KITARU_EXECUTION_COLUMNS = ["exec_id", "flow_name", "status", "record", "state"];

/**
 * The tables of another application in the file, when it is not a kitaru
 * database: reads only, so call it before {@link configureConnection} (which
 * switches the journal to WAL, a change to the file). A kitaru file is empty
 * (new) or has a `user_version` and kitaru's `executions` table; anything
 * else (tables without a version, or a version with someone else's tables)
 * is foreign. Returns undefined for an empty or kitaru file; else up to 5
 * table names, sorted.
 */
export function foreignTables(db: BetterSqlite3.Database): string[] | undefined {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
    (row) => row.name,
  );
  if (tables.length === 0) return undefined;
  const version = db.pragma("user_version", { simple: true }) as number;
  const columns = new Set((db.prepare("SELECT name FROM pragma_table_info('executions')").all() as { name: string }[]).map((c) => c.name));
  const ours = version > 0 && KITARU_EXECUTION_COLUMNS.every((column) => columns.has(column));
  return ours ? undefined : tables.slice(0, 5);
}

/**
 * Sets the connection's durability settings. Call once per connection,
 * before anything else:
 *
 * - `journal_mode=WAL`: readers never block the writer and the writer never
 *   blocks readers, also across processes on one machine (the WAL index is
 *   shared memory, so the file must be on a local disk, not a network share).
 * - `synchronous=FULL`: every commit fsyncs the WAL before it returns, so a
 *   committed write survives a crash of the process *and* of the machine
 *   (NORMAL would only survive the process crash: the last commits before a
 *   power loss could roll back). `fullfsync` makes that hold on macOS too,
 *   where plain fsync does not flush the drive's cache (no-op elsewhere).
 * - `journal_size_limit`: the WAL file is truncated back to 64 MiB after a
 *   checkpoint instead of keeping its largest size (checkpoints run
 *   automatically every ~1000 pages).
 * - Foreign keys stay off: the store keeps its own invariants.
 */
export function configureConnection(db: BetterSqlite3.Database): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("fullfsync = ON");
  db.pragma("journal_size_limit = 67108864");
}

/**
 * Creates the tables and indexes when the file is new, and the ones a newer
 * version added when it is older (every statement is `IF NOT EXISTS`), in one
 * transaction (several processes may open a file at once). Throws when the
 * file was written by a newer schema version than this code knows.
 */
export function applySchema(db: BetterSqlite3.Database): void {
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`The database has schema version ${version}; this kitaru knows up to ${SCHEMA_VERSION}. Use a newer kitaru.`);
    }
    if (version === SCHEMA_VERSION) {
      addLineageEntries(db);
      return;
    }
    db.exec(SCHEMA);
    const columns = db.prepare("SELECT name FROM pragma_table_info('executions')").all() as { name: string }[];
    if (!columns.some((c) => c.name === "namespace")) db.exec("ALTER TABLE executions ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default'");
    db.exec(NAMESPACE_INDEXES);
    const callColumns = db.prepare("SELECT name FROM pragma_table_info('calls')").all() as { name: string }[];
    if (!callColumns.some((c) => c.name === "lineage")) db.exec("ALTER TABLE calls ADD COLUMN lineage TEXT");
    if (!callColumns.some((c) => c.name === "payloads")) db.exec("ALTER TABLE calls ADD COLUMN payloads TEXT");
    // Calls written before version 4 get their lineage from their records, once.
    db.exec(`UPDATE calls SET lineage = json_object(
      'invocationId', record ->> '$.invocationId', 'callId', record ->> '$.callId', 'name', record ->> '$.name',
      'status', record ->> '$.status', 'sequence', sequence, 'generation', record ->> '$.generation',
      'dataDependencies', json(record -> '$.dataDependencies'), 'loadDependencies', json(record -> '$.loadDependencies'),
      'outputNames', json(record -> '$.outputNames')) WHERE lineage IS NULL`);
    if (!columns.some((c) => c.name === "original_exec_id")) {
      db.exec("ALTER TABLE executions ADD COLUMN original_exec_id TEXT");
      db.exec("UPDATE executions SET original_exec_id = record ->> '$.originalExecId' WHERE record ->> '$.originalExecId' IS NOT NULL");
    }
    db.exec("CREATE INDEX IF NOT EXISTS executions_by_original ON executions (original_exec_id, created_at) WHERE original_exec_id IS NOT NULL");
    addLineageEntries(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * The `calls.lineage_entry` and `lineage_form` columns, added to a file that lacks them. A nullable
 * column that older code neither reads nor writes, so no new version: a
 * runner of the previous release keeps opening the file (a rolling upgrade
 * runs both on it), and its rows' NULL sends planning to the lineage texts.
 */
function addLineageEntries(db: BetterSqlite3.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('calls')").all() as { name: string }[];
  if (!columns.some((c) => c.name === "lineage_entry")) db.exec("ALTER TABLE calls ADD COLUMN lineage_entry BLOB");
  if (!columns.some((c) => c.name === "lineage_form")) db.exec("ALTER TABLE calls ADD COLUMN lineage_form INTEGER");
}
