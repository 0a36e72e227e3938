/**
 * Replay jobs' shared vocabulary: the names of a source's states and of a
 * job's states with their protobuf enum values, and the summary line of a
 * job's totals ("41 completed, 3 failed, 17 results changed") that the
 * planner's logs and the CLI both print.
 *
 * @module
 */
import { ReplayJobItemState as ItemStatePb, ReplayJobState as JobStatePb } from "#gen/kitaru/runner/v1/replay_job_pb.ts";

/** A job's sources counted by outcome (the planner counts them; the clients show them). */
export interface ReplayJobTotals {
  readonly sources: number;
  /** Not started yet. */
  readonly pending: number;
  /** Replay started, not settled yet. */
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Replay stopped at a wait. */
  readonly waiting: number;
  /** The plan cannot apply to the source: see its item's error. */
  readonly refused: number;
  /** Not started: the job was cancelled first. */
  readonly skipped: number;
  /** Planned by a plan-only request. */
  readonly planned: number;
  readonly resultsChanged: number;
}

/** Where one source of a job stands. */
export type ReplayJobItemStateName = "pending" | "started" | "settled" | "refused" | "skipped" | "planned";

/** Where a job stands. */
export type ReplayJobStateName = "running" | "succeeded" | "cancelled";

const itemStateToPb: Record<ReplayJobItemStateName, ItemStatePb> = {
  pending: ItemStatePb.PENDING,
  started: ItemStatePb.STARTED,
  settled: ItemStatePb.SETTLED,
  refused: ItemStatePb.REFUSED,
  skipped: ItemStatePb.SKIPPED,
  planned: ItemStatePb.PLANNED,
};

/** The `ReplayJobItemState` enum value of a state name. */
export function replayJobItemStateToProto(state: ReplayJobItemStateName): ItemStatePb {
  return itemStateToPb[state];
}

/** The name of a `ReplayJobItemState` enum value (unset reads as pending). */
export function replayJobItemStateFromProto(state: ItemStatePb): ReplayJobItemStateName {
  const entry = Object.entries(itemStateToPb).find(([, value]) => value === state);
  return (entry?.[0] as ReplayJobItemStateName | undefined) ?? "pending";
}

const jobStateToPb: Record<ReplayJobStateName, JobStatePb> = {
  running: JobStatePb.RUNNING,
  succeeded: JobStatePb.SUCCEEDED,
  cancelled: JobStatePb.CANCELLED,
};

/** The `ReplayJobState` enum value of a state name. */
export function replayJobStateToProto(state: ReplayJobStateName): JobStatePb {
  return jobStateToPb[state];
}

/** The name of a `ReplayJobState` enum value (unset reads as running). */
export function replayJobStateFromProto(state: JobStatePb): ReplayJobStateName {
  const entry = Object.entries(jobStateToPb).find(([, value]) => value === state);
  return (entry?.[0] as ReplayJobStateName | undefined) ?? "running";
}

/**
 * A job's totals as one line, e.g. "41 completed, 3 failed, 17 results
 * changed": counts that are 0 are left out, the changed results always shown.
 */
export function replayJobTotalsLine(totals: ReplayJobTotals): string {
  const parts: [number, string][] = [
    [totals.completed, "completed"],
    [totals.failed, "failed"],
    [totals.cancelled, "cancelled"],
    [totals.waiting, "waiting"],
    [totals.running, "running"],
    [totals.pending, "pending"],
    [totals.refused, "refused"],
    [totals.skipped, "skipped"],
    [totals.planned, "planned"],
  ];
  const shown = parts.filter(([count]) => count > 0).map(([count, label]) => `${count} ${label}`);
  shown.push(`${totals.resultsChanged} result${totals.resultsChanged === 1 ? "" : "s"} changed`);
  return shown.join(", ");
}
