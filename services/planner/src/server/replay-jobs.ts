import { createHash, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { create, equals } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { errorToStatus, KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import { replayJobItemStateToProto } from "#contract/replay-job.ts";
import {
  type ReplayJob,
  type ReplayJobItem,
  ReplayJobItemSchema,
  ReplayJobSchema,
  type ReplayJobSpec,
  ReplayJobSpecSchema,
} from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { selectionFromProto, selectSources } from "./job-sources.ts";
import { ReplayJobDriver } from "./replay-job-driver.ts";
import { ReplayJobStore, withTotals } from "./replay-job-store.ts";
import type { RunnerClient } from "./runner-client.ts";
import { checkSourceReplay } from "./source-replay.ts";

/** The default of `--replay-job-concurrency`: replays of one job running at once. */
export const DEFAULT_REPLAY_JOB_CONCURRENCY = 4;
/** The most replays of one job at once, whatever the request asks. */
const MAX_REPLAY_JOB_CONCURRENCY = 64;
/** Jobs per page when a restarted planner lists the unfinished ones. */
const RESUME_PAGE_SIZE = 200;
/** How often a watch of a job reads it again. */
const WATCH_POLL_MS = 250;

/** Who asks: namespace, signal, deadline and the transport's request ID. */
export interface JobCaller {
  readonly namespace: string;
  readonly signal?: AbortSignal | undefined;
  readonly deadline?: Date | undefined;
  readonly requestId?: string | undefined;
}

/** Options of {@link ReplayJobs}. */
export interface ReplayJobsOptions {
  readonly runner: RunnerClient;
  /** Replays of one job at once when the request gives none; default {@link DEFAULT_REPLAY_JOB_CONCURRENCY}. */
  readonly concurrency?: number | undefined;
  readonly onError: (message: string, error: unknown) => void;
}

/**
 * The planner's replay jobs: creates them (selection fixed and stored with
 * the job on the runner), runs each with a {@link ReplayJobDriver}, resumes
 * the unfinished ones when the planner starts, cancels them, and reads them
 * back with their totals.
 */
export class ReplayJobs {
  readonly store: ReplayJobStore;
  readonly #runner: RunnerClient;
  readonly #concurrency: number;
  readonly #onError: ReplayJobsOptions["onError"];
  readonly #drivers = new Map<string, { driver: ReplayJobDriver; done: Promise<void>; writes: number }>();
  readonly #stop = new AbortController();

  constructor(options: ReplayJobsOptions) {
    this.#runner = options.runner;
    this.store = new ReplayJobStore(options.runner);
    this.#concurrency = options.concurrency ?? DEFAULT_REPLAY_JOB_CONCURRENCY;
    this.#onError = options.onError;
  }

  /**
   * Starts a job, or returns the one its request ID made before (resuming it
   * here if no driver runs it). With `plan_only`, plans every source and
   * stores nothing.
   */
  async start(spec: ReplayJobSpec | undefined, requestId: string, caller: JobCaller): Promise<{ job: ReplayJob; items: ReplayJobItem[] }> {
    if (spec === undefined) throw new KitaruUsageError("`spec` is required.", { metadata: { field: "spec" } });
    if (spec.from.trim() === "")
      throw new KitaruUsageError("`spec.from` is required: the checkpoint every source is replayed from.", { metadata: { field: "spec.from" } });
    if (spec.concurrency > MAX_REPLAY_JOB_CONCURRENCY) {
      throw new KitaruUsageError(`\`spec.concurrency\` is at most ${MAX_REPLAY_JOB_CONCURRENCY}.`, { metadata: { concurrency: String(spec.concurrency) } });
    }
    const call = { namespace: caller.namespace, signal: caller.signal, deadline: caller.deadline };
    if (spec.planOnly) return await this.#plan(spec, call);

    const givenId = requestId || caller.requestId || `planner-${randomUUID()}`;
    const jobId = replayJobId(caller.namespace, givenId);
    const existing = await this.store.read(jobId, caller.namespace, caller.signal).catch((error: unknown) => {
      if (error instanceof KitaruNotFoundError) return undefined;
      throw error;
    });
    if (existing !== undefined) return await this.#repeated(existing, spec, caller);

    const sourceExecIds = await selectSources(this.#runner, selectionFromProto(spec.selection), call);
    const job = create(ReplayJobSchema, { jobId, requestId: givenId, spec, sourceExecIds, createTime: timestampNow() });
    const stored = await this.store.store(job, caller.namespace);
    if (!stored.created) return await this.#repeated(stored.job, spec, caller);
    this.#run(stored.job);
    return { job: withTotals(stored.job, []), items: [] };
  }

  /** The same request again: the stored job, when it asked for the same. */
  async #repeated(stored: ReplayJob, spec: ReplayJobSpec, caller: JobCaller) {
    if (stored.spec === undefined || !equals(ReplayJobSpecSchema, stored.spec, spec)) {
      throw new KitaruUsageError(`Request ID '${stored.requestId}' started replay job '${stored.jobId}' with another request; use a new request ID.`, {
        metadata: { requestId: stored.requestId, jobId: stored.jobId },
      });
    }
    if (stored.endTime === undefined) this.#run(stored);
    const view = await this.store.view(stored.jobId, caller.namespace, caller.signal);
    return { job: view.job, items: [] };
  }

  /** Plans every selected source, creating nothing: each plan, or each source's error. */
  async #plan(spec: ReplayJobSpec, call: { namespace: string; signal?: AbortSignal | undefined; deadline?: Date | undefined }) {
    const sourceExecIds = await selectSources(this.#runner, selectionFromProto(spec.selection), call);
    const items: ReplayJobItem[] = new Array(sourceExecIds.length);
    let next = 0;
    const worker = async () => {
      while (next < sourceExecIds.length) {
        const index = next++;
        const sourceExecId = sourceExecIds[index] ?? "";
        const request = {
          execId: sourceExecId,
          from: spec.from,
          args: spec.args,
          overrides: spec.overrides,
          allowOverrideTypeChange: spec.allowOverrideTypeChange,
          answerWaitsFromSource: spec.answerWaitsFromSource,
        };
        try {
          const plan = await checkSourceReplay(this.#runner, request, call);
          items[index] = create(ReplayJobItemSchema, { index, sourceExecId, state: replayJobItemStateToProto("planned"), plan });
        } catch (error) {
          if (call.signal?.aborted) throw error;
          items[index] = create(ReplayJobItemSchema, { index, sourceExecId, state: replayJobItemStateToProto("refused"), error: errorToStatus(error).details });
        }
      }
    };
    const concurrency = Math.min(spec.concurrency || this.#concurrency, sourceExecIds.length);
    await Promise.all(Array.from({ length: concurrency }, worker));
    const job = create(ReplayJobSchema, { spec, sourceExecIds, namespace: call.namespace, createTime: timestampNow() });
    return { job: withTotals({ ...job, endTime: job.createTime }, items), items };
  }

  /** Cancels a job: no replay is started after it. */
  async cancel(jobId: string, caller: JobCaller): Promise<ReplayJob> {
    const before = await this.store.read(jobId, caller.namespace, caller.signal);
    if (before.endTime === undefined) {
      await this.store.mark(jobId, { cancel: true }, caller.namespace);
      const running = this.#drivers.get(jobId);
      running?.driver.cancel();
      if (running !== undefined) running.writes += 1;
    }
    return (await this.store.view(jobId, caller.namespace, caller.signal)).job;
  }

  /** A page of the caller's jobs, newest first, each with its totals. */
  async list(page: { pageSize: number; pageToken: string }, caller: JobCaller): Promise<{ jobs: ReplayJob[]; nextPageToken: string }> {
    const listed = await this.store.list(page, caller.namespace, caller.signal);
    const jobs = await Promise.all(listed.jobs.map(async (job) => withTotals(job, await this.store.items(job.jobId, caller.namespace, caller.signal))));
    return { jobs, nextPageToken: listed.nextPageToken };
  }

  /**
   * Up to `pageSize` sources of a job from index `start` in the job's order
   * (`changedOnly`: those whose replay's result changed), and the index the
   * next page starts at (undefined after the last).
   */
  async items(
    jobId: string,
    page: { start: number; pageSize: number; changedOnly: boolean },
    caller: JobCaller,
  ): Promise<{ items: ReplayJobItem[]; next: number | undefined }> {
    const view = await this.store.view(jobId, caller.namespace, caller.signal);
    const matching = itemsOfEverySource(view.job, view.items).filter((item) => item.index >= page.start && (!page.changedOnly || item.resultChanged));
    const items = matching.slice(0, page.pageSize);
    const last = items[items.length - 1];
    return { items, next: matching.length > page.pageSize && last ? last.index + 1 : undefined };
  }

  /**
   * The job and every source, then the job and the sources that changed
   * whenever something changed, until the job ends. A job this planner
   * drives is read again only after its driver wrote; any other job, every
   * {@link WATCH_POLL_MS}.
   */
  async *watch(jobId: string, caller: JobCaller): AsyncGenerator<{ job: ReplayJob; items: ReplayJobItem[] }> {
    const seen = new Map<number, string>();
    let readAt: number | undefined = -1;
    for (;;) {
      const writes = this.#drivers.get(jobId)?.writes;
      if (writes !== undefined && writes === readAt) {
        await sleep(WATCH_POLL_MS, undefined, { signal: caller.signal });
        continue;
      }
      readAt = writes;
      const view = await this.store.view(jobId, caller.namespace, caller.signal);
      const items = itemsOfEverySource(view.job, view.items).filter((item) => seen.get(item.index) !== itemKey(item));
      for (const item of items) seen.set(item.index, itemKey(item));
      if (items.length > 0 || view.job.endTime !== undefined) yield { job: view.job, items };
      if (view.job.endTime !== undefined) return;
      await sleep(WATCH_POLL_MS, undefined, { signal: caller.signal });
    }
  }

  /** Resumes every unfinished job of every namespace (a planner that starts). */
  async resumeUnfinished(): Promise<number> {
    let pageToken = "";
    let resumed = 0;
    do {
      const page = await this.store.list({ pageSize: RESUME_PAGE_SIZE, pageToken, unfinishedOnly: true, allNamespaces: true }, undefined, this.#stop.signal);
      for (const job of page.jobs) {
        if (this.#run(job)) resumed += 1;
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    return resumed;
  }

  /** Stops every driver where it is (the planner stops); a restarted planner resumes the jobs. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all([...this.#drivers.values()].map((d) => d.done));
  }

  /** Runs a job here unless a driver of this planner runs it; true when one was started. */
  #run(job: ReplayJob): boolean {
    if (this.#drivers.has(job.jobId) || this.#stop.signal.aborted) return false;
    const onWritten = () => {
      const running = this.#drivers.get(job.jobId);
      if (running !== undefined) running.writes += 1;
    };
    const driver = new ReplayJobDriver(
      { runner: this.#runner, store: this.store, defaultConcurrency: this.#concurrency, signal: this.#stop.signal, onError: this.#onError, onWritten },
      job,
    );
    const done = driver
      .run()
      .catch((error: unknown) => {
        if (!this.#stop.signal.aborted) this.#onError(`replay job ${job.jobId} stopped; it resumes when the planner restarts`, error);
      })
      .finally(() => this.#drivers.delete(job.jobId));
    this.#drivers.set(job.jobId, { driver, done, writes: 0 });
    return true;
  }
}

/** A job's ID from its namespace and request ID: the same request always names the same job. */
function replayJobId(namespace: string, requestId: string): string {
  const digest = createHash("sha256").update(`${namespace}\n${requestId}`).digest();
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let id = "";
  for (let i = 0; i < 16; i++) id += alphabet[(digest[i] ?? 0) & 31];
  return `rj-${id}`;
}

/** What a watcher last saw of an item. */
function itemKey(item: ReplayJobItem): string {
  return `${item.state}:${item.replayExecId}:${item.replayStatus}:${item.updateTime?.seconds ?? 0}:${item.updateTime?.nanos ?? 0}`;
}

/** Every source of a job with its item: the stored one, else pending. */
function itemsOfEverySource(job: ReplayJob, stored: readonly ReplayJobItem[]): ReplayJobItem[] {
  const byIndex = new Map(stored.map((item) => [item.index, item]));
  return job.sourceExecIds.map(
    (sourceExecId, index) => byIndex.get(index) ?? create(ReplayJobItemSchema, { index, sourceExecId, state: replayJobItemStateToProto("pending") }),
  );
}
