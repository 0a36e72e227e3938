/**
 * The group-commit writer's thread (started by `sqlite-writer.ts`): one
 * connection of its own to the store file, and a loop that takes every
 * write waiting when it is free and commits them in one transaction, with
 * one fsync (`synchronous=FULL`). Each write runs in a savepoint of its own,
 * so one that fails is rolled back alone; each write's result is posted back
 * only after the COMMIT has returned, i.e. once the write is durable.
 *
 * While a commit syncs, the writes that arrive meanwhile queue in this
 * thread's port and make up the next transaction: the slower the fsync, the
 * larger the group. The runner's event loop is never blocked by a commit.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { configureConnection } from "./sqlite-schema.ts";
import { applyWrite, type WriteOp, type WriteOutcome, WriteStatements } from "./sqlite-write-ops.ts";

/** What the runner's side sends: writes to make, or the request to finish and close. */
export type WriterRequest = { readonly writes: readonly { readonly id: number; readonly op: WriteOp }[] } | { readonly close: true };

/** A driver error as it crosses the thread boundary. */
export interface WriteError {
  readonly code: string;
  readonly message: string;
}

/** What this thread sends back. */
export type WriterReply =
  | { readonly ready: true }
  | { readonly failedToOpen: WriteError }
  | {
      readonly results: readonly ({ readonly id: number; readonly value: WriteOutcome } | { readonly id: number; readonly error: WriteError })[];
      /** Writes this transaction held, and how long its COMMIT (the fsync) took. */
      readonly group: number;
      readonly commitMs: number;
    }
  | { readonly closed: true };

/** How the writer is set up (`workerData`). */
export interface WriterSettings {
  readonly file: string;
  /** How long to keep trying for the write lock another process holds before failing the group's writes with SQLITE_BUSY. */
  readonly lockRetryMs: number;
  /** Writes per transaction at most (the rest go in the next one, right after). */
  readonly maxGroup: number;
}

const BUSY = /^SQLITE_(BUSY|LOCKED)/;
if (parentPort === null) throw new Error("sqlite-writer-worker.ts runs as a worker thread");
const port = parentPort;
const settings = workerData as WriterSettings;

const errorOf = (error: unknown): WriteError => ({
  code: error instanceof Database.SqliteError ? error.code : "",
  message: error instanceof Error ? error.message : String(error),
});

let db: Database.Database;
try {
  // Busy waits are this loop's (below), not SQLite's coarse busy handler.
  db = new Database(settings.file, { timeout: 0 });
  configureConnection(db);
} catch (error) {
  port.postMessage({ failedToOpen: errorOf(error) } satisfies WriterReply);
  throw error;
}
const statements = new WriteStatements(db);
const control = {
  begin: db.prepare("BEGIN IMMEDIATE"),
  commit: db.prepare("COMMIT"),
  rollback: db.prepare("ROLLBACK"),
  savepoint: db.prepare("SAVEPOINT write"),
  release: db.prepare("RELEASE write"),
  undo: db.prepare("ROLLBACK TO write"),
};
const pause = new Int32Array(new SharedArrayBuffer(4));

const queue: { id: number; op: WriteOp }[] = [];
let closing = false;
let scheduled = false;

port.on("message", (request: WriterRequest) => {
  if ("close" in request) closing = true;
  else for (const write of request.writes) queue.push(write);
  schedule();
});
port.postMessage({ ready: true } satisfies WriterReply);

/** Commits after the messages that arrived during the last commit have been taken in. */
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}

function drain(): void {
  scheduled = false;
  const group = nextGroup();
  if (group.length > 0) {
    const [first] = group;
    port.postMessage((first?.op.kind === "capPages" ? changeCap(first) : commitGroup(group)) satisfies WriterReply);
  }
  if (queue.length > 0) schedule();
  else if (closing) {
    db.close();
    port.postMessage({ closed: true } satisfies WriterReply);
    port.close();
  }
}

/**
 * The next group: the writes queued before the next change of the
 * connection's cap on the file (`capPages`), or that change alone. The cap
 * is not a write: made on its own, outside any transaction, lifting it works
 * while every write queued around it fails for lack of space.
 */
function nextGroup(): { id: number; op: WriteOp }[] {
  if (queue[0]?.op.kind === "capPages") return queue.splice(0, 1);
  // Only the group's own entries are looked at: the queue can hold thousands of writes under load.
  let end = 0;
  while (end < queue.length && end < settings.maxGroup && queue[end]?.op.kind !== "capPages") end++;
  return queue.splice(0, end);
}

/** A change of the cap on the file, made alone and outside any transaction: a reply that committed nothing (group 0). */
function changeCap({ id, op }: { id: number; op: WriteOp }): WriterReply {
  try {
    return { results: [{ id, value: applyWrite(statements, op) }], group: 0, commitMs: 0 };
  } catch (error) {
    return { results: [{ id, error: errorOf(error) }], group: 0, commitMs: 0 };
  }
}

/** One transaction for the whole group; every write's result, or the error that failed it. */
function commitGroup(group: readonly { id: number; op: WriteOp }[]): WriterReply {
  const failAll = (error: unknown) => ({ results: group.map(({ id }) => ({ id, error: errorOf(error) })), group: group.length, commitMs: 0 });
  try {
    takeWriteLock();
  } catch (error) {
    return failAll(error);
  }
  const results: ({ id: number; value: WriteOutcome } | { id: number; error: WriteError })[] = [];
  try {
    for (const { id, op } of group) {
      if (group.length === 1) {
        results.push({ id, value: applyWrite(statements, op) });
        continue;
      }
      control.savepoint.run();
      try {
        results.push({ id, value: applyWrite(statements, op) });
        control.release.run();
      } catch (error) {
        // SQLITE_FULL, SQLITE_IOERR and the like roll the whole transaction back by
        // themselves: no savepoint is left to undo, and the group fails with that error.
        if (!db.inTransaction) throw error;
        control.undo.run();
        control.release.run();
        results.push({ id, error: errorOf(error) });
      }
    }
    const t0 = performance.now();
    control.commit.run();
    return { results, group: group.length, commitMs: performance.now() - t0 };
  } catch (error) {
    // A single write's own error, or one the savepoints cannot contain (an I/O error, a full disk, the COMMIT itself).
    if (db.inTransaction) {
      try {
        control.rollback.run();
      } catch {
        // the connection rolled back by itself
      }
    }
    return failAll(error);
  }
}

/** BEGIN IMMEDIATE, retried with short sleeps of this thread while another process holds the write lock. */
function takeWriteLock(): void {
  const giveUpAt = Date.now() + settings.lockRetryMs;
  for (let attempt = 0; ; attempt++) {
    try {
      control.begin.run();
      return;
    } catch (error) {
      if (!(error instanceof Database.SqliteError) || !BUSY.test(error.code) || Date.now() >= giveUpAt) throw error;
      // From 0.1 ms, doubling up to 4 ms, with jitter: a commit of the other process takes about one fsync.
      Atomics.wait(pause, 0, 0, Math.min(4, 0.1 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
  }
}
