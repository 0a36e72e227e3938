import { randomBytes } from "node:crypto";
import {
  Binary,
  MongoClient,
  MongoServerError,
  type Collection,
  type Db,
  type Filter,
  type MongoClientOptions,
  type TopologyDescriptionChangedEvent,
} from "mongodb";
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
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
import { logOrderKey } from "./log-order.ts";
import type {
  BlobDocument,
  CallDocument,
  ExecutionDocument,
  LeaseDocument,
  LogChunkDocument,
  ReplayJobDocument,
  ReplayJobItemDocument,
  TransitionDocument,
  WaitDocument,
  WaitResolutionDocument,
} from "./mongo-documents.ts";
import type {
  CallRecord,
  ExecutionRecord,
  ExecutionState,
  LogChunkRecord,
  LogLineRecord,
  ReplayJobItemRecord,
  ReplayJobRecord,
  WaitRecord,
  WaitResolution,
} from "./records.ts";
import { mongoConnectError } from "./mongo-connect-error.ts";
import { storeError } from "./mongo-store-error.ts";
import { MongoServerChecks } from "./mongo-server-checks.ts";

const DUPLICATE_KEY = 11000;
const EPOCH_ZERO = new Date(0);

function isDuplicateKey(error: unknown): boolean {
  if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return true;
  // insertMany reports duplicates per document in writeErrors.
  const writeErrors = (error as { writeErrors?: { code?: number }[] } | undefined)?.writeErrors;
  return Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => e.code === DUPLICATE_KEY);
}

/**
 * Makes every public method of `store` (everything on its class's prototype)
 * report an unreachable server as {@link StoreUnavailableError}, so a method
 * added later is covered without wrapping it by hand.
 */
function reportUnavailable(store: object): void {
  const prototype = Object.getPrototypeOf(store) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = prototype[name];
    if (name === "constructor" || typeof method !== "function" || SYNCHRONOUS_METHODS.has(name)) continue;
    const guarded = async (...args: unknown[]) => {
      try {
        return await (method as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      } catch (error) {
        throw storeError(error);
      }
    };
    Object.defineProperty(store, name, { value: guarded, configurable: true, writable: true });
  }
}

/** Methods that talk to no server and return no promise: not wrapped by {@link reportUnavailable}. */
const SYNCHRONOUS_METHODS: ReadonlySet<string> = new Set(["watchAvailability", "describeConnection"]);

/** Options of {@link MongoExecutionStore.connect}. */
export interface MongoStoreOptions {
  /** MongoDB connection string. */
  readonly uri: string;
  /** Database name. */
  readonly database: string;
  /**
   * Milliseconds to wait for a server before failing; default 5000. Longer
   * than a replica set's election (~2 s), short enough that callers hear of
   * an outage well before their own deadlines.
   */
  readonly serverSelectionTimeoutMS?: number;
  /**
   * Milliseconds to open a connection, and the most the driver's monitor
   * waits for a heartbeat; default 5000 (or serverSelectionTimeoutMS when lower). The driver's own default, 30 s, let
   * one heartbeat sent to a host that died without closing its connections
   * keep the server unselectable (every call failing) for 30 s after the
   * database answered again.
   */
  readonly connectTimeoutMS?: number;
}

/** Default of {@link MongoStoreOptions.serverSelectionTimeoutMS}, and the cap on opening one connection (`connectTimeoutMS`). */
const CONNECT_TIMEOUT_MS = 5_000;
/** The driver's `heartbeatFrequencyMS`: one check of the server every 2 s (a `hello`; the driver's default is 10 s). */
const HEARTBEAT_MS = 2_000;
/** How long {@link MongoExecutionStore.reconnectIfStuck}'s probe waits for the database (at most). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The driver options of the store's client. They take precedence over the
 * URI's (docs/upgrades.md, "MongoDB in production"): reads go to the primary
 * (a compare-and-set re-read must see the write that beat it, which a
 * secondary may not have yet) and writes are acknowledged by a majority of
 * the replica set, journaled (an acknowledged checkpoint must survive a
 * failover); retryable writes stay on (the server applies a retried insert
 * once, so it never looks like a lost race).
 */
