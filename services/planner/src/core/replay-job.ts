/**
 * Replay jobs, the pure part: which executions a job selects, what each
 * source's replay is asked under (its request ID), how a settled replay
 * compares with its source, and the job's totals. The server layer reads
 * the candidates and the comparisons from the runner and stores the job.
 *
 * @module
 */
import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import type { CallComparisonKind } from "#contract/comparison.ts";
import type { ReplayJobItemStateName, ReplayJobStateName, ReplayJobTotals } from "#contract/replay-job.ts";
import type { ExecutionStatus, JsonValue } from "./source-execution.ts";

/** The most sources one job holds; a selection without `limit` that matches more is refused. */
export const MAX_JOB_SOURCES = 10_000;

/** The statuses a job selects when none is given: every status a replay accepts. */
const REPLAYABLE_STATUSES: readonly ExecutionStatus[] = ["completed", "failed", "cancelled", "waiting"];

/** Which executions a job replays; every field given must hold. */
export interface JobSelection {
  readonly flowName: string;
  /** Empty: {@link REPLAYABLE_STATUSES}. */
  readonly statuses: readonly ExecutionStatus[];
  /** Created at or after (epoch milliseconds). */
  readonly sinceMs?: number | undefined;
  /** Created before (epoch milliseconds). */
  readonly untilMs?: number | undefined;
  /** Metadata keys that must hold these string values. */
  readonly labels: Readonly<Record<string, string>>;
  readonly execIds: readonly string[];
  /** 0: up to {@link MAX_JOB_SOURCES}. */
  readonly limit: number;
}

/** An execution as the selection sees it. */
export interface SourceCandidate {
  readonly execId: string;
  readonly flowName: string;
  readonly status: ExecutionStatus;
  /** Epoch milliseconds. */
  readonly createdMs: number;
  /** The metadata the flow attached with `log()`. */
  readonly metadata?: Readonly<Record<string, JsonValue>> | undefined;
}

/**
 * Checks a selection before anything is read: a flow or IDs, a window that
 * is not empty, a limit within bounds. Throws `KitaruUsageError`.
 */
export function checkSelection(selection: JobSelection): void {
  if (!selection.flowName && selection.execIds.length === 0) {
    throw new KitaruUsageError("A replay job selects executions by flow (`selection.flow_name`) or by ID (`selection.exec_ids`); neither was given.", {
      metadata: { field: "selection" },
    });
  }
  if (selection.sinceMs !== undefined && selection.untilMs !== undefined && selection.sinceMs >= selection.untilMs) {
    throw new KitaruUsageError("`selection.since` must be before `selection.until`.", {
      metadata: { sinceMs: String(selection.sinceMs), untilMs: String(selection.untilMs) },
    });
  }
  if (selection.limit > MAX_JOB_SOURCES || selection.execIds.length > MAX_JOB_SOURCES) {
    throw new KitaruUsageError(`A replay job holds at most ${MAX_JOB_SOURCES} sources.`, {
      metadata: { limit: String(selection.limit), max: String(MAX_JOB_SOURCES) },
    });
  }
  if (new Set(selection.execIds).size !== selection.execIds.length) {
    throw new KitaruUsageError("`selection.exec_ids` names an execution twice.", { metadata: { field: "selection.exec_ids" } });
  }
}

/** The statuses a selection accepts. */
export function selectedStatuses(selection: JobSelection): readonly ExecutionStatus[] {
  return selection.statuses.length === 0 ? REPLAYABLE_STATUSES : selection.statuses;
}

/** Whether a candidate matches every field of the selection but `limit` and `execIds`. */
export function matchesSelection(candidate: SourceCandidate, selection: JobSelection): boolean {
  if (selection.flowName && candidate.flowName !== selection.flowName) return false;
  if (!selectedStatuses(selection).includes(candidate.status)) return false;
  if (selection.sinceMs !== undefined && candidate.createdMs < selection.sinceMs) return false;
  if (selection.untilMs !== undefined && candidate.createdMs >= selection.untilMs) return false;
  for (const [key, value] of Object.entries(selection.labels)) {
    if (candidate.metadata?.[key] !== value) return false;
  }
  return true;
}

