/**
 * The runner's side of replay jobs: it stores what the planner gives it
 * (RunnerInternalService) so that a restarted planner resumes the job. The
 * runner never interprets a job's content; it keeps each job in its
 * namespace and pages the lists.
 *
 * @module
 */
import { KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import type { ExecutionStore, ReplayJobMarks } from "../store/execution-store.ts";
import type { ReplayJobItemRecord, ReplayJobRecord } from "../store/records.ts";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 200;
/** Items per read when the caller gives no limit; a job holds at most 10 000. */
const DEFAULT_ITEM_LIMIT = 1000;

/** Who asks: the caller's namespace (all of them for `listJobs` with `allNamespaces`) and signal. */
export interface ReplayJobCaller {
  readonly namespace: string;
  readonly signal?: AbortSignal | undefined;
}

/** A page of stored jobs, newest first. */
export interface ReplayJobPage {
  readonly jobs: readonly ReplayJobRecord[];
  readonly nextPageToken: string;
}

/** The replay jobs stored on this runner, per namespace. */
export class ReplayJobRecords {
  readonly #store: ExecutionStore;

  constructor(store: ExecutionStore) {
    this.#store = store;
  }

  /** Stores a job in the caller's namespace; a job stored under the ID already is returned as it is. */
  async store(
    job: Omit<ReplayJobRecord, "namespace" | "cancelledAt" | "endedAt">,
    caller: ReplayJobCaller,
  ): Promise<{ job: ReplayJobRecord; created: boolean }> {
    if (!job.jobId) throw new KitaruUsageError("`job.job_id` is required.");
    const created = await this.#store.insertReplayJob({ ...job, namespace: caller.namespace }, { signal: caller.signal });
    return { job: await this.get(job.jobId, caller), created };
  }

  /** A job of the caller's namespace; `KitaruNotFoundError` otherwise. */
  async get(jobId: string, caller: ReplayJobCaller): Promise<ReplayJobRecord> {
    const job = await this.#store.getReplayJob(jobId, { signal: caller.signal });
    if (job === undefined || job.namespace !== caller.namespace) throw notFound(jobId);
    return job;
  }

  /** A page of jobs, newest first: the caller's namespace, or every namespace. */
  async list(
    query: { pageSize?: number; pageToken?: string; unfinishedOnly?: boolean; allNamespaces?: boolean },
    caller: ReplayJobCaller,
  ): Promise<ReplayJobPage> {
    const limit = pageLimit(query.pageSize);
    const after = query.pageToken ? decodeJobPageToken(query.pageToken) : undefined;
    const records = await this.#store.listReplayJobs(
      { namespace: query.allNamespaces ? undefined : caller.namespace, unfinishedOnly: query.unfinishedOnly, limit: limit + 1, after },
      { signal: caller.signal },
    );
    const jobs = records.slice(0, limit);
    const last = jobs[jobs.length - 1];
    return { jobs, nextPageToken: records.length > limit && last ? encodeJobPageToken(last) : "" };
  }

  /** Sets a job's cancel or end time (each kept once set); returns the job after it. */
  async mark(jobId: string, marks: ReplayJobMarks, caller: ReplayJobCaller): Promise<ReplayJobRecord> {
    await this.get(jobId, caller);
    return (await this.#store.markReplayJob(jobId, marks, { signal: caller.signal })) ?? (await this.get(jobId, caller));
  }

  /** Writes items of a job of the caller's namespace. */
  async putItems(jobId: string, items: readonly Omit<ReplayJobItemRecord, "jobId">[], caller: ReplayJobCaller): Promise<void> {
    await this.get(jobId, caller);
    await this.#store.putReplayJobItems(
      items.map((item) => ({ ...item, jobId })),
      { signal: caller.signal },
    );
  }

  /** The items of a job from `fromIndex`, in index order. */
  async items(jobId: string, range: { fromIndex: number; limit: number }, caller: ReplayJobCaller): Promise<ReplayJobItemRecord[]> {
    await this.get(jobId, caller);
    return await this.#store.listReplayJobItems(jobId, range.fromIndex, range.limit > 0 ? range.limit : DEFAULT_ITEM_LIMIT, { signal: caller.signal });
  }
}

function notFound(jobId: string): KitaruNotFoundError {
  return new KitaruNotFoundError(`Replay job '${jobId}' not found.`, { resourceType: "replay job", resourceName: jobId, metadata: { jobId } });
}

function pageLimit(pageSize: number | undefined): number {
  const size = pageSize === undefined || pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
  if (!Number.isInteger(size) || size < 0) {
    throw new KitaruUsageError(`\`page_size\` must be a non-negative integer; got ${pageSize}.`, { metadata: { pageSize: String(pageSize) } });
  }
  return Math.min(size, MAX_PAGE_SIZE);
}

function encodeJobPageToken(job: ReplayJobRecord): string {
  return Buffer.from(JSON.stringify({ c: job.createdAt.toISOString(), j: job.jobId })).toString("base64url");
}

function decodeJobPageToken(token: string): { createdAt: Date; jobId: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { c?: unknown; j?: unknown };
    const createdAt = new Date(String(parsed.c));
    if (typeof parsed.j !== "string" || Number.isNaN(createdAt.getTime())) throw new Error("bad token");
    return { createdAt, jobId: parsed.j };
  } catch {
    throw new KitaruUsageError("`page_token` is not a token returned by a list of replay jobs.", { metadata: { pageToken: token } });
  }
}