export function storeClientOptions(serverSelectionTimeoutMS: number, connectTimeoutMS?: number): MongoClientOptions {
  return {
    serverSelectionTimeoutMS,
    connectTimeoutMS: connectTimeoutMS ?? Math.min(serverSelectionTimeoutMS, CONNECT_TIMEOUT_MS),
    // How often the driver checks a server it cannot reach (default 10 s): after a database restart, a
    // failed check would otherwise keep every operation, and health, failing that long after it is back.
    heartbeatFrequencyMS: HEARTBEAT_MS,
    appName: "kitaru-runner",
    ignoreUndefined: true,
    readPreference: "primary",
    writeConcern: { w: "majority", journal: true },
    retryWrites: true,
  };
}

/** The fields of a call document the planner and the replay guard read: its lineage, never its values. */
const LINEAGE_PROJECTION = {
  _id: 0,
  invocationId: 1,
  callId: 1,
  name: 1,
  status: 1,
  sequence: 1,
  generation: 1,
  dataDependencies: 1,
  loadDependencies: 1,
  outputNames: 1,
} as const;

/**
 * The {@link ExecutionStore} on MongoDB (and MongoDB-wire servers such as
 * FerretDB). Correct on servers without atomic conditional updates: contended
 * writes are inserts with deterministic keys; the execution document's state
 * fields are a cache that every writer repairs after writing (see `writeCache`).
 * A server out of reach (network, server selection, closed client) surfaces
 * as {@link StoreUnavailableError} with the driver error as its cause.
 */
export class MongoExecutionStore implements ExecutionStore {
  readonly #client: MongoClient;
  readonly #executions: Collection<ExecutionDocument>;
  readonly #transitions: Collection<TransitionDocument>;
  readonly #leases: Collection<LeaseDocument>;
  readonly #calls: Collection<CallDocument>;
  readonly #waits: Collection<WaitDocument>;
  readonly #resolutions: Collection<WaitResolutionDocument>;
  readonly #blobs: Collection<BlobDocument>;
  readonly #logs: Collection<LogChunkDocument>;
  readonly #replayJobs: Collection<ReplayJobDocument>;
  readonly #replayJobItems: Collection<ReplayJobItemDocument>;
  readonly #db: Db;
  readonly #serverChecks: MongoServerChecks;
  readonly #options: MongoStoreOptions;
  /** Set by {@link close}: a reconnect under way must not reopen the client. */
  #closed = false;

  private constructor(client: MongoClient, db: Db, serverChecks: MongoServerChecks, options: MongoStoreOptions) {
    this.#client = client;
    this.#serverChecks = serverChecks;
    this.#options = options;
    this.#db = db;
    this.#executions = db.collection("executions");
    this.#transitions = db.collection("transitions");
    this.#leases = db.collection("leases");
    this.#calls = db.collection("calls");
    this.#waits = db.collection("waits");
    this.#resolutions = db.collection("wait_resolutions");
    this.#blobs = db.collection("blobs");
    this.#logs = db.collection("call_logs");
    this.#replayJobs = db.collection("replay_jobs");
    this.#replayJobItems = db.collection("replay_job_items");
    reportUnavailable(this);
  }

  /**
   * Connects, checks the server answers, and creates the indexes. Any failure
   * is a `StoreConnectError` (a {@link StoreUnavailableError}) saying why:
   * refused, DNS, not MongoDB, timeout, authentication, TLS, a bad URI. An
   * unreachable server fails after `serverSelectionTimeoutMS`.
   */
  static async connect(options: MongoStoreOptions): Promise<MongoExecutionStore> {
    const timeoutMs = options.serverSelectionTimeoutMS ?? CONNECT_TIMEOUT_MS;
    let client: MongoClient;
    try {
      client = new MongoClient(options.uri, storeClientOptions(timeoutMs, options.connectTimeoutMS));
    } catch (error) {
      throw mongoConnectError(error, options.uri, timeoutMs, "uri"); // the driver parses the URI here
    }
    try {
      const serverChecks = new MongoServerChecks(client); // before connect: the first checks count too
      await client.connect();
      const store = new MongoExecutionStore(client, client.db(options.database), serverChecks, options);
      await store.#ensureIndexes();
      return store;
    } catch (error) {
      await client.close().catch(() => undefined);
      throw mongoConnectError(error, options.uri, timeoutMs);
    }
  }

