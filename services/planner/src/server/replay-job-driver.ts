import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { setTimeout as sleep } from "node:timers/promises";
import { errorToStatus, KitaruBackendError } from "#contract/errors/index.ts";
import { replayJobItemStateFromProto, replayJobItemStateToProto } from "#contract/replay-job.ts";
import { executionStatusFromProto } from "#contract/status.ts";
import { callComparisonKindFromProto } from "#contract/comparison.ts";
import type { ExecutionStatus as ExecutionStatusPb, Failure } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type ReplayJob, type ReplayJobItem, ReplayJobItemSchema } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { countComparison, type ExecutionStatus, jobReplayRequestId, replaySettled, resultChanged } from "../core/index.ts";
import type { RunnerClient } from "./runner-client.ts";
import type { ReplayJobStore } from "./replay-job-store.ts";
import { startSourceReplay } from "./source-replay.ts";

/** How long one watch of a replay may last before it is asked again (a replay may run for long). */
const WATCH_TIMEOUT_MS = 60_000;
/** How often a replay's state is read when its status stream cannot be watched. */
const POLL_MS = 200;
/** How often a running job re-reads its stored cancel time (a cancel through another planner). */
const CANCEL_POLL_MS = 1000;
/** How long item changes gather before they are written together. */
const FLUSH_MS = 100;

/** What a job's driver needs. */
export interface ReplayJobDriverContext {
  readonly runner: RunnerClient;
  readonly store: ReplayJobStore;
  /** Replays at once when the job does not say (`--replay-job-concurrency`). */
  readonly defaultConcurrency: number;
  /** Aborted when the planner stops: the driver stops where it is; a restarted planner resumes the job. */
  readonly signal: AbortSignal;
  readonly onError: (message: string, error: unknown) => void;
  /** Told after each write of the job's items or state (watchers read the job again only then). */
  readonly onWritten?: (() => void) | undefined;
}

/**
 * Runs one stored job to its end: for each source not done yet, starts its
 * replay under the request ID derived from (job, source) — so a resume after
 * any crash returns the replay created before instead of a second one —,
 * waits for it to settle and stores its comparison with the source; at most
 * `concurrency` replays at once. A source the plan cannot apply to is stored
 * with its typed error. After a cancel no replay is started; the started ones
 * are still followed. Items are stored as they change, so a watcher sees the
 * progress and a resume starts where the job stood.
 */
export class ReplayJobDriver {
  readonly #context: ReplayJobDriverContext;
  readonly #job: ReplayJob;
  #cancelled: boolean;
  /** Items changed and not written yet, by index. */
  readonly #unwritten = new Map<number, ReplayJobItem>();
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(context: ReplayJobDriverContext, job: ReplayJob) {
    this.#context = context;
    this.#job = job;
    this.#cancelled = job.cancelTime !== undefined;
  }

  /** Stops starting replays (the job was cancelled). */
  cancel(): void {
    this.#cancelled = true;
  }

