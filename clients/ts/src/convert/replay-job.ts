/**
 * The plain models of replay jobs (`client.replayJobs`), from protobuf.
 *
 * @module
 */
import type { KitaruError } from "#contract/errors/kitaru-error.ts";
import { errorFromStatus } from "#contract/errors/wire.ts";
import { type ExecutionFailure, failureFromProto } from "#contract/failure.ts";
import {
  type ReplayJobItemStateName,
  type ReplayJobStateName,
  type ReplayJobTotals,
  replayJobItemStateFromProto,
  replayJobStateFromProto,
} from "#contract/replay-job.ts";
import { executionStatusFromProto, type ExecutionStatus } from "#contract/status.ts";
import type { ReplayJob as ReplayJobPb, ReplayJobItem as ReplayJobItemPb, ReplayJobTotals as ReplayJobTotalsPb } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { dateFromTimestamp } from "./json.ts";
import { changeFromProto, type JsonChange } from "./lineage.ts";
import { replayPlanFromProto, type ReplayPlan } from "./replay-plan.ts";

export type { ReplayJobTotals } from "#contract/replay-job.ts";

/** What a job selects; every field given must hold. */
export interface ReplayJobSelection {
  readonly flow: string;
  readonly statuses: readonly ExecutionStatus[];
  readonly since: Date | undefined;
  readonly until: Date | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly execIds: readonly string[];
  readonly limit: number;
}

/** A bulk replay: many sources, one request. */
export interface ReplayJob {
  /** `""` for a plan-only request (nothing stored). */
  readonly jobId: string;
  readonly requestId: string;
  readonly state: ReplayJobStateName;
  readonly selection: ReplayJobSelection;
  readonly from: string;
  readonly args: Readonly<Record<string, unknown>> | undefined;
  readonly overrides: Readonly<Record<string, unknown>> | undefined;
  readonly answerWaitsFromSource: readonly string[];
  readonly planOnly: boolean;
  readonly concurrency: number;
  /** The sources, fixed when the job was created, in the order it replays them. */
  readonly sourceExecIds: readonly string[];
  readonly totals: ReplayJobTotals;
  readonly createTime: Date | undefined;
  readonly cancelTime: Date | undefined;
  readonly endTime: Date | undefined;
}

/** One source of a job, its replay and how the two compare. */
export interface ReplayJobItem {
  readonly index: number;
  readonly sourceExecId: string;
  readonly state: ReplayJobItemStateName;
  /** `""` until the replay is created. */
  readonly replayExecId: string;
  /** The replay's status when settled (or last seen); undefined before it exists. */
  readonly replayStatus: ExecutionStatus | undefined;
  readonly replayFailure: ExecutionFailure | undefined;
  /** `refused`: the typed error a single replay of this source gives. */
  readonly error: KitaruError | undefined;
  readonly resultChanged: boolean;
  readonly resultChanges: readonly JsonChange[];
  readonly reusedCalls: number;
  readonly reexecutedCalls: number;
  readonly changedCalls: number;
  readonly newCalls: number;
  /** `planned`: the plan. */
  readonly plan: ReplayPlan | undefined;
  readonly updateTime: Date | undefined;
}

function totalsFromProto(totals: ReplayJobTotalsPb | undefined): ReplayJobTotals {
  return {
    sources: totals?.sources ?? 0,
    pending: totals?.pending ?? 0,
    running: totals?.running ?? 0,
    completed: totals?.completed ?? 0,
    failed: totals?.failed ?? 0,
    cancelled: totals?.cancelled ?? 0,
    waiting: totals?.waiting ?? 0,
    refused: totals?.refused ?? 0,
    skipped: totals?.skipped ?? 0,
    planned: totals?.planned ?? 0,
    resultsChanged: totals?.resultsChanged ?? 0,
  };
}

/** The plain {@link ReplayJob} of a `kitaru.runner.v1.ReplayJob`. */
export function replayJobFromProto(job: ReplayJobPb): ReplayJob {
  const spec = job.spec;
  const selection = spec?.selection;
  return {
    jobId: job.jobId,
    requestId: job.requestId,
    state: replayJobStateFromProto(job.state),
    selection: {
      flow: selection?.flowName ?? "",
      statuses: (selection?.statuses ?? []).map(executionStatusFromProto),
      since: dateFromTimestamp(selection?.since),
      until: dateFromTimestamp(selection?.until),
      labels: { ...(selection?.labels ?? {}) },
      execIds: selection?.execIds ?? [],
      limit: selection?.limit ?? 0,
    },
    from: spec?.from ?? "",
    args: spec?.args,
    overrides: spec?.overrides,
    answerWaitsFromSource: spec?.answerWaitsFromSource ?? [],
    planOnly: spec?.planOnly ?? false,
    concurrency: spec?.concurrency ?? 0,
    sourceExecIds: job.sourceExecIds,
    totals: totalsFromProto(job.totals),
    createTime: dateFromTimestamp(job.createTime),
    cancelTime: dateFromTimestamp(job.cancelTime),
    endTime: dateFromTimestamp(job.endTime),
  };
}

/** The plain {@link ReplayJobItem} of a `kitaru.runner.v1.ReplayJobItem`. */
export function replayJobItemFromProto(item: ReplayJobItemPb): ReplayJobItem {
  return {
    index: item.index,
    sourceExecId: item.sourceExecId,
    state: replayJobItemStateFromProto(item.state),
    replayExecId: item.replayExecId,
    replayStatus: item.replayExecId === "" ? undefined : executionStatusFromProto(item.replayStatus),
    replayFailure: failureFromProto(item.replayFailure),
    error: item.error === undefined ? undefined : errorFromStatus(item.error),
    resultChanged: item.resultChanged,
    resultChanges: item.resultChanges.map(changeFromProto),
    reusedCalls: item.reusedCalls,
    reexecutedCalls: item.reexecutedCalls,
    changedCalls: item.changedCalls,
    newCalls: item.newCalls,
    plan: item.plan === undefined ? undefined : replayPlanFromProto(item.plan),
    updateTime: dateFromTimestamp(item.updateTime),
  };
}