  /**
   * Every query the store makes has an index (docs/architecture.md lists
   * them with their queries). Point reads by `_id` (executions, transitions,
   * leases, calls, blobs) use the primary key.
   */
  async #ensureIndexes(): Promise<void> {
    // findClaimable: {status: "running", leaseExpiresAt: {$lt: now}}.
    await this.#executions.createIndex({ status: 1, leaseExpiresAt: 1 });
    // listExecutions of a namespace, newest first and keyset-paged, with no filter, a flow, a status, or both.
    await this.#executions.createIndex({ namespace: 1, createdAt: -1, _id: -1 });
    await this.#executions.createIndex({ namespace: 1, flowName: 1, createdAt: -1, _id: -1 });
    await this.#executions.createIndex({ namespace: 1, status: 1, createdAt: -1, _id: -1 });
    await this.#executions.createIndex({ namespace: 1, flowName: 1, status: 1, createdAt: -1, _id: -1 });
    // The scheduler's sweep: pages of waiting executions across namespaces.
    await this.#executions.createIndex({ status: 1, createdAt: -1, _id: -1 });
    // listCalls, listWaits and the resolutions beside them.
    await this.#executions.createIndex({ originalExecId: 1, createdAt: 1 });
    await this.#calls.createIndex({ execId: 1, sequence: 1 });
    await this.#waits.createIndex({ execId: 1, createdAt: 1 });
    await this.#resolutions.createIndex({ execId: 1 });
    await this.#logs.createIndex({ execId: 1, order: 1 });
    // listReplayJobs of a namespace, newest first; the unfinished ones a restarted planner resumes; a job's items.
    await this.#replayJobs.createIndex({ namespace: 1, createdAt: -1, _id: -1 });
    await this.#replayJobs.createIndex({ ended: 1, createdAt: -1, _id: -1 });
    await this.#replayJobItems.createIndex({ jobId: 1, index: 1 });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.close();
  }

  watchAvailability(listener: (problem: string | undefined) => void): () => void {
    // The driver's monitor sees a server go away (its connection closes or a heartbeat fails) before any operation waits
    // out serverSelectionTimeoutMS for it: no writable server is the moment calls cannot succeed.
    let down = false;
    const onChange = (event: TopologyDescriptionChangedEvent) => {
      const servers = [...event.newDescription.servers.values()];
      const writable = servers.some((server) => server.isWritable);
      if (writable === !down) return;
      down = !writable;
      const error = servers.find((server) => server.error)?.error;
      listener(down ? `no MongoDB server can take writes${error ? ` (${error.message})` : ""}` : undefined);
    };
    this.#client.on("topologyDescriptionChanged", onChange);
    return () => this.#client.off("topologyDescriptionChanged", onChange);
  }

  describeConnection(): string {
    return this.#serverChecks.describe();
  }

  /**
   * Reconnects this store's client when the database answers a new client
   * but not it. Only a check by the driver's monitor makes a server that an
   * operation marked unknown (its connection lost) selectable again. Twice
   * in CI a runner could not reach a restarted FerretDB for over 15 s, every
   * operation failing with the error of the kill: the monitor had recorded
   * no check since (why is not known). Closing and reopening the client
   * gives it a new topology and monitor; a client put in that state on
   * purpose (its monitor stopped) reached the database 18 ms later. The
   * probe is a separate client with one connection, closed at once; when it
   * cannot reach the database either, nothing is done.
   */
  async reconnectIfStuck(): Promise<string | undefined> {
    const timeoutMs = Math.min(this.#options.serverSelectionTimeoutMS ?? CONNECT_TIMEOUT_MS, PROBE_TIMEOUT_MS);
    const probe = new MongoClient(this.#options.uri, { ...storeClientOptions(timeoutMs), maxPoolSize: 1, appName: "kitaru-runner-probe" });
    try {
      await probe.db(this.#options.database).command({ ping: 1 });
    } catch {
      return undefined; // down for a new client too: the driver's own recovery is all there is to wait for
    } finally {
      await probe.close().catch(() => undefined);
    }
    if (this.#closed) return undefined;
    const driverView = this.#serverChecks.describe();
    await this.#client.close();
    if (this.#closed) return undefined; // closed meanwhile: stays closed
    await this.#client.connect();
    if (this.#closed) await this.#client.close();
    return `the database answered a new client but not the runner's, whose driver saw: ${driverView}; the client was reconnected`;
  }

  async checkWritable(options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    const _id = `kitaru-write-check:${randomBytes(8).toString("hex")}`;
    await this.#blobs.insertOne({ _id, data: new Binary(Buffer.alloc(16 * 1024)) });
    await this.#blobs.deleteOne({ _id });
  }

  async ping(options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    await this.#db.command({ ping: 1 }, { signal: options?.signal });
  }

  // ---------------------------------------------------------------- executions

  async insertExecution(execution: NewExecution, options?: InsertExecutionOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    const created = createdState(execution);
    // The first state lives in the execution document only. An execution created claimed caches its
    // claimed state there from the start, so nobody ever reads seq 0 (or appends after it).
    const state: ExecutionState = options?.claimed === undefined ? created : stripUndefined({ ...options.claimed, seq: created.seq + 1 });
    const { execId, ...fields } = execution;
    try {
      // Every field of the record is kept (a field added to ExecutionRecord needs no change here).
      await this.#executions.insertOne(
        stripUndefined({ _id: execId, ...fields, state, status: state.status, seq: state.seq, leaseExpiresAt: state.claim?.expiresAt ?? EPOCH_ZERO }),
      );
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
    if (state.seq > created.seq) {
      // The claim's transition, after the insert that decided who created the execution: only this
      // writer appends seq 1 (a duplicate is this insert's own retry by the driver).
      await this.#transitions.insertOne({ _id: `${execId}:${state.seq}`, execId, seq: state.seq, state }).catch((error: unknown) => {
        if (!isDuplicateKey(error)) throw error;
      });
    }
    return true;
  }

  async getExecution(execId: string, options?: StoreCallOptions): Promise<ExecutionRecord | undefined> {
    options?.signal?.throwIfAborted();
    const doc = await this.#executions.findOne({ _id: execId }, { signal: options?.signal });
    if (doc === null) return undefined;
    const latest = await this.#latestFrom(execId, doc.state);
    if (latest.seq !== doc.state.seq) await this.#writeCache(execId, latest);
    return toExecutionRecord(doc, latest);
  }

  async listReplaysOf(execIds: readonly string[], namespace: string, options?: StoreCallOptions): Promise<ExecutionRecord[]> {
    options?.signal?.throwIfAborted();
    if (execIds.length === 0) return [];
    const docs = await this.#executions
      .find({ originalExecId: { $in: [...execIds] } }, { signal: options?.signal })
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
    // Executions written before namespaces have none: they are in the default one.
    return docs.filter((doc) => (doc.namespace ?? DEFAULT_NAMESPACE) === namespace).map((doc) => toExecutionRecord(doc, doc.state));
  }

  async listExecutions(query: ExecutionPageQuery, options?: StoreCallOptions): Promise<ExecutionRecord[]> {
    options?.signal?.throwIfAborted();
    const filter: Filter<ExecutionDocument> = {};
    if (query.namespace !== undefined) filter.namespace = query.namespace;
    if (query.flowName) filter.flowName = query.flowName;
    if (query.status) filter.status = query.status;
    if (query.after) {
      filter.$or = [{ createdAt: { $lt: query.after.createdAt } }, { createdAt: query.after.createdAt, _id: { $lt: query.after.execId } }];
    }
    const docs = await this.#executions.find(filter, { signal: options?.signal }).sort({ createdAt: -1, _id: -1 }).limit(query.limit).toArray();
    return docs.map((doc) => toExecutionRecord(doc, doc.state));
  }

  async findClaimable(now: Date, limit: number, options?: ClaimableOptions): Promise<string[]> {
    options?.signal?.throwIfAborted();
    // A version hold is matched on the cached state: the index serves {status, leaseExpiresAt}, the few expired rows are filtered.
    const unheld = { "state.versionHold": { $exists: false } };
    const hold = options?.flowVersion === undefined ? unheld : { $or: [unheld, { "state.versionHold.requiredFlowVersion": options.flowVersion }] };
    const docs = await this.#executions
      .find({ status: "running", leaseExpiresAt: { $lt: now }, ...hold }, { projection: { _id: 1 }, signal: options?.signal })
      .limit(limit)
      .toArray();
    return docs.map((doc) => doc._id);
  }

  async appendTransition(
    execId: string,
    expected: ExecutionState,
    next: Omit<ExecutionState, "seq">,
    options?: StoreCallOptions,
  ): Promise<ExecutionState | undefined> {
    options?.signal?.throwIfAborted();
    const state: ExecutionState = stripUndefined({ ...next, seq: expected.seq + 1 });
    try {
      await this.#transitions.insertOne({ _id: `${execId}:${state.seq}`, execId, seq: state.seq, state });
    } catch (error) {
      if (isDuplicateKey(error)) return undefined;
      throw error;
    }
    await this.#writeCache(execId, state);
    return state;
  }

  /** Follows transitions after `state` by point reads (`_id` lookups are indexed everywhere). */
  async #latestFrom(execId: string, state: ExecutionState): Promise<ExecutionState> {
    let latest = state;
    for (;;) {
      const next = await this.#transitions.findOne({ _id: `${execId}:${latest.seq + 1}` });
      if (next === null) return latest;
      latest = next.state;
    }
  }

  /**
   * Writes `state` into the execution document's cache fields, then checks
   * for a newer transition and writes again until none exists. Because every
   * transition is inserted before its writer updates the cache, and every
   * cache write is followed by such a check, the cache converges on the
   * latest state even when a server rewrites whole documents on update.
   */
  async #writeCache(execId: string, state: ExecutionState): Promise<void> {
    let current = state;
    for (;;) {
      await this.#executions.updateOne(
        { _id: execId },
        {
          $set: {
            state: current,
            status: current.status,
            seq: current.seq,
            leaseExpiresAt: current.claim?.expiresAt ?? EPOCH_ZERO,
          },
        },
      );
      const newer = await this.#latestFrom(execId, current);
      if (newer.seq === current.seq) return;
      current = newer;
    }
  }

  // -------------------------------------------------------------------- leases

  async renewLease(execId: string, epoch: number, runnerId: string, expiresAt: Date, options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    await this.#leases.updateOne({ _id: `${execId}:${epoch}` }, { $set: { runnerId, expiresAt } }, { upsert: true });
  }

  async leaseExpiry(execId: string, epoch: number, options?: StoreCallOptions): Promise<Date | undefined> {
    options?.signal?.throwIfAborted();
    const lease = await this.#leases.findOne({ _id: `${execId}:${epoch}` }, { signal: options?.signal });
    return lease?.expiresAt;
  }

  // --------------------------------------------------------------------- calls

  async recordCall(call: CallRecord, options?: StoreCallOptions): Promise<CallRecord | undefined> {
    options?.signal?.throwIfAborted();
    const doc = toCallDocument(call);
    try {
      await this.#calls.insertOne(doc);
      return undefined;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.#calls.findOne({ _id: doc._id });
      return existing === null ? undefined : toCallRecord(existing);
    }
  }

  async recordCalls(calls: readonly CallRecord[], options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    if (calls.length === 0) return;
    try {
      await this.#calls.insertMany(calls.map(toCallDocument), { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async listCallLineage(execId: string, options?: StoreCallOptions): Promise<CallLineage[]> {
    options?.signal?.throwIfAborted();
    const docs = await this.#calls.find({ execId }, { projection: LINEAGE_PROJECTION, signal: options?.signal }).sort({ sequence: 1 }).toArray();
    return docs.map((doc) => ({
      invocationId: doc.invocationId,
      callId: doc.callId,
      name: doc.name,
      status: doc.status as CallLineage["status"],
      sequence: doc.sequence,
      generation: doc.generation,
      dataDependencies: doc.dataDependencies,
      loadDependencies: doc.loadDependencies,
      outputNames: doc.outputNames,
    }));
  }

  async listReusableCalls(execId: string, options?: StoreCallOptions): Promise<ReusableCall[]> {
    options?.signal?.throwIfAborted();
    const projection = { ...LINEAGE_PROJECTION, output: 1, overrideValue: 1 };
    const docs = await this.#calls.find({ execId }, { projection, signal: options?.signal }).sort({ sequence: 1 }).toArray();
    return docs as unknown as ReusableCall[];
  }

  async listCalls(execId: string, options?: ListCallsOptions): Promise<CallRecord[]> {
    options?.signal?.throwIfAborted();
    const range: { $gt?: number; $lte?: number } = {};
    if (options?.afterSequence !== undefined) range.$gt = options.afterSequence;
    if (options?.throughSequence !== undefined) range.$lte = options.throughSequence;
    const filter = Object.keys(range).length === 0 ? { execId } : { execId, sequence: range };
    const docs = await this.#calls.find(filter, { signal: options?.signal }).sort({ sequence: 1 }).toArray();
    return docs.map(toCallRecord);
  }

  async countCalls(execIds: readonly string[], options?: StoreCallOptions): Promise<Map<string, number>> {
    options?.signal?.throwIfAborted();
    const counts = new Map<string, number>(execIds.map((id) => [id, 0]));
    if (execIds.length === 0) return counts;
    // Distinct invocation IDs per execution: failed attempts of one call count once.
    const rows = await this.#calls
      .aggregate<{ _id: string; n: number }>(
        [
          { $match: { execId: { $in: [...execIds] } } },
          { $group: { _id: { e: "$execId", i: "$invocationId" } } },
          { $group: { _id: "$_id.e", n: { $sum: 1 } } },
        ],
        { signal: options?.signal },
      )
      .toArray();
    for (const row of rows) counts.set(row._id, row.n);
    return counts;
  }

  // ---------------------------------------------------------------------- logs

  async appendLogs(chunks: readonly LogChunkRecord[], options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    if (chunks.length === 0) return;
    try {
      await this.#logs.insertMany(chunks.map(toLogChunkDocument), { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async listLogs(execId: string, query: LogChunkQuery, options?: StoreCallOptions): Promise<LogChunkRecord[]> {
    options?.signal?.throwIfAborted();
    const filter: Filter<LogChunkDocument> = { execId };
    if (query.from) filter.order = { $gte: logOrderKey(query.from) };
    if (query.checkpoint !== undefined) {
      filter.$or = [{ name: query.checkpoint }, { invocationId: query.checkpoint }, { callId: query.checkpoint }];
    }
    const docs = await this.#logs.find(filter, { signal: options?.signal }).sort({ order: 1 }).limit(query.limit).toArray();
    return docs.map(toLogChunkRecord);
  }

  // ------------------------------------------------------------------ payloads

  async writeBlob(blobId: string, chunks: readonly Uint8Array[], options?: StoreCallOptions): Promise<void> {
    // One chunk per write keeps every request under the wire message limit.
    for (const [i, data] of chunks.entries()) {
      options?.signal?.throwIfAborted();
      await this.#blobs.insertOne({ _id: `${blobId}:${i}`, data: new Binary(data) });
    }
  }

  async readBlob(blobId: string, count: number, options?: StoreCallOptions): Promise<(Uint8Array | undefined)[]> {
    const chunks: (Uint8Array | undefined)[] = [];
    // One chunk per read: a chunk is up to 8 MiB, so a batch of them could pass the wire limit.
    for (let i = 0; i < count; i++) {
      const chunk = await this.#blobs.findOne({ _id: `${blobId}:${i}` }, { signal: options?.signal });
      chunks.push(chunk === null ? undefined : chunk.data.buffer);
    }
    return chunks;
  }

  // --------------------------------------------------------------------- waits

  async recordWait(wait: Omit<WaitRecord, "resolution">, options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    try {
      await this.#waits.insertOne(stripUndefined({ _id: `${wait.execId}:${wait.name}`, ...wait }));
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async listWaits(execId: string, options?: StoreCallOptions): Promise<WaitRecord[]> {
    options?.signal?.throwIfAborted();
    const [waits, resolutions] = await Promise.all([
      this.#waits.find({ execId }, { signal: options?.signal }).sort({ createdAt: 1 }).toArray(),
      this.#resolutions.find({ execId }, { signal: options?.signal }).toArray(),
    ]);
    const byId = new Map(resolutions.map((r) => [r._id, r]));
    return waits.map((doc) => {
      const resolution = byId.get(doc._id);
      return stripUndefined({
        execId: doc.execId,
        name: doc.name,
        baseName: doc.baseName,
        waitId: doc.waitId,
        question: doc.question,
        schema: doc.schema,
        metadata: doc.metadata,
        createdAt: doc.createdAt,
        sourceAnswerNote: doc.sourceAnswerNote,
        resolution: resolution === undefined ? undefined : toResolution(resolution),
      });
    });
  }

  async resolveWait(execId: string, name: string, resolution: WaitResolution, options?: StoreCallOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    try {
      await this.#resolutions.insertOne(stripUndefined({ _id: `${execId}:${name}`, execId, ...resolution }));
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  // --------------------------------------------------------------- replay jobs

  async insertReplayJob(job: ReplayJobRecord, options?: StoreCallOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    try {
      await this.#replayJobs.insertOne({ _id: job.jobId, namespace: job.namespace, createdAt: job.createdAt, ended: false, job: JSON.stringify(job.job) });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async getReplayJob(jobId: string, options?: StoreCallOptions): Promise<ReplayJobRecord | undefined> {
    options?.signal?.throwIfAborted();
    const doc = await this.#replayJobs.findOne({ _id: jobId }, { signal: options?.signal });
    return doc === null ? undefined : toReplayJobRecord(doc);
  }

  async listReplayJobs(query: ReplayJobPageQuery, options?: StoreCallOptions): Promise<ReplayJobRecord[]> {
    options?.signal?.throwIfAborted();
    const filter: Filter<ReplayJobDocument> = {};
    if (query.namespace !== undefined) filter.namespace = query.namespace;
    if (query.unfinishedOnly) filter.ended = false;
    if (query.after) {
      filter.$or = [{ createdAt: { $lt: query.after.createdAt } }, { createdAt: query.after.createdAt, _id: { $lt: query.after.jobId } }];
    }
    const docs = await this.#replayJobs.find(filter, { signal: options?.signal }).sort({ createdAt: -1, _id: -1 }).limit(query.limit).toArray();
    return docs.map(toReplayJobRecord);
  }

  async markReplayJob(jobId: string, marks: ReplayJobMarks, options?: StoreCallOptions): Promise<ReplayJobRecord | undefined> {
    options?.signal?.throwIfAborted();
    // Each time is set only where it is missing, so the first cancel and the first end are kept.
    if (marks.cancelledAt !== undefined) {
      await this.#replayJobs.updateOne({ _id: jobId, cancelledAt: { $exists: false } }, { $set: { cancelledAt: marks.cancelledAt } });
    }
    if (marks.endedAt !== undefined) {
      await this.#replayJobs.updateOne({ _id: jobId, endedAt: { $exists: false } }, { $set: { endedAt: marks.endedAt, ended: true } });
    }
    return await this.getReplayJob(jobId, options);
  }

  async putReplayJobItems(items: readonly ReplayJobItemRecord[], options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    if (items.length === 0) return;
    await this.#replayJobItems.bulkWrite(
      items.map((item) => {
        const doc: ReplayJobItemDocument = { _id: `${item.jobId}:${item.index}`, jobId: item.jobId, index: item.index, item: JSON.stringify(item.item) };
        return { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } };
      }),
      { ordered: false },
    );
  }

  async listReplayJobItems(jobId: string, fromIndex: number, limit: number, options?: StoreCallOptions): Promise<ReplayJobItemRecord[]> {
    options?.signal?.throwIfAborted();
    const docs = await this.#replayJobItems
      .find({ jobId, index: { $gte: fromIndex } }, { signal: options?.signal })
      .sort({ jobId: 1, index: 1 })
      .limit(limit)
      .toArray();
    return docs.map((doc) => ({ jobId, index: doc.index, item: JSON.parse(doc.item) as ReplayJobItemRecord["item"] }));
  }
}

function toReplayJobRecord(doc: ReplayJobDocument): ReplayJobRecord {
  return stripUndefined({
    jobId: doc._id,
    namespace: doc.namespace,
    createdAt: doc.createdAt,
    cancelledAt: doc.cancelledAt,
    endedAt: doc.endedAt,
    job: JSON.parse(doc.job) as ReplayJobRecord["job"],
  });
}

function toResolution(doc: WaitResolutionDocument): WaitResolution {
  if (doc.kind === "abort" || doc.value === undefined) return { kind: "abort", at: doc.at };
  return stripUndefined({ kind: "value" as const, value: doc.value, at: doc.at, copiedFromExecId: doc.copiedFromExecId });
}

function toExecutionRecord(doc: ExecutionDocument, state: ExecutionState): ExecutionRecord {
  // The document is the record plus its _id and the cache fields.
  const { _id, state: _cached, status: _status, seq: _seq, leaseExpiresAt: _lease, ...fields } = doc;
  return stripUndefined({ ...fields, execId: _id, state });
}

function toCallDocument(call: CallRecord): CallDocument {
  // Failed and cancelled records are kept per retry generation beside the call's one output record.
  const suffix = call.status === "failed" || call.status === "cancelled" ? `:${call.status}:${call.generation}` : "";
  return stripUndefined({
    _id: `${call.execId}:${call.invocationId}${suffix}`,
    ...call,
    dataDependencies: [...call.dataDependencies],
    loadDependencies: [...call.loadDependencies],
    outputNames: [...call.outputNames],
  });
}

function toCallRecord(doc: CallDocument): CallRecord {
  const { _id, ...rest } = doc;
  return rest as CallRecord;
}

function toLogChunkDocument(chunk: LogChunkRecord): LogChunkDocument {
  return {
    _id: `${chunk.execId}:${logOrderKey(chunk)}:${chunk.callId}`,
    execId: chunk.execId,
    order: logOrderKey(chunk),
    invocationId: chunk.invocationId,
    callId: chunk.callId,
    name: chunk.name,
    sequence: chunk.sequence,
    generation: chunk.generation,
    attempt: chunk.attempt,
    chunk: chunk.chunk,
    lines: JSON.stringify(chunk.lines),
  };
}

function toLogChunkRecord(doc: LogChunkDocument): LogChunkRecord {
  const lines = (JSON.parse(doc.lines) as (Omit<LogLineRecord, "at"> & { at: string })[]).map((line) => ({ ...line, at: new Date(line.at) }));
  const { execId, invocationId, callId, name, sequence, generation, attempt, chunk } = doc;
  return { execId, invocationId, callId, name, sequence, generation, attempt, chunk, lines };
}

/** Drops undefined properties: MongoDB-wire servers store them as null otherwise. */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