  /** Runs the job until it ends or the planner stops. */
  async run(): Promise<void> {
    const { jobId, namespace } = this.#job;
    const stored = new Map((await this.#answered(() => this.#context.store.items(jobId, namespace))).map((item) => [item.index, item]));
    const open = this.#job.sourceExecIds
      .map((sourceExecId, index) => stored.get(index) ?? item(index, sourceExecId, { state: replayJobItemStateToProto("pending") }))
      .filter((i) => ["pending", "started"].includes(replayJobItemStateFromProto(i.state)));
    // Replays started before a restart first: they hold places of the concurrency.
    open.sort((a, b) => Number(b.replayExecId !== "") - Number(a.replayExecId !== "") || a.index - b.index);
    const concurrency = Math.max(1, this.#job.spec?.concurrency || this.#context.defaultConcurrency);
    const watchCancel = setInterval(() => void this.#checkCancelled(), CANCEL_POLL_MS);
    try {
      let next = 0;
      const worker = async () => {
        while (next < open.length && !this.#context.signal.aborted) {
          const current = open[next++];
          if (current !== undefined) await this.#drive(current);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, open.length) }, worker));
    } finally {
      clearInterval(watchCancel);
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    if (this.#context.signal.aborted) return;
    await this.#flush();
    await this.#answered(() => this.#context.store.mark(jobId, { end: true }, namespace));
    this.#context.onWritten?.();
  }

  async #checkCancelled(): Promise<void> {
    if (this.#cancelled) return;
    try {
      const job = await this.#context.store.read(this.#job.jobId, this.#job.namespace, this.#context.signal);
      if (job.cancelTime !== undefined) this.#cancelled = true;
    } catch {
      // The next check asks again; the store is what matters, not this hint.
    }
  }

  async #drive(current: ReplayJobItem): Promise<void> {
    if (current.replayExecId !== "") {
      await this.#settle(current, undefined); // started before a restart: the source's status is read again
      return;
    }
    const started = await this.#start(current);
    if (started !== undefined) await this.#settle(started.item, started.sourceStatus);
  }

  /** Starts the source's replay; its item and the source's status, or undefined when the source is done (refused, skipped) or the planner stops. */
  async #start(current: ReplayJobItem): Promise<{ item: ReplayJobItem; sourceStatus: ExecutionStatus } | undefined> {
    const { jobId, namespace, spec } = this.#job;
    if (this.#cancelled) {
      this.#put(item(current.index, current.sourceExecId, { state: replayJobItemStateToProto("skipped") }));
      return undefined;
    }
    const request = {
      execId: current.sourceExecId,
      from: spec?.from ?? "",
      args: spec?.args,
      overrides: spec?.overrides,
      allowOverrideTypeChange: spec?.allowOverrideTypeChange ?? false,
      answerWaitsFromSource: spec?.answerWaitsFromSource ?? [],
    };
    const requestId = jobReplayRequestId(jobId, current.sourceExecId);
    let next: ReplayJobItem;
    let sourceStatus: ExecutionStatus;
    try {
      const started = await this.#answered(() => startSourceReplay(this.#context.runner, request, requestId, { namespace, signal: this.#context.signal }));
      sourceStatus = started.sourceStatus;
      next = item(current.index, current.sourceExecId, {
        state: replayJobItemStateToProto("started"),
        replayExecId: started.execution.execId,
        replayStatus: started.execution.status,
      });
    } catch (error) {
      if (this.#context.signal.aborted) return undefined;
      // Refused: the typed error a single replay of this source gives (usage, state, divergence, not found, ...).
      next = item(current.index, current.sourceExecId, { state: replayJobItemStateToProto("refused"), error: errorToStatus(error).details });
      this.#put(next);
      return undefined;
    }
    this.#put(next);
    return { item: next, sourceStatus };
  }

  /** Waits for the replay to settle, compares it with its source and stores the outcome. */
  async #settle(started: ReplayJobItem, knownSourceStatus: ExecutionStatus | undefined): Promise<void> {
    const call = { namespace: this.#job.namespace, signal: this.#context.signal };
    const runner = this.#context.runner;
    const replay = await this.#answered(() => this.#settled(started.replayExecId));
    if (this.#context.signal.aborted) return;
    const [sourceStatus, comparison] = await this.#answered(() =>
      Promise.all([
        knownSourceStatus ??
          runner
            .call((s, o) => s.public.getExecution({ execId: started.sourceExecId }, o), call)
            .then((response) => (response.execution ? executionStatusFromProto(response.execution.status) : "completed")),
        runner.call((s, o) => s.public.compareExecutions({ baseExecId: started.sourceExecId, otherExecId: started.replayExecId }, o), call),
      ]),
    );
    const compared = comparison.comparison;
    const counts = countComparison((compared?.calls ?? []).map((c) => callComparisonKindFromProto(c.kind)));
    this.#put(
      item(started.index, started.sourceExecId, {
        state: replayJobItemStateToProto("settled"),
        replayExecId: started.replayExecId,
        replayStatus: replay.status,
        ...(replay.failure ? { replayFailure: replay.failure } : {}),
        resultChanged: resultChanged(sourceStatus, executionStatusFromProto(replay.status), compared?.resultChanges.length ?? 0),
        resultChanges: compared?.resultChanges ?? [],
        reusedCalls: counts.reused,
        reexecutedCalls: counts.reexecuted,
        changedCalls: counts.changed,
        newCalls: counts.added,
      }),
    );
  }

  /**
   * The replay's status (and failure) once it settled: from its status
   * stream, which starts with the current status and ends when the replay
   * completes, fails, is cancelled or waits; polled when the stream cannot
   * be watched (a proxy that passes unary calls only).
   */
  async #settled(execId: string): Promise<{ status: ExecutionStatusPb; failure?: Failure | undefined }> {
    const call = { namespace: this.#job.namespace, signal: this.#context.signal };
    const runner = this.#context.runner;
    for (;;) {
      let last: { status: ExecutionStatusPb; failure?: Failure | undefined } | undefined;
      try {
        await runner.call(
          async (s, o) => {
            for await (const response of s.public.watchExecution({ execId, statusOnly: true }, o)) {
              const kind = response.event?.kind;
              if (kind?.case === "statusChanged") last = { status: kind.value.status, failure: kind.value.failure };
            }
          },
          { ...call, timeoutMs: WATCH_TIMEOUT_MS },
        );
      } catch {
        // The stream broke (the runner went away, or a proxy passes unary calls only): the state is read
        // instead; a runner that is down fails that read too, and #answered asks again.
        const execution = (await runner.call((s, o) => s.public.getExecution({ execId }, o), call)).execution;
        if (execution !== undefined && replaySettled(executionStatusFromProto(execution.status))) return execution;
        await sleep(POLL_MS, undefined, { signal: this.#context.signal });
        continue;
      }
      if (last !== undefined && replaySettled(executionStatusFromProto(last.status))) return last;
    }
  }

  /**
   * Stores an item, batched: the items that change within {@link FLUSH_MS}
   * go to the runner in one write. An item lost with the planner is no harm:
   * the resumed job starts that source again under the same request ID (the
   * runner returns the replay it made) and compares it again.
   */
  #put(next: ReplayJobItem): void {
    this.#unwritten.set(next.index, next);
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      void this.#flush().catch((error: unknown) => this.#context.onError(`replay job ${this.#job.jobId}: items not stored`, error));
    }, FLUSH_MS);
  }

  /** Writes the items not written yet (one write at a time, in order). */
  #flush(): Promise<void> {
    this.#flushing = this.#flushing
      .catch(() => undefined)
      .then(async () => {
        if (this.#unwritten.size === 0) return;
        const items = [...this.#unwritten.values()];
        this.#unwritten.clear();
        await this.#answered(() => this.#context.store.putItems(this.#job.jobId, items, this.#job.namespace));
        this.#context.onWritten?.();
      });
    return this.#flushing;
  }

  /**
   * Runs `operation` until the runner answers: while it is unreachable
   * (`KitaruBackendError`), asks again with a growing pause, until the
   * planner stops. Every repeated operation is idempotent (reads, item
   * writes, a replay under its fixed request ID).
   */
  async #answered<T>(operation: () => Promise<T>): Promise<T> {
    let delayMs = 100;
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (!(error instanceof KitaruBackendError) || this.#context.signal.aborted) throw error;
      }
      await sleep(delayMs, undefined, { signal: this.#context.signal }).catch(() => undefined);
      delayMs = Math.min(delayMs * 2, 2000);
    }
  }
}

function item(index: number, sourceExecId: string, fields: Omit<Partial<ReplayJobItem>, "$typeName" | "index" | "sourceExecId">): ReplayJobItem {
  return create(ReplayJobItemSchema, { ...fields, index, sourceExecId, updateTime: timestampNow() });
}
