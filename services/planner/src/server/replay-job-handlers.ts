import { setTimeout as sleep } from "node:timers/promises";
import { KitaruUsageError } from "#contract/errors/index.ts";
import type { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import type { ReplayJobItem } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import type { HandlerContext, ServiceHandlers } from "../../../transport/src/index.ts";
import { withTotals } from "./replay-job-store.ts";
import { itemsOfEverySource, type JobCaller, type ReplayJobs } from "./replay-jobs.ts";

/** How often a watch of a job reads it again. */
const WATCH_POLL_MS = 250;
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

/** What a watcher last saw of an item. */
function itemKey(item: ReplayJobItem): string {
  return `${item.state}:${item.replayExecId}:${item.replayStatus}:${item.updateTime?.seconds ?? 0}:${item.updateTime?.nanos ?? 0}`;
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
      const page = await jobs.store.list({ pageSize: size, pageToken: request.pageToken }, ctx.principal.namespace, ctx.signal);
      const withCounts = await Promise.all(
        page.jobs.map(async (job) => withTotals(job, await jobs.store.items(job.jobId, ctx.principal.namespace, ctx.signal))),
      );
      return { jobs: withCounts, nextPageToken: page.nextPageToken };
    },

    async listReplayJobItems(request, ctx) {
      const size = pageSize(request.pageSize, DEFAULT_ITEM_PAGE_SIZE, MAX_ITEM_PAGE_SIZE);
      const start = itemPageStart(request.pageToken);
      const view = await jobs.store.view(request.jobId, ctx.principal.namespace, ctx.signal);
      const matching = itemsOfEverySource(view.job, view.items).filter((item) => item.index >= start && (!request.changedOnly || item.resultChanged));
      const items = matching.slice(0, size);
      const last = items[items.length - 1];
      const nextPageToken = matching.length > size && last ? Buffer.from(`i:${last.index + 1}`).toString("base64url") : "";
      return { items, nextPageToken };
    },

    async cancelReplayJob(request, ctx) {
      return { job: await jobs.cancel(request.jobId, caller(ctx)) };
    },

    async *watchReplayJob(request, ctx) {
      const seen = new Map<number, string>();
      let readAt: number | undefined = -1;
      for (;;) {
        // A job this planner drives is read again only after its driver wrote; any other job, every time.
        const writes = jobs.localWrites(request.jobId);
        if (writes !== undefined && writes === readAt) {
          await sleep(WATCH_POLL_MS, undefined, { signal: ctx.signal });
          continue;
        }
        readAt = writes;
        const view = await jobs.store.view(request.jobId, ctx.principal.namespace, ctx.signal);
        const items = itemsOfEverySource(view.job, view.items).filter((item) => seen.get(item.index) !== itemKey(item));
        for (const item of items) seen.set(item.index, itemKey(item));
        if (items.length > 0 || view.job.endTime !== undefined) yield { job: view.job, items };
        if (view.job.endTime !== undefined) return;
        await sleep(WATCH_POLL_MS, undefined, { signal: ctx.signal });
      }
    },
  };
}
