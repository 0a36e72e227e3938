import { KitaruUsageError } from "#contract/errors/index.ts";
import type { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import type { HandlerContext, ServiceHandlers } from "../../../transport/src/index.ts";
import type { JobCaller, ReplayJobs } from "./replay-jobs.ts";

const DEFAULT_JOB_PAGE_SIZE = 20;
const MAX_JOB_PAGE_SIZE = 200;
const DEFAULT_ITEM_PAGE_SIZE = 100;
const MAX_ITEM_PAGE_SIZE = 1000;

type JobHandlers = Pick<
  ServiceHandlers<typeof PlannerService>,
  "startReplayJob" | "getReplayJob" | "listReplayJobs" | "listReplayJobItems" | "cancelReplayJob" | "watchReplayJob"
>;

function caller(ctx: HandlerContext): JobCaller {
  return { namespace: ctx.principal.namespace, signal: ctx.signal, deadline: ctx.deadline, requestId: ctx.requestId };
}

function pageSize(given: number, byDefault: number, max: number): number {
  if (!Number.isInteger(given) || given < 0)
    throw new KitaruUsageError(`\`page_size\` must be a non-negative integer; got ${given}.`, { metadata: { pageSize: String(given) } });
  return Math.min(given || byDefault, max);
}

function itemPageStart(token: string): number {
  if (!token) return 0;
  const index = Number(Buffer.from(token, "base64url").toString("utf8").replace(/^i:/, ""));
  if (!Number.isInteger(index) || index < 0)
    throw new KitaruUsageError("`page_token` is not a token returned by ListReplayJobItems.", { metadata: { pageToken: token } });
  return index;
}

/** The PlannerService handlers of replay jobs: translation only, the work is in {@link ReplayJobs}. */
export function replayJobHandlers(jobs: ReplayJobs): JobHandlers {
  return {
    async startReplayJob(request, ctx) {
      return await jobs.start(request.spec, request.requestId, caller(ctx));
    },

    async getReplayJob(request, ctx) {
      return { job: (await jobs.store.view(request.jobId, ctx.principal.namespace, ctx.signal)).job };
    },

    async listReplayJobs(request, ctx) {
      const size = pageSize(request.pageSize, DEFAULT_JOB_PAGE_SIZE, MAX_JOB_PAGE_SIZE);
      return await jobs.list({ pageSize: size, pageToken: request.pageToken }, caller(ctx));
    },

    async listReplayJobItems(request, ctx) {
      const size = pageSize(request.pageSize, DEFAULT_ITEM_PAGE_SIZE, MAX_ITEM_PAGE_SIZE);
      const page = { start: itemPageStart(request.pageToken), pageSize: size, changedOnly: request.changedOnly };
      const { items, next } = await jobs.items(request.jobId, page, caller(ctx));
      return { items, nextPageToken: next === undefined ? "" : Buffer.from(`i:${next}`).toString("base64url") };
    },

    async cancelReplayJob(request, ctx) {
      return { job: await jobs.cancel(request.jobId, caller(ctx)) };
    },

    async *watchReplayJob(request, ctx) {
      yield* jobs.watch(request.jobId, caller(ctx));
    },
  };
}
