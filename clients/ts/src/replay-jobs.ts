/**
 * `client.replayJobs`: replay many executions at once and compare each
 * replay with its source.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { KitaruInternalError } from "#contract/errors/kitaru-error.ts";
import { executionStatusToProto, type ExecutionStatus } from "#contract/status.ts";
import type { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import type { ReplayJob as ReplayJobPb } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { type ReplayJob, type ReplayJobItem, replayJobFromProto, replayJobItemFromProto } from "./convert/replay-job.ts";
import { retryUnderRequestId } from "./retry-backend.ts";
import { callRpc, streamRpc } from "./rpc-error.ts";

/** Which executions a job replays, and how; every selection field given must hold. */
export interface StartReplayJobOptions {
  /** Executions of this flow (required unless `execIds` is given). */
  readonly flow?: string | undefined;
  /** Executions in one of these statuses; default completed, failed, cancelled and waiting. */
  readonly statuses?: readonly ExecutionStatus[] | undefined;
  /** Created at or after. */
  readonly since?: Date | undefined;
  /** Created before. */
  readonly until?: Date | undefined;
  /** Metadata keys (logged by the flow with `log()`) that must hold these values. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** These executions, in this order. */
  readonly execIds?: readonly string[] | undefined;
  /** At most this many sources, newest first; default: all (a job holds at most 10 000). */
  readonly limit?: number | undefined;
  /** Checkpoint selector for every source: name, invocation ID or call ID. Required. */
  readonly from: string;
  /** Flow input fields, shallow-merged onto each source's input. */
  readonly args?: JsonObject | undefined;
  /** Output overrides keyed `checkpoint.<selector>`, for every source. */
  readonly overrides?: JsonObject | undefined;
  /** Accept override values of another type than the outputs they replace. */
  readonly allowOverrideTypeChange?: boolean | undefined;
  /** Wait names each replay answers from its source's recorded answer instead of stopping there. */
  readonly answerWaitsFromSource?: readonly string[] | undefined;
  /** Replays running at once; default the planner's `--replay-job-concurrency`. */
  readonly concurrency?: number | undefined;
  /** The same request ID returns the same job (and never replays a source twice). Default: a new one. */
  readonly requestId?: string | undefined;
}

/** A plan-only request's answer: every source with its plan or its error. */
export interface ReplayJobPlans {
  readonly job: ReplayJob;
  readonly items: readonly ReplayJobItem[];
}

/** One progress report of {@link ReplayJobsClient.watch}. */
export interface ReplayJobProgress {
  readonly job: ReplayJob;
  /** Items that changed since the previous report (every item in the first). */
  readonly items: readonly ReplayJobItem[];
}

/** Replay jobs: start, read, list, compare, cancel, watch. Reached as `client.replayJobs`. */
export class ReplayJobsClient {
  readonly #planner: Client<typeof PlannerService>;

  constructor(planner: Client<typeof PlannerService>) {
    this.#planner = planner;
  }

  /**
   * Starts a job: selects the sources now (fixed from then on) and replays
   * each with the same `from`, `args` and overrides. Returns at once; follow
   * it with {@link ReplayJobsClient.watch}. Asked again under its request ID
   * when the planner does not answer: the same job, never a second one.
   */
  async start(options: StartReplayJobOptions): Promise<ReplayJob> {
    const requestId = options.requestId ?? `client-${randomUUID()}`;
    const response = await retryUnderRequestId(requestId, () => callRpc(() => this.#planner.startReplayJob({ spec: spec(options, false), requestId })));
    return replayJobFromProto(required(response.job, "StartReplayJob"));
  }

  /** Plans every selected source and creates nothing (dry run): each source's plan, or its error. */
  async plan(options: Omit<StartReplayJobOptions, "requestId">): Promise<ReplayJobPlans> {
    const response = await callRpc(() => this.#planner.startReplayJob({ spec: spec(options, true) }));
    return { job: replayJobFromProto(required(response.job, "StartReplayJob")), items: response.items.map(replayJobItemFromProto) };
  }

  /** A job with its totals. */
  async get(jobId: string): Promise<ReplayJob> {
    return replayJobFromProto(required((await callRpc(() => this.#planner.getReplayJob({ jobId }))).job, "GetReplayJob"));
  }

  /** Jobs, newest first; at most `limit` (default 20). */
  async list(options: { limit?: number } = {}): Promise<ReplayJob[]> {
    const limit = options.limit ?? 20;
    const jobs: ReplayJob[] = [];
    let pageToken = "";
    do {
      const response = await callRpc(() => this.#planner.listReplayJobs({ pageSize: Math.min(200, limit - jobs.length), pageToken }));
      jobs.push(...response.jobs.map(replayJobFromProto));
      pageToken = response.nextPageToken;
    } while (pageToken && jobs.length < limit);
    return jobs;
  }

  /** Every source of a job with its replay and the comparison (`changedOnly`: those whose result changed), in the job's order. */
  async items(jobId: string, options: { changedOnly?: boolean } = {}): Promise<ReplayJobItem[]> {
    const items: ReplayJobItem[] = [];
    let pageToken = "";
    do {
      const response = await callRpc(() => this.#planner.listReplayJobItems({ jobId, pageSize: 1000, pageToken, changedOnly: options.changedOnly ?? false }));
      items.push(...response.items.map(replayJobItemFromProto));
      pageToken = response.nextPageToken;
    } while (pageToken);
    return items;
  }

  /** Cancels a job: no replay is started after it; those started run on. */
  async cancel(jobId: string): Promise<ReplayJob> {
    return replayJobFromProto(required((await callRpc(() => this.#planner.cancelReplayJob({ jobId }))).job, "CancelReplayJob"));
  }

  /** The job's progress as it happens, until it ends (the last report's job has ended) or `signal` aborts. */
  async *watch(jobId: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ReplayJobProgress, void, undefined> {
    const stream = streamRpc(() => this.#planner.watchReplayJob({ jobId }, options.signal ? { signal: options.signal } : {}));
    for await (const report of stream) {
      yield { job: replayJobFromProto(required(report.job, "WatchReplayJob")), items: report.items.map(replayJobItemFromProto) };
    }
  }
}

function spec(options: Omit<StartReplayJobOptions, "requestId">, planOnly: boolean) {
  return {
    selection: {
      flowName: options.flow ?? "",
      statuses: (options.statuses ?? []).map(executionStatusToProto),
      ...(options.since ? { since: timestampFromDate(options.since) } : {}),
      ...(options.until ? { until: timestampFromDate(options.until) } : {}),
      labels: { ...(options.labels ?? {}) },
      execIds: [...(options.execIds ?? [])],
      limit: options.limit ?? 0,
    },
    from: options.from,
    args: options.args,
    overrides: options.overrides,
    allowOverrideTypeChange: options.allowOverrideTypeChange ?? false,
    answerWaitsFromSource: [...(options.answerWaitsFromSource ?? [])],
    planOnly,
    concurrency: options.concurrency ?? 0,
  };
}

function required(job: ReplayJobPb | undefined, method: string): ReplayJobPb {
  if (job === undefined) throw new KitaruInternalError(`The server answered ${method} without a job.`, { metadata: { method } });
  return job;
}
