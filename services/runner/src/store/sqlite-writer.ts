/**
 * Group commit for the embedded store: every write of the runner process goes
 * to one writer thread (`sqlite-writer-worker.ts`), which commits all the
 * writes waiting when it is free in one transaction and one fsync, and
 * answers each write once that commit is durable. Concurrent executions share
 * the fsync instead of queueing for one each, and the runner's event loop
 * keeps serving while the disk syncs.
 *
 * @module
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type { WriteError, WriterReply, WriterRequest, WriterSettings } from "./sqlite-writer-worker.ts";
import type { WriteOp, WriteOutcome } from "./sqlite-write-ops.ts";
import { StoreUnavailableError } from "./store-errors.ts";

/** How the writer reports a failed write: the driver's error, as the store's reads would see it. */
export type WriteFailure = (error: Error) => Error;

interface Pending {
  readonly resolve: (value: WriteOutcome) => void;
  readonly reject: (error: Error) => void;
}

/** Transactions committed and writes they held, since the writer started. */
export interface GroupCommitStats {
  readonly commits: number;
  readonly writes: number;
  readonly commitMs: number;
}

const WORKER = new URL(`./sqlite-writer-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** The runner's side of the writer thread. */
export class SqliteWriter {
  readonly #worker: Worker;
  readonly #file: string;
  readonly #failure: WriteFailure;
  readonly #pending = new Map<number, Pending>();
  #outgoing: { id: number; op: WriteOp }[] = [];
  #nextId = 0;
  #broken: Error | undefined;
  #closed: Promise<void> | undefined;
  #stats = { commits: 0, writes: 0, commitMs: 0 };

  private constructor(worker: Worker, file: string, failure: WriteFailure) {
    this.#worker = worker;
    this.#file = file;
    this.#failure = failure;
    worker.on("message", (reply: WriterReply) => this.#onReply(reply));
    worker.on("error", (error) => this.#break(error));
    worker.on("exit", (code) => this.#break(new Error(`the writer thread exited (code ${code})`)));
    worker.unref(); // referenced only while writes are pending
  }

  /** Starts the writer thread on `file` (already opened and migrated by the caller) and waits until it has opened it. */
  static async start(file: string, options: { lockRetryMs: number; maxGroup?: number; failure: WriteFailure }): Promise<SqliteWriter> {
    const settings: WriterSettings = { file, lockRetryMs: options.lockRetryMs, maxGroup: options.maxGroup ?? 256 };
    const worker = startWorker(settings);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: WriterReply) => {
        if ("ready" in reply) done(undefined);
        else if ("failedToOpen" in reply) done(options.failure(driverError(reply.failedToOpen)));
      };
      const onError = (error: Error) =>
        done(new StoreUnavailableError(`Cannot start the SQLite writer thread for ${file} (${error.message})`, { cause: error }));
      const done = (error: Error | undefined) => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        if (error === undefined) resolve();
        else {
          void worker.terminate();
          reject(error);
        }
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
    });
    return new SqliteWriter(worker, file, options.failure);
  }

  /** Why the writer thread stopped, when it did (every write fails with it). */
  get failure(): Error | undefined {
    return this.#broken;
  }

  /** Transactions and writes so far (for benches and tests). */
  get stats(): GroupCommitStats {
    return { ...this.#stats };
  }

  /**
   * Queues `op` for the next group and resolves once the transaction that
   * holds it has committed (durably). A caller whose `signal` aborts before
   * the write is sent stops it; after that the write is made, and the caller
   * is answered as soon as it gives up (as with a database server).
   */
  write(op: WriteOp, signal: AbortSignal | undefined): Promise<WriteOutcome> {
    signal?.throwIfAborted();
    if (this.#closed !== undefined) return Promise.reject(new StoreUnavailableError(`The SQLite database ${this.#file} is closed.`));
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    const id = this.#nextId++;
    const answer = new Promise<WriteOutcome>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    if (this.#pending.size === 1) this.#worker.ref();
    if (this.#outgoing.length === 0) queueMicrotask(() => this.#send());
    this.#outgoing.push({ id, op });
    if (signal === undefined) return answer;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      answer.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** Waits for the writes sent so far, then stops the thread (closing its connection). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#send();
      if (this.#broken !== undefined) return;
      const closed = new Promise<void>((resolve) => {
        this.#worker.on("message", (reply: WriterReply) => "closed" in reply && resolve());
        this.#worker.once("exit", () => resolve());
      });
      this.#worker.ref();
      this.#worker.postMessage({ close: true } satisfies WriterRequest);
      await closed;
      await this.#worker.terminate();
    })();
    return this.#closed;
  }

  #send(): void {
    if (this.#outgoing.length === 0) return;
    const writes = this.#outgoing;
    this.#outgoing = [];
    this.#worker.postMessage({ writes } satisfies WriterRequest);
  }

  #onReply(reply: WriterReply): void {
    if (!("results" in reply)) return;
    if (reply.group > 0) this.#stats.commits += 1; // a reply to settings changes alone committed nothing
    this.#stats.writes += reply.group;
    this.#stats.commitMs += reply.commitMs;
    for (const result of reply.results) {
      const pending = this.#pending.get(result.id);
      if (pending === undefined) continue;
      this.#pending.delete(result.id);
      if ("error" in result) pending.reject(this.#failure(driverError(result.error)));
      else pending.resolve(result.value);
    }
    // While closing, the thread stays referenced until it says it has closed: else a
    // process with nothing else to do would exit between the last answer and that.
    if (this.#pending.size === 0 && this.#closed === undefined) this.#worker.unref();
  }

  /** The thread died: every write waiting fails, and so does every later one. */
  #break(error: Error): void {
    if (this.#broken !== undefined) return;
    this.#broken = new StoreUnavailableError(`The SQLite writer thread for ${this.#file} stopped (${error.message})`, { cause: error });
    for (const pending of this.#pending.values()) pending.reject(this.#broken);
    this.#pending.clear();
  }
}

/** The driver's error, rebuilt on this side of the thread boundary (an SqliteError when it has a code). */
function driverError(error: WriteError): Error {
  return error.code ? new Database.SqliteError(error.message, error.code) : new Error(error.message);
}

/**
 * The writer thread. From the compiled package, its module as it is; from
 * the TypeScript sources (this repository), through a bootstrap that
 * registers tsx's loader in the thread first: a worker does not inherit the
 * loader the process registered (by `--import tsx` or `bin/kitaru.mjs`).
 */
function startWorker(settings: WriterSettings): Worker {
  if (extname(WORKER.pathname) !== ".ts") return new Worker(WORKER, { workerData: settings });
  const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: settings });
}
