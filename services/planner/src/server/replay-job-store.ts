import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { executionStatusFromProto } from "#contract/status.ts";
import { replayJobItemStateFromProto, replayJobStateToProto } from "#contract/replay-job.ts";
import { type ReplayJob, type ReplayJobItem, ReplayJobSchema, ReplayJobTotalsSchema } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { jobState, jobTotals } from "../core/index.ts";
import type { RunnerClient } from "./runner-client.ts";

/** Items per read of a job's items (the runner's default page). */
const ITEMS_PER_READ = 1000;

/**
 * A job's totals and state, counted from its items (the runner stores the
 * job and items; it never counts).
 */
export function withTotals(job: ReplayJob, items: readonly ReplayJobItem[]): ReplayJob {
  const totals = jobTotals(
    job.sourceExecIds.length,
    items.map((item) => ({
      state: replayJobItemStateFromProto(item.state),
      replayStatus: executionStatusFromProto(item.replayStatus),
      resultChanged: item.resultChanged,
    })),
  );
  const state = jobState({ ended: job.endTime !== undefined, cancelled: job.cancelTime !== undefined });
  return create(ReplayJobSchema, { ...job, totals: create(ReplayJobTotalsSchema, totals), state: replayJobStateToProto(state) });
}

/**
 * The planner's access to the jobs the runner stores for it
 * (RunnerInternalService), in one namespace. Calls carry the runner client's
 * timeout; failures are `KitaruError`s (a runner that is down:
 * `KitaruBackendError`).
 */
export class ReplayJobStore {
  readonly #runner: RunnerClient;

  constructor(runner: RunnerClient) {
    this.#runner = runner;
  }

  /** Stores a new job; the one stored under its ID when there is one already. */
  async store(job: ReplayJob, namespace: string): Promise<{ job: ReplayJob; created: boolean }> {
    const response = await this.#runner.call((s, o) => s.internal.storeReplayJob({ job }, o), { namespace });
    return { job: required(response.job), created: response.created };
  }

  /** The stored job (no totals); `KitaruNotFoundError` when the namespace has none of that ID. */
  async read(jobId: string, namespace: string, signal?: AbortSignal): Promise<ReplayJob> {
    return required((await this.#runner.call((s, o) => s.internal.readReplayJob({ jobId }, o), { namespace, signal })).job);
  }

  /** A page of stored jobs, newest first. */
  async list(query: { pageSize: number; pageToken: string; unfinishedOnly?: boolean; allNamespaces?: boolean }, namespace?: string, signal?: AbortSignal) {
    return await this.#runner.call((s, o) => s.internal.listStoredReplayJobs(query, o), { namespace, signal });
  }

  /** Sets the job's cancel or end time (the first one stays); the job after it. */
  async mark(jobId: string, marks: { cancel?: boolean; end?: boolean }, namespace: string): Promise<ReplayJob> {
    const request = { jobId, ...(marks.cancel ? { cancelTime: timestampNow() } : {}), ...(marks.end ? { endTime: timestampNow() } : {}) };
    return required((await this.#runner.call((s, o) => s.internal.markReplayJob(request, o), { namespace })).job);
  }

  /** Writes items of the job. */
  async putItems(jobId: string, items: readonly ReplayJobItem[], namespace: string): Promise<void> {
    if (items.length === 0) return;
    await this.#runner.call((s, o) => s.internal.storeReplayJobItems({ jobId, items: [...items] }, o), { namespace });
  }

  /** Every stored item of the job, in index order. */
  async items(jobId: string, namespace: string, signal?: AbortSignal): Promise<ReplayJobItem[]> {
    const all: ReplayJobItem[] = [];
    for (;;) {
      const fromIndex = all.length === 0 ? 0 : (all[all.length - 1]?.index ?? 0) + 1;
      const page = await this.#runner.call((s, o) => s.internal.readReplayJobItems({ jobId, fromIndex, limit: ITEMS_PER_READ }, o), { namespace, signal });
      all.push(...page.items);
      if (page.items.length < ITEMS_PER_READ) return all;
    }
  }

  /** The job with its totals and state, and its items. */
  async view(jobId: string, namespace: string, signal?: AbortSignal): Promise<{ job: ReplayJob; items: ReplayJobItem[] }> {
    const job = await this.read(jobId, namespace, signal);
    const items = await this.items(jobId, namespace, signal);
    return { job: withTotals(job, items), items };
  }
}

function required(job: ReplayJob | undefined): ReplayJob {
  if (job === undefined) throw new Error("runner returned no replay job");
  return job;
}
