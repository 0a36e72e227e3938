import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { setTimeout as sleep } from "node:timers/promises";
import { errorToStatus, KitaruBackendError } from "#contract/errors/index.ts";
import { replayJobItemStateFromProto, replayJobItemStateToProto } from "#contract/replay-job.ts";
import { executionStatusFromProto } from "#contract/status.ts";
import { callComparisonKindFromProto } from "#contract/comparison.ts";
import { type ReplayJob, type ReplayJobItem, ReplayJobItemSchema } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { countComparison, jobReplayRequestId, replaySettled, resultChanged } from "../core/index.ts";
import type { RunnerClient } from "./runner-client.ts";
import type { ReplayJobStore } from "./replay-job-store.ts";
import { startSourceReplay } from "./source-replay.ts";

/** How long one watch of a replay may last before it is asked again (a replay may run for long). */
const WATCH_TIMEOUT_MS = 60_000;
/** How often a replay's state is read when its status stream cannot be watched. */
const POLL_MS = 200;
/** How often a running job re-reads its stored cancel time (a cancel through another planner). */
const CANCEL_POLL_MS = 1000;

/** What a job's driver needs. */
export interface ReplayJobDriverContext {
  readonly runner: RunnerClient;
  readonly store: ReplayJobStore;
  /** Replays at once when the job does not say (`--replay-job-concurrency`). */
  readonly defaultConcurrency: number;
  /** Aborted when the planner stops: the driver stops where it is; a restarted planner resumes the job. */
  readonly signal: AbortSignal;
  readonly onError: (message: string, error: unknown) => void;
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
    }
    if (this.#context.signal.aborted) return;
    await this.#answered(() => this.#context.store.mark(jobId, { end: true }, namespace));
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
    let started = current;
    if (current.replayExecId === "") {
      const outcome = await this.#start(current);
      if (outcome === undefined) return;
      started = outcome;
    }
    await this.#settle(started);
  }

  /** Starts the source's replay; the stored item, or undefined when the source is done (refused, skipped) or the planner stops. */
  async #start(current: ReplayJobItem): Promise<ReplayJobItem | undefined> {
    const { jobId, namespace, spec } = this.#job;
    if (this.#cancelled) {
      await this.#put(item(current.index, current.sourceExecId, { state: replayJobItemStateToProto("skipped") }));
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
    try {
      const execution = await this.#answered(() => startSourceReplay(this.#context.runner, request, requestId, { namespace, signal: this.#context.signal }));
      next = item(current.index, current.sourceExecId, {
        state: replayJobItemStateToProto("started"),
        replayExecId: execution.execId,
        replayStatus: execution.status,
      });
    } catch (error) {
      if (this.#context.signal.aborted) return undefined;
      // Refused: the typed error a single replay of this source gives (usage, state, divergence, not found, ...).
      next = item(current.index, current.sourceExecId, { state: replayJobItemStateToProto("refused"), error: errorToStatus(error).details });
      await this.#put(next);
      return undefined;
    }
    await this.#put(next);
    return next;
  }

  /** Waits for the replay to settle, compares it with its source and stores the outcome. */
  async #settle(started: ReplayJobItem): Promise<void> {
    const { namespace } = this.#job;
    const call = { namespace, signal: this.#context.signal };
    const runner = this.#context.runner;
    const replay = await this.#answered(async () => {
      for (;;) {
        const response = await runner.call((s, o) => s.public.getExecution({ execId: started.replayExecId }, o), call);
        const execution = response.execution;
        if (execution === undefined || replaySettled(executionStatusFromProto(execution.status))) return execution;
        // The stream ends when the replay completes, fails, is cancelled or waits.
        try {
          await runner.call(
            async (s, o) => {
              for await (const _event of s.public.watchExecution({ execId: started.replayExecId, statusOnly: true }, o)) {
                // status events only: the state is read again above
              }
            },
            { ...call, timeoutMs: WATCH_TIMEOUT_MS },
          );
        } catch (error) {
          // A runner that is down: asked again by #answered. Any other failure of the stream (a proxy that
          // passes unary calls only): the state is polled instead.
          if (error instanceof KitaruBackendError) throw error;
          await sleep(POLL_MS, undefined, { signal: this.#context.signal });
        }
      }
    });
    if (replay === undefined || this.#context.signal.aborted) return;
    const [source, comparison] = await this.#answered(() =>
      Promise.all([
        runner.call((s, o) => s.public.getExecution({ execId: started.sourceExecId }, o), call),
        runner.call((s, o) => s.public.compareExecutions({ baseExecId: started.sourceExecId, otherExecId: started.replayExecId }, o), call),
      ]),
    );
    const compared = comparison.comparison;
    const counts = countComparison((compared?.calls ?? []).map((c) => callComparisonKindFromProto(c.kind)));
    const replayStatus = executionStatusFromProto(replay.status);
    const sourceStatus = source.execution ? executionStatusFromProto(source.execution.status) : "completed";
    await this.#put(
      item(started.index, started.sourceExecId, {
        state: replayJobItemStateToProto("settled"),
        replayExecId: started.replayExecId,
        replayStatus: replay.status,
        ...(replay.failure ? { replayFailure: replay.failure } : {}),
        resultChanged: resultChanged(sourceStatus, replayStatus, compared?.resultChanges.length ?? 0),
        resultChanges: compared?.resultChanges ?? [],
        reusedCalls: counts.reused,
        reexecutedCalls: counts.reexecuted,
        changedCalls: counts.changed,
        newCalls: counts.added,
      }),
    );
  }

  async #put(next: ReplayJobItem): Promise<void> {
    await this.#answered(() => this.#context.store.putItems(this.#job.jobId, [next], this.#job.namespace));
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
