import type { EngineContext } from "./engine-context.ts";
import { createdState, type ExecutionStore, type NewExecution, type StoreCallOptions } from "../store/execution-store.ts";
import { lastFlowVersion, type CallRecord, type ExecutionRecord, type ExecutionState, type FlowVersionRun, type WaitRecord } from "../store/records.ts";
import { crashPoint } from "./crash-points.ts";
import type { ExecutionEvent, ExecutionEventBus } from "./execution-events.ts";
import { ExecutionRun, type ResumeCheck, type RunOutcome } from "./execution-run.ts";
import type { FlowRegistry } from "./flow-registry.ts";
import { ReplayGuard } from "./replay-guard.ts";
import { ResumeGuard } from "./resume-guard.ts";

/** Timing and capacity of a runner's scheduler. */
export interface SchedulerOptions {
  /** This runner's ID, recorded with its claims. */
  readonly runnerId: string;
  /** How long a claim lasts without renewal; another runner takes over after it. Default 15000 ms. */
  readonly leaseTtlMs: number;
  /** How often the holder renews its lease and checks for cancellation. Default 3000 ms. */
  readonly heartbeatMs: number;
  /** How often the database is polled for claimable executions. Default 250 ms. */
  readonly pollMs: number;
  /**
   * Executions run at once by this runner. Default 256: agent flows spend
   * most of their time waiting on other services, and a burst's executions
   * beyond it are created unclaimed and wait for a slot and a claim (a
   * commit more each). Each running execution keeps its flow's values in
   * memory: lower it for flows that hold large ones.
   */
  readonly maxConcurrent: number;
  /**
   * What to do when this runner's code diverges from an execution's record
   * made by another flow version: `hold` it for runners of that version
   * (default), or `fail` it (docs/upgrades.md).
   */
  readonly onResumeDivergence?: "hold" | "fail" | undefined;
}

/** Default scheduler timing. */
export const defaultSchedulerOptions: Omit<SchedulerOptions, "runnerId"> = {
  leaseTtlMs: 15_000,
  heartbeatMs: 3_000,
  pollMs: 250,
  maxConcurrent: 256,
};

/**
 * How long a new execution a busy runner created unclaimed is left to that
 * runner before another runner takes it (see `#leftToItsCreator`).
 */
const CREATOR_PREFERENCE_MS = 2000;

/** Waiting executions checked per sweep for an input nobody acted on (see `#resumeMissedInputs`). */
const SWEEP_PAGE = 50;

interface ActiveRun {
  readonly run: ExecutionRun;
  readonly heartbeat: NodeJS.Timeout;
  readonly done: Promise<RunOutcome>;
}

/**
 * Claims runnable executions and runs them.
 *
 * A claim is a `claimed` transition (an insert with a deterministic key, so
 * exactly one runner wins it); its sequence number is the fencing epoch. The
 * holder renews a lease document; when the lease lapses (the runner died),
 * any runner may append a newer claim and continue the execution from its
 * journal. A holder that sees a newer transition than its claim stops.
 */
export class Scheduler {
  readonly #context: EngineContext;
  readonly #store: ExecutionStore;
  readonly #bus: ExecutionEventBus;
  readonly #flows: FlowRegistry;
  readonly #options: SchedulerOptions;
  readonly #onError: (message: string, error: unknown) => void;
  readonly #onInfo: (message: string) => void;
  readonly #active = new Map<string, ActiveRun>();
  readonly #claiming = new Set<string>();
  /** Claims started by `wake` (each settles once its run has started). */
  readonly #claims = new Set<Promise<void>>();
  /** Runs that have not finished yet, each including its hand-back on shutdown. */
  readonly #endings = new Set<Promise<void>>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #currentPoll: Promise<void> = Promise.resolve();
  /** When the next sweep for missed resumes may start; pushed to the end of the running one. */
  #nextSweepAt = 0;
  #sweepAfter: { createdAt: Date; execId: string } | undefined;
  #currentSweep: Promise<void> = Promise.resolve();
  #stopped = true;
  #unsubscribe: (() => void) | undefined;

