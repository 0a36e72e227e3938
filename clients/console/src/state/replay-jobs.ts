/**
 * Replay jobs without the page: the addresses of the jobs list and of one
 * job, what a job's row says, and a job page's state: the job and its
 * sources as the watch reports them (merged by index), the totals line
 * ("41 completed, 3 failed, 17 results changed"), the progress, and each
 * source's row (replay, status, result changed with its JSON changes, calls
 * reused / re-executed / changed, the typed error of a refused source).
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { errorFromStatus } from "#contract/errors/index.ts";
import {
  type ReplayJobItemStateName,
  type ReplayJobStateName,
  replayJobItemStateFromProto,
  replayJobStateFromProto,
  replayJobTotalsLine,
} from "#contract/replay-job.ts";
import { executionStatusFromProto } from "#contract/status.ts";
import type { ReplayJob, ReplayJobItem } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { executionHref } from "./executions-list.ts";
import { changeText } from "./lineage.ts";

/** The jobs list's address. */
export const JOBS_HREF = "#/jobs";

/** The address of one job's page. */
export function jobHref(jobId: string): string {
  return `#/jobs/${encodeURIComponent(jobId)}`;
}

/** The address of a replay's page opened at its diff with its source. */
export function diffHref(replayExecId: string): string {
  return `${executionHref(replayExecId)}?diff`;
}

/** What a job selects, in words: "content_pipeline · failed · since … · until … · team=growth · 3 IDs · at most 50". */
export function selectionText(job: ReplayJob): string {
  const s = job.spec?.selection;
  if (s === undefined) return "";
  const parts: string[] = [];
  if (s.flowName) parts.push(s.flowName);
  if (s.statuses.length > 0) parts.push(s.statuses.map(executionStatusFromProto).join(" or "));
  if (s.since) parts.push(`since ${timestampDate(s.since).toISOString()}`);
  if (s.until) parts.push(`until ${timestampDate(s.until).toISOString()}`);
  for (const [key, value] of Object.entries(s.labels)) parts.push(`${key}=${value}`);
  if (s.execIds.length > 0) parts.push(`${s.execIds.length} ID${s.execIds.length === 1 ? "" : "s"}`);
  if (s.limit > 0) parts.push(`at most ${s.limit}`);
  return parts.join(" · ");
}

/** Sources done (settled, refused or skipped) out of all. */
export interface JobProgress {
  readonly done: number;
  readonly total: number;
}

/** How far a job got. */
function jobProgress(job: ReplayJob): JobProgress {
  const t = job.totals;
  if (t === undefined) return { done: 0, total: job.sourceExecIds.length };
  return { done: t.sources - t.pending - t.running, total: t.sources };
}

/** A job as the jobs list shows it. */
export interface JobSummary {
  readonly jobId: string;
  readonly href: string;
  readonly state: ReplayJobStateName;
  readonly selection: string;
  readonly from: string;
  readonly progress: JobProgress;
  readonly totals: string;
}

/** The row of a job in the list. */
export function jobSummary(job: ReplayJob): JobSummary {
  return {
    jobId: job.jobId,
    href: jobHref(job.jobId),
    state: replayJobStateFromProto(job.state),
    selection: selectionText(job),
    from: job.spec?.from ?? "",
    progress: jobProgress(job),
    totals: job.totals ? replayJobTotalsLine(job.totals) : "",
  };
}

/** Calls of a settled replay compared with its source. */
export interface CallCounts {
  readonly reused: number;
  readonly reexecuted: number;
  readonly changed: number;
  readonly new: number;
}

/** One source of a job as its row shows it. */
export interface JobRow {
  readonly index: number;
  readonly sourceExecId: string;
  readonly sourceHref: string;
  readonly state: ReplayJobItemStateName;
  /** The replay's ID; "" before it exists (and for refused, skipped and planned sources). */
  readonly replayExecId: string;
  /** The replay's graph and its diff with the source; undefined without a replay. */
  readonly graphHref: string | undefined;
  readonly diffHref: string | undefined;
  /** The badge: the replay's status once it exists ("running", "completed", ...), else the source's state ("pending", "refused", ...). */
  readonly status: string;
  /** "changed", "same", or "" until the replay settled. */
  readonly result: "changed" | "same" | "";
  /** The result's JSON changes, one line each. */
  readonly changes: readonly string[];
  /** Settled replays only. */
  readonly calls: CallCounts | undefined;
  /** A refused source's error: its class (`KitaruStateError`, ...) and message. */
  readonly error: { readonly name: string; readonly message: string } | undefined;
}

/** The row of one source. */
export function jobRow(item: ReplayJobItem): JobRow {
  const state = replayJobItemStateFromProto(item.state);
  const settled = state === "settled";
  const error = item.error ? errorFromStatus(item.error) : undefined;
  return {
    index: item.index,
    sourceExecId: item.sourceExecId,
    sourceHref: executionHref(item.sourceExecId),
    state,
    replayExecId: item.replayExecId,
    graphHref: item.replayExecId ? executionHref(item.replayExecId) : undefined,
    diffHref: item.replayExecId ? diffHref(item.replayExecId) : undefined,
    status: item.replayExecId ? executionStatusFromProto(item.replayStatus) : state,
    result: settled ? (item.resultChanged ? "changed" : "same") : "",
    changes: item.resultChanges.map(changeText),
    calls: settled ? { reused: item.reusedCalls, reexecuted: item.reexecutedCalls, changed: item.changedCalls, new: item.newCalls } : undefined,
    error: error ? { name: error.name, message: error.message } : undefined,
  };
}

/** One job's page: the job and its sources, kept current by the watch's reports. */
export class JobPageState {
  #job: ReplayJob | undefined;
  readonly #items = new Map<number, ReplayJobItem>();
  /** Show only the sources whose result changed. */
  changedOnly = false;

  /** A report arrived: the job now and the sources that changed (all of them in the first report, or in a full read). */
  received(job: ReplayJob | undefined, items: readonly ReplayJobItem[]): void {
    if (job !== undefined) this.#job = job;
    for (const item of items) this.#items.set(item.index, item);
  }

  get job(): ReplayJob | undefined {
    return this.#job;
  }

  /** The rows shown, in the job's order. */
  get rows(): JobRow[] {
    return [...this.#items.values()]
      .filter((item) => !this.changedOnly || item.resultChanged)
      .sort((a, b) => a.index - b.index)
      .map(jobRow);
  }

  /** "41 completed, 3 failed, 17 results changed"; "" before the job was read. */
  get totalsLine(): string {
    return this.#job?.totals ? replayJobTotalsLine(this.#job.totals) : "";
  }

  get progress(): JobProgress {
    return this.#job ? jobProgress(this.#job) : { done: 0, total: 0 };
  }

  get state(): ReplayJobStateName | undefined {
    return this.#job ? replayJobStateFromProto(this.#job.state) : undefined;
  }

  /** Every replay settled: nothing more will change. */
  get ended(): boolean {
    return this.#job?.endTime !== undefined;
  }

  /** Cancel is offered while the job runs and was not cancelled yet. */
  get canCancel(): boolean {
    return this.#job !== undefined && !this.ended && this.#job.cancelTime === undefined;
  }
}