/**
 * Whether a newest-first scan can stop: the candidate (and so every older
 * one) was created before the window.
 */
export function olderThanWindow(candidate: SourceCandidate, selection: JobSelection): boolean {
  return selection.sinceMs !== undefined && candidate.createdMs < selection.sinceMs;
}

/** How many sources a selection takes at most: its limit, else the job maximum. */
export function sourceLimit(selection: JobSelection): number {
  return selection.limit > 0 ? selection.limit : MAX_JOB_SOURCES;
}

/**
 * The request ID a job's replay of one source is started under: the same on
 * every attempt (after a planner or runner crash too), so the runner's
 * request-ID idempotency never creates a second replay of that source.
 */
export function jobReplayRequestId(jobId: string, sourceExecId: string): string {
  return `${jobId}/${sourceExecId}`;
}

/** How a settled replay compares with its source, from the runner's comparison. */
export interface ReplayComparisonCounts {
  readonly reused: number;
  readonly reexecuted: number;
  readonly changed: number;
  readonly added: number;
}

/** Counts a comparison's calls: reused, run again with the same output, changed (another output or an override), new. */
export function countComparison(kinds: readonly CallComparisonKind[]): ReplayComparisonCounts {
  let reused = 0;
  let reexecuted = 0;
  let changed = 0;
  let added = 0;
  for (const kind of kinds) {
    switch (kind) {
      case "reused":
        reused += 1;
        break;
      case "same_output":
        reexecuted += 1;
        break;
      case "changed_output":
      case "overridden":
        changed += 1;
        break;
      case "new":
        added += 1;
        break;
      case "not_reached":
        break;
    }
  }
  return { reused, reexecuted, changed, added };
}

/**
 * Whether a replay's result differs from its source's: the results differ
 * (`resultChanges` counts the runner's JSON changes), or one of the two
 * completed and the other did not (one has a result, the other none).
 */
export function resultChanged(sourceStatus: ExecutionStatus, replayStatus: ExecutionStatus, resultChanges: number): boolean {
  return resultChanges > 0 || (sourceStatus === "completed") !== (replayStatus === "completed");
}

/** Whether a replay has settled for the job: ended, or stopped at a wait (it needs an answer to go on). */
export function replaySettled(status: ExecutionStatus): boolean {
  return status !== "running";
}

/** Where one source of a job stands (the contract's names). */
export type JobItemState = ReplayJobItemStateName;

/** What the totals read of an item. */
export interface JobItemSummary {
  readonly state: JobItemState;
  /** The replay's status when settled. */
  readonly replayStatus?: ExecutionStatus | undefined;
  readonly resultChanged: boolean;
}

/** A job's sources counted by outcome (the contract's shape). */
export type JobTotals = ReplayJobTotals;

/** Counts a job's items; sources without a stored item are pending. */
export function jobTotals(sourceCount: number, items: readonly JobItemSummary[]): JobTotals {
  const totals = {
    sources: sourceCount,
    pending: 0,
    running: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    waiting: 0,
    refused: 0,
    skipped: 0,
    planned: 0,
    resultsChanged: 0,
  };
  for (const item of items) {
    switch (item.state) {
      case "pending":
        totals.pending += 1;
        break;
      case "started":
        totals.running += 1;
        break;
      case "refused":
        totals.refused += 1;
        break;
      case "skipped":
        totals.skipped += 1;
        break;
      case "planned":
        totals.planned += 1;
        break;
      case "settled":
        if (item.replayStatus === "completed") totals.completed += 1;
        else if (item.replayStatus === "failed") totals.failed += 1;
        else if (item.replayStatus === "cancelled") totals.cancelled += 1;
        else totals.waiting += 1;
        if (item.resultChanged) totals.resultsChanged += 1;
        break;
    }
  }
  totals.pending += Math.max(0, sourceCount - items.length);
  return totals;
}

/** A job's state: running until it ended; then cancelled or succeeded. */
export function jobState(job: { readonly ended: boolean; readonly cancelled: boolean }): ReplayJobStateName {
  if (!job.ended) return "running";
  return job.cancelled ? "cancelled" : "succeeded";
}