  constructor(
    context: EngineContext,
    init: {
      options: SchedulerOptions;
      onError: (message: string, error: unknown) => void;
      /** One line per execution started, continued, recovered or ended on this runner. */
      onInfo?: (message: string) => void;
    },
  ) {
    this.#context = context;
    this.#store = context.store;
    this.#bus = context.bus;
    this.#flows = context.flows;
    this.#options = init.options;
    this.#onError = init.onError;
    this.#onInfo = init.onInfo ?? (() => undefined);
  }

  /** Starts polling and reacting to local events. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#unsubscribe = this.#bus.subscribeAll((event) => this.#onEvent(event));
    this.#schedulePoll(0);
  }

  /**
   * Stops claiming, stops the local runs, and hands their executions back
   * (a `resumed` transition) so another runner continues at once instead of
   * after the lease expires.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    await this.#currentPoll;
    await this.#currentSweep;
    await Promise.allSettled([...this.#claims]);
    for (const active of this.#active.values()) active.run.stop("shutdown");
    // The ends *and* their hand-back writes: the caller closes the store next.
    await Promise.allSettled([...this.#endings]);
  }

  /** Executions this runner is running now. */
  get activeExecutionIds(): string[] {
    return [...this.#active.keys()];
  }

  /** Tries to claim one execution now (after a start, an input or a retry). */
  wake(execId: string): void {
    if (this.#stopped) return;
    const claim = this.#tryClaim(execId).finally(() => this.#claims.delete(claim));
    this.#claims.add(claim);
  }

  #onEvent(event: ExecutionEvent): void {
    const active = this.#active.get(event.execId);
    if (event.kind === "wait_resolved" && active && event.wait.resolution) {
      active.run.deliverResolution(event.wait.name, event.wait.resolution);
    } else if (event.kind === "status_changed") {
      const { state } = event;
      if (state.status === "running" && state.claim === undefined) this.wake(event.execId);
      else if (active && state.seq > active.run.epoch && state.status === "cancelled") active.run.stop("cancelled");
    }
  }

  #schedulePoll(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = setTimeout(() => {
      this.#currentPoll = this.#poll();
    }, delayMs);
    this.#pollTimer.unref();
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#stopped) return;
    this.#polling = true;
    try {
      const capacity = this.#options.maxConcurrent - this.#active.size - this.#claiming.size;
      if (capacity > 0) {
        const ids = await this.#store.findClaimable(new Date(), capacity + this.#active.size + this.#claiming.size, { flowVersion: this.#flows.version });
        // Claimed together, not one after the other: on the embedded store their claims share a
        // commit. In random order, so that runners polling one store do not all race for the oldest.
        const candidates = shuffled(ids.filter((id) => !this.#active.has(id) && !this.#claiming.has(id))).slice(0, capacity);
        await Promise.all(candidates.map((execId) => this.#tryClaim(execId)));
      }
      if (Date.now() >= this.#nextSweepAt) {
        this.#nextSweepAt = Number.POSITIVE_INFINITY;
        this.#currentSweep = this.#resumeMissedInputs()
          .catch((error: unknown) => this.#onError("looking for waiting executions to resume failed", error))
          .finally(() => (this.#nextSweepAt = Date.now() + this.#options.leaseTtlMs));
      }
    } catch (error) {
      this.#onError("polling for executions failed", error);
    } finally {
      this.#polling = false;
      this.#schedulePoll(this.#options.pollMs);
    }
  }

  /**
   * Creates an execution, claimed by this runner when it can run it now (it
   * is running, has a free slot and serves the flow's version), and then
   * starts its run at once: one commit for the insert and the claim, and no
   * read back, instead of an insert, a read and a claim. Otherwise creates it
   * unclaimed, for whichever runner claims it first. `undefined` when it
   * exists already (an idempotent repeat): nothing more is written or run.
   */
  async create(execution: NewExecution, options: StoreCallOptions): Promise<ExecutionRecord | undefined> {
    const { execId } = execution;
    const servesIt = !this.#stopped && this.#flows.has(execution.flowName) && execution.flowVersion === this.#flows.version;
    if (!servesIt) return this.#context.transitions.create(execution, options);
    if (!this.#hasSlotFor(execId)) {
      // Busy: created unclaimed, and left to this runner a while (#leftToItsCreator), where its caller watches it.
      return this.#context.transitions.create({ ...execution, createdByRunner: this.#options.runnerId }, options);
    }
    options.signal?.throwIfAborted();
    this.#claiming.add(execId);
    const creating = this.#createClaimed(execution);
    const forget = (): void => void this.#claims.delete(settled);
    const settled: Promise<void> = creating.then(forget, forget);
    this.#claims.add(settled); // stop() waits for it, as for a claim
    return creating;
  }

  async #createClaimed(execution: NewExecution): Promise<ExecutionRecord | undefined> {
    const { execId } = execution;
    try {
      const first = createdState(execution);
      // Without the caller's signal: once handed to the store the insert is made, and this runner must
      // learn that it was, or the execution would wait for its lease to lapse before anyone runs it.
      const created = await this.#context.transitions.create(execution, { claimed: this.#claimAfter(first, new Date()) });
      if (created === undefined) return undefined; // a repeat of an earlier start
      crashPoint("after-claimed-insert");
      // What a claim of the new execution would have read and appended.
      const fresh: ExecutionRecord = { ...created, state: first };
      this.#onInfo(describeClaim(fresh));
      try {
        await this.#run(fresh, created.state);
      } catch (error) {
        this.#onError(`starting execution ${execId} failed; another runner continues it once its lease lapses`, error);
      }
      return created;
    } finally {
      this.#claiming.delete(execId);
    }
  }

  /** True when this runner may start claiming `execId` now. */
  #hasSlotFor(execId: string): boolean {
    if (this.#stopped || this.#active.has(execId) || this.#claiming.has(execId)) return false;
    return this.#active.size + this.#claiming.size < this.#options.maxConcurrent;
  }

  /** The `claimed` transition this runner appends after `state`, at `now`: its sequence number is the fencing epoch. */
  #claimAfter(state: ExecutionState, now: Date): Omit<ExecutionState, "seq"> {
    return {
      kind: "claimed",
      status: "running",
      generation: state.generation,
      metadata: state.metadata,
      at: now,
      flowVersionRuns: withRun(state.flowVersionRuns, this.#flows.version, now),
      ...(state.versionHold === undefined ? {} : { versionHold: undefined }),
      claim: {
        epoch: state.seq + 1,
        runnerId: this.#options.runnerId,
        at: now,
        expiresAt: new Date(now.getTime() + this.#options.leaseTtlMs),
      },
    };
  }

  async #tryClaim(execId: string): Promise<void> {
    if (!this.#hasSlotFor(execId)) return;
    this.#claiming.add(execId);
    try {
      const execution = await this.#store.getExecution(execId);
      if (execution === undefined || execution.state.status !== "running") return;
      if (!this.#flows.has(execution.flowName)) return; // another runner may have this flow
      const hold = execution.state.versionHold;
      if (hold !== undefined && hold.requiredFlowVersion !== this.#flows.version) return; // held for runners of another version
      if (this.#leftToItsCreator(execution)) return;
      if (execution.state.claim && !(await this.#claimExpired(execution))) return;
      const claim = await this.#context.transitions.append(execId, execution.state, this.#claimAfter(execution.state, new Date()));
      if (claim === undefined) return; // someone else changed it first
      crashPoint("after-claim");
      this.#onInfo(describeClaim(execution));
      await this.#run(execution, claim);
    } catch (error) {
      this.#onError(`claiming execution ${execId} failed`, error);
    } finally {
      this.#claiming.delete(execId);
    }
  }

  /**
   * True for a new execution (or replay) left to the runner that created it:
   *
   * - one that code of another flow version created less than a lease TTL
   *   ago: it runs on the version that created it unless no runner of that
   *   version claims it in that time;
   * - one that another runner created unclaimed less than
   *   {@link CREATOR_PREFERENCE_MS} ago because all its slots were taken: that
   *   runner's callers watch it there, where its events arrive at once (here,
   *   its watchers would learn of them by polling the store), so it takes the
   *   execution once a slot frees, unless it is still busy by then.
   */
  #leftToItsCreator(execution: ExecutionRecord): boolean {
    if (execution.state.kind !== "created") return false;
    const age = Date.now() - execution.createdAt.getTime();
    const creatorVersion = execution.flowVersion;
    if (creatorVersion !== undefined && creatorVersion !== this.#flows.version) return age < this.#options.leaseTtlMs;
    const creatorRunner = execution.createdByRunner;
    return creatorRunner !== undefined && creatorRunner !== this.#options.runnerId && age < CREATOR_PREFERENCE_MS;
  }

  async #claimExpired(execution: ExecutionRecord): Promise<boolean> {
    const claim = execution.state.claim;
    if (claim === undefined) return true;
    const renewed = await this.#store.leaseExpiry(execution.execId, claim.epoch);
    const expiresAt = Math.max(claim.expiresAt.getTime(), renewed?.getTime() ?? 0);
    return expiresAt < Date.now();
  }

  /**
   * Starts running a claimed execution and returns once it runs, not when it
   * ends: the poll loop must not wait for one execution before claiming the next.
   */
  async #run(execution: ExecutionRecord, claim: ExecutionState): Promise<void> {
    const { execId } = execution;
    // A never-claimed execution has recorded nothing yet: skip the reads (each scans on FerretDB).
    const fresh = execution.state.kind === "created";
    const [journal, waits, replay] = await Promise.all([
      fresh ? Promise.resolve([]) : this.#store.listCalls(execId),
      fresh ? Promise.resolve([]) : this.#store.listWaits(execId),
      this.#replayGuard(execution),
    ]);
    const run = new ExecutionRun({
      context: this.#context,
      flow: this.#flows.get(execution.flowName),
      execution,
      claim,
      journal,
      waits,
      replay,
      resume: fresh ? undefined : this.#resumeCheck(execution, journal, waits),
      onError: this.#onError,
      onFlowLog: (level, message) => this.#onInfo(`execution ${execId} (flow ${execution.flowName}) [${level}] ${message}`),
    });
    // One heartbeat at a time: a slow database must not stack concurrent lease upserts
    // (two racing upserts of one lease collide on FerretDB).
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      void this.#heartbeat(run, claim).finally(() => (beating = false));
    }, this.#options.heartbeatMs);
    heartbeat.unref();
    const done = run.execute();
    this.#active.set(execId, { run, heartbeat, done });
    const ending: Promise<void> = this.#afterRun(execution, claim, done, heartbeat).finally(() => this.#endings.delete(ending));
    this.#endings.add(ending);
    if (this.#stopped) run.stop("shutdown"); // stop() began while this claim was being made
  }

  /** Waits for a run to end, frees its slot, and hands the execution back when the run gave it up. */
  async #afterRun(execution: ExecutionRecord, claim: ExecutionState, done: Promise<RunOutcome>, heartbeat: NodeJS.Timeout): Promise<void> {
    const { execId } = execution;
    let outcome: RunOutcome;
    let wasFull = false;
    try {
      outcome = await done;
    } catch (error) {
      this.#onError(`execution ${execId} ended with an unexpected error`, error);
      outcome = { kind: "stopped", reason: "backend_error" };
    } finally {
      clearInterval(heartbeat);
      wasFull = this.#active.size + this.#claiming.size >= this.#options.maxConcurrent;
      this.#active.delete(execId);
    }
    this.#onInfo(describeOutcome(execution, claim, outcome));
    if (outcome.kind === "stopped" && (outcome.reason === "shutdown" || outcome.reason === "backend_error")) {
      await this.#release(execId, claim);
    }
    // A slot freed while all were taken: executions created meanwhile wait unclaimed, so look
    // for them now. With a slot free all along, a new one here was claimed when it was
    // created, and the regular poll finds the others (a read per run saved).
    if (wasFull) this.#schedulePoll(0);
  }

  async #replayGuard(execution: ExecutionRecord): Promise<ReplayGuard | undefined> {
    if (execution.replay === undefined) return undefined;
    const sourceCalls = await this.#store.listReusableCalls(execution.replay.sourceExecId);
    return new ReplayGuard(execution.execId, execution.replay, sourceCalls, { recorded: execution.replay.sourceFlowVersion, current: this.#flows.version });
  }

  /**
   * The check of a body last run by code of another flow version (or by code
   * of an unknown version: a record made before flow versions); undefined
   * when this runner's version ran it last, as its journal then answers it as is.
   */
  #resumeCheck(execution: ExecutionRecord, journal: readonly CallRecord[], waits: readonly WaitRecord[]): ResumeCheck | undefined {
    const recorded = lastFlowVersion(execution.state);
    const current = this.#flows.version;
    if (recorded === current || (journal.length === 0 && waits.length === 0)) return undefined;
    return {
      guard: new ResumeGuard({ execId: execution.execId, journal, waits, versions: { recorded, current } }),
      onDivergence: this.#options.onResumeDivergence ?? "hold",
      recordedFlowVersion: recorded,
      previousRuns: execution.state.flowVersionRuns,
    };
  }

  /** Renews the lease, stops the run when it was fenced or cancelled, and picks up wait resolutions. */
  async #heartbeat(run: ExecutionRun, claim: ExecutionState): Promise<void> {
    try {
      const epoch = claim.seq;
      await this.#store.renewLease(run.execId, epoch, this.#options.runnerId, new Date(Date.now() + this.#options.leaseTtlMs));
      const current = await this.#store.getExecution(run.execId);
      if (current && current.state.seq !== epoch && current.state.claim?.epoch !== epoch) {
        run.stop(current.state.status === "cancelled" ? "cancelled" : "fenced");
        return;
      }
      if (run.pendingWaitNames.length > 0) {
        for (const wait of await this.#store.listWaits(run.execId)) {
          if (wait.resolution) run.deliverResolution(wait.name, wait.resolution);
        }
      }
    } catch (error) {
      this.#onError(`heartbeat of execution ${run.execId} failed`, error);
    }
  }

  /**
   * Resumes (or, after an abort, cancels) waiting executions whose input was accepted but never acted on.
   * `resolveWait` inserts the resolution and then appends `resumed`: when the
   * process serving the input dies in between (or a holder dies right after
   * its `waiting` transition, before it looks for an input that raced it), the
   * execution stays `waiting` with its answer recorded, and since a waiting
   * execution has no holder and no lease, nothing else would ever look at it.
   * Each sweep (one per lease TTL, off the claim path) checks one page of
   * waiting executions, continuing where the previous sweep stopped.
   */
  async #resumeMissedInputs(): Promise<void> {
    const page = await this.#store.listExecutions({ status: "waiting", limit: SWEEP_PAGE, after: this.#sweepAfter });
    const last = page.at(-1);
    this.#sweepAfter = page.length < SWEEP_PAGE || last === undefined ? undefined : { createdAt: last.createdAt, execId: last.execId };
    for (const { execId, state } of page) {
      if (this.#stopped) return;
      const missed = missedInput(state, await this.#store.listWaits(execId));
      if (missed === undefined) continue;
      // The page holds the cached state: act only if it is still the latest one (the append is a compare-and-set on it).
      const current = await this.#store.getExecution(execId);
      if (current === undefined || current.state.seq !== state.seq) continue;
      const at = new Date();
      await this.#context.transitions.append(execId, current.state, {
        kind: missed === "abort" ? "cancelled" : "resumed",
        status: missed === "abort" ? "cancelled" : "running",
        generation: current.state.generation,
        metadata: current.state.metadata,
        at,
        ...(missed === "abort" ? { endedAt: at } : {}),
      });
    }
  }

  /** Hands an execution back unclaimed so any runner may continue it. */
  async #release(execId: string, claim: ExecutionState): Promise<void> {
    try {
      await this.#context.transitions.append(execId, claim, {
        kind: "resumed",
        status: "running",
        generation: claim.generation,
        metadata: claim.metadata,
        at: new Date(),
      });
    } catch (error) {
      this.#onError(`releasing execution ${execId} failed; it continues after its lease expires`, error);
    }
  }
}

/** `runs` with a run of `flowVersion` added, unless that version ran the body last. */
function withRun(runs: readonly FlowVersionRun[] | undefined, flowVersion: string, at: Date): readonly FlowVersionRun[] {
  const list = runs ?? [];
  return list.at(-1)?.flowVersion === flowVersion ? list : [...list, { flowVersion, at }];
}

/**
 * The input a waiting execution holds but was never acted on, if any.
 *
 * - "abort": a wait was aborted (`abortWait` records the abort, then cancels;
 *   its process may have died in between). An abort always cancels.
 * - "resume": every recorded wait is resolved (a run records each wait before
 *   it suspends, so the body cannot be blocked on any of them), or a
 *   resolution is newer than the `waiting` transition (the run that suspended
 *   consumed only resolutions made before its `waiting` time; like leases,
 *   this trusts the runners' clocks to agree to well within a lease TTL, and a
 *   skewed clock costs at most a spurious resume: one replay of the body from
 *   its journal).
 */
function missedInput(state: ExecutionState, waits: readonly WaitRecord[]): "resume" | "abort" | undefined {
  if (state.status !== "waiting" || waits.length === 0) return undefined;
  if (waits.some((w) => w.resolution?.kind === "abort")) return "abort";
  const resolved = waits.every((w) => w.resolution !== undefined) || waits.some((w) => w.resolution !== undefined && w.resolution.at > state.at);
  return resolved ? "resume" : undefined;
}

/** The console line for a claim: a first start, a continuation, or a recovery after another runner's lease lapsed. */
function describeClaim(execution: ExecutionRecord): string {
  const { execId, flowName, state } = execution;
  const replay = execution.replay ? `, replay of ${execution.replay.sourceExecId} from '${execution.replay.from}'` : "";
  const subject = `execution ${execId} (flow ${flowName}${replay})`;
  if (state.kind === "created") return `${subject} started`;
  if (state.claim !== undefined) {
    return `${subject} recovered: runner ${state.claim.runnerId} stopped renewing its lease; continuing from the journal`;
  }
  const why = state.kind === "retried" ? "retried" : state.kind === "resumed" ? "resumed" : state.kind;
  return `${subject} continuing (${why}) from the journal`;
}

/** The console line for how a run on this runner ended. */
function describeOutcome(execution: ExecutionRecord, claim: ExecutionState, outcome: RunOutcome): string {
  const subject = `execution ${execution.execId} (flow ${execution.flowName})`;
  const took = `${((Date.now() - claim.at.getTime()) / 1000).toFixed(1)} s on this runner`;
  switch (outcome.kind) {
    case "completed":
      return `${subject} completed (${took})`;
    case "failed": {
      const failure = outcome.state.failure;
      const where = failure?.invocationId ? ` in '${failure.invocationId}'` : "";
      return `${subject} failed (${failure?.origin ?? "unknown"}${where}): ${failure?.message ?? ""}`;
    }
    case "waiting":
      return `${subject} is waiting for input (${took})`;
    case "cancelled":
      return `${subject} cancelled`;
    case "held": {
      const hold = outcome.state.versionHold;
      const divergence = hold?.divergence;
      const move = divergence?.replayCommand ? `; to continue it on this code: ${divergence.replayCommand}` : "";
      return (
        `${subject} held for a runner of flow version ${hold?.requiredFlowVersion ?? "?"}: this runner's code diverges from its record at ` +
        `'${divergence?.invocationId ?? "?"}' (${divergence?.kind.replaceAll("_", " ") ?? "?"}; recorded: ${divergence?.recorded ?? "?"}; this code: ${divergence?.seen ?? "?"})${move}`
      );
    }
    case "stopped":
      return `${subject} stopped on this runner (${outcome.reason.replaceAll("_", " ")})`;
  }
}

/** `items` in random order (Fisher-Yates). */
function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const item = items[i] as T;
    items[i] = items[j] as T;
    items[j] = item;
  }
  return items;
}
