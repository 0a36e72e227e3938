import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, beforeEach, describe, it } from "node:test";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { errorFromStatus, KitaruNotFoundError, KitaruStateError } from "#contract/errors/index.ts";
import { replayJobTotalsLine } from "#contract/replay-job.ts";
import { type Execution, ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type ReplayJob, ReplayJobItemState, ReplayJobState } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { approvalFlow } from "../fixtures/flows/approval.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { outage, publishOutage } from "../fixtures/flows/publish-outage.ts";
import { jsonValue } from "../runner/rpc-helpers.ts";
import { stopTestServer } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { createServicesEnv, finishedExecution, type ServicesEnv } from "../support/services-env.ts";

/** Every execution of a flow, newest first. */
async function executionsOf(env: ServicesEnv, flowName: string) {
  const all = [];
  let pageToken = "";
  do {
    const page = await env.client.listExecutions({ flowName, pageSize: 200, pageToken });
    all.push(...page.executions);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return all;
}

async function ended(env: ServicesEnv, jobId: string): Promise<ReplayJob> {
  return await eventually(
    async () => (await env.plannerClient.getReplayJob({ jobId })).job!,
    (job) => job.state !== ReplayJobState.RUNNING,
    60_000,
  );
}

async function items(env: ServicesEnv, jobId: string) {
  return (await env.plannerClient.listReplayJobItems({ jobId, pageSize: 1000 })).items;
}

async function started(env: ServicesEnv, flowName: string, input: Record<string, string>) {
  const { execution } = await env.client.startExecution({ flowName, input });
  return await finishedExecution(env, execution!.execId);
}

describe("replay jobs through the planner and the runner", () => {
  let env: ServicesEnv;
  before(async () => {
    env = await createServicesEnv([contentPipeline, publishOutage, approvalFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });
  beforeEach(() => {
    outage.down = false;
  });

  it("replays 50 sources with an override: one replay per source, each compared with its source", async () => {
    const sources: Execution[] = [];
    for (let i = 0; i < 50; i++) sources.push(await started(env, "content_pipeline", { topic: `topic ${i}` }));
    const { job } = await env.plannerClient.startReplayJob({
      requestId: "fifty",
      spec: { selection: { flowName: "content_pipeline" }, from: "write_draft", overrides: { "checkpoint.research": "Edited notes" }, concurrency: 8 },
    });
    assert.equal(job?.sourceExecIds.length, 50);
    const done = await ended(env, job!.jobId);
    assert.equal(done.state, ReplayJobState.SUCCEEDED);
    assert.equal(done.totals?.completed, 50);
    assert.equal(done.totals?.resultsChanged, 50);
    assert.equal(replayJobTotalsLine(done.totals!), "50 completed, 50 results changed");

    const all = await executionsOf(env, "content_pipeline");
    const replays = all.filter((e) => e.originalExecId !== "");
    assert.equal(replays.length, 50, "one replay per source");
    assert.deepEqual(new Set(replays.map((e) => e.originalExecId)), new Set(sources.map((s) => s.execId)));
    for (const item of await items(env, job!.jobId)) {
      assert.equal(item.state, ReplayJobItemState.SETTLED);
      assert.equal(item.replayStatus, ExecutionStatus.COMPLETED);
      assert.equal(item.resultChanged, true);
      assert.deepEqual([item.reusedCalls, item.changedCalls], [0, 3], "research overridden; write_draft and publish changed");
      assert.match(String(item.resultChanges[0]?.after?.kind.value), /^published: draft about topic \d+ from \[Edited notes\]$/);
    }

    // The same request again: the same job, no replay more.
    const again = await env.plannerClient.startReplayJob({
      requestId: "fifty",
      spec: { selection: { flowName: "content_pipeline" }, from: "write_draft", overrides: { "checkpoint.research": "Edited notes" }, concurrency: 8 },
    });
    assert.equal(again.job?.jobId, job!.jobId);
    assert.equal((await executionsOf(env, "content_pipeline")).length, 100);
  });

  it("selects the executions that failed in a time window, and replays them from the failed call", async () => {
    outage.down = true;
    const before = await started(env, "publish_outage", { topic: "before" });
    await sleep(20);
    const since = Date.now();
    const inWindow = [await started(env, "publish_outage", { topic: "a" }), await started(env, "publish_outage", { topic: "b" })];
    outage.down = false;
    const completedInWindow = await started(env, "publish_outage", { topic: "fine" });
    await sleep(20);
    const until = Date.now();
    outage.down = true;
    const afterWindow = await started(env, "publish_outage", { topic: "after" });
    outage.down = false;
    assert.deepEqual(
      [before, ...inWindow, afterWindow].map((e) => e.status),
      Array(4).fill(ExecutionStatus.FAILED),
    );
    assert.equal(completedInWindow.status, ExecutionStatus.COMPLETED);

    const { job } = await env.plannerClient.startReplayJob({
      spec: {
        selection: { flowName: "publish_outage", statuses: [ExecutionStatus.FAILED], since: timestampFromMs(since), until: timestampFromMs(until) },
        from: "publish",
      },
    });
    assert.deepEqual(new Set(job?.sourceExecIds), new Set(inWindow.map((e) => e.execId)));
    const done = await ended(env, job!.jobId);
    assert.equal(replayJobTotalsLine(done.totals!), "2 completed, 2 results changed");
    for (const item of await items(env, job!.jobId)) assert.deepEqual([item.reusedCalls, item.changedCalls], [1, 1], "draft reused, publish ran");
  });

  it("selects by label (the metadata a flow logs)", async () => {
    const ours = await started(env, "publish_outage", { topic: "labelled", team: "growth" });
    const { job } = await env.plannerClient.startReplayJob({
      spec: { selection: { flowName: "publish_outage", labels: { team: "growth" } }, from: "publish", planOnly: true },
    });
    assert.deepEqual(job?.sourceExecIds, [ours.execId]);
  });

  it("plans every source and creates nothing with plan_only", async () => {
    const sources = [await started(env, "content_pipeline", { topic: "p1" }), await started(env, "content_pipeline", { topic: "p2" })];
    const before = (await executionsOf(env, "content_pipeline")).length;
    const jobsBefore = (await env.plannerClient.listReplayJobs({})).jobs.length;
    const response = await env.plannerClient.startReplayJob({
      spec: { selection: { execIds: sources.map((s) => s.execId) }, from: "publish", planOnly: true },
    });
    assert.equal(response.job?.jobId, "");
    assert.deepEqual(
      response.items.map((i) => [i.sourceExecId, i.state, i.plan?.reexecute.map((c) => c.invocationId), i.plan?.reuse.map((c) => c.invocationId)]),
      sources.map((s) => [s.execId, ReplayJobItemState.PLANNED, ["publish"], ["research", "write_draft"]]),
    );
    assert.equal((await executionsOf(env, "content_pipeline")).length, before, "no execution created");
    assert.equal((await env.plannerClient.listReplayJobs({})).jobs.length, jobsBefore, "no job stored");
  });

  it("reports a source the plan cannot apply to with its typed error while the others proceed", async () => {
    const good = [await started(env, "content_pipeline", { topic: "g1" }), await started(env, "content_pipeline", { topic: "g2" })];
    const otherFlow = await started(env, "publish_outage", { topic: "no write_draft here" });
    const ids = [good[0]!.execId, "kr-doesnotexist0000", otherFlow.execId, good[1]!.execId];
    const { job } = await env.plannerClient.startReplayJob({ spec: { selection: { execIds: ids }, from: "write_draft" } });
    assert.deepEqual(job?.sourceExecIds, ids);
    const done = await ended(env, job!.jobId);
    assert.equal(replayJobTotalsLine(done.totals!), "2 completed, 2 refused, 0 results changed");
    const [first, missing, wrong, last] = await items(env, job!.jobId);
    assert.deepEqual([first?.state, last?.state], [ReplayJobItemState.SETTLED, ReplayJobItemState.SETTLED]);
    assert.equal(missing?.state, ReplayJobItemState.REFUSED);
    assert.ok(errorFromStatus(missing!.error!) instanceof KitaruNotFoundError);
    assert.equal(wrong?.state, ReplayJobItemState.REFUSED);
    assert.equal(wrong?.replayExecId, "");
    const wrongError = errorFromStatus(wrong!.error!);
    assert.ok(wrongError instanceof KitaruStateError && !(wrongError instanceof KitaruNotFoundError), wrongError.message);
    assert.equal((await executionsOf(env, "publish_outage")).filter((e) => e.originalExecId === otherFlow.execId).length, 0, "nothing half-started");
  });

  it("answers a wait from each source's recorded answer when the job opts in, and stops there when it does not", async () => {
    const sources: string[] = [];
    for (const reviewer of ["ana", "bo"]) {
      const { execution } = await env.client.startExecution({ flowName: "approval", input: { topic: `wait-${reviewer}` } });
      const execId = execution!.execId;
      await eventually(
        async () => (await env.client.getExecution({ execId })).execution!,
        (e) => e.status === ExecutionStatus.WAITING,
      );
      await env.client.resolveWait({ execId, wait: "approve", value: jsonValue({ approved: true, reviewer }) });
      assert.equal((await finishedExecution(env, execId)).status, ExecutionStatus.COMPLETED);
      sources.push(execId);
    }
    const spec = { selection: { execIds: sources }, from: "draft" };
    const stopping = await ended(env, (await env.plannerClient.startReplayJob({ spec })).job!.jobId);
    assert.equal(replayJobTotalsLine(stopping.totals!), "2 waiting, 2 results changed", "without the opt-in every replay stops at its wait");

    const unattended = await ended(env, (await env.plannerClient.startReplayJob({ spec: { ...spec, answerWaitsFromSource: ["approve"] } })).job!.jobId);
    assert.equal(replayJobTotalsLine(unattended.totals!), "2 completed, 0 results changed");
    for (const item of await items(env, unattended.jobId)) {
      const replay = await env.client.getExecution({ execId: item.replayExecId, view: ExecutionView.FULL });
      const approve = replay.execution?.waits.find((w) => w.name === "approve");
      assert.equal(approve?.answerSourceExecId, item.sourceExecId, "the answer is recorded as the source's");
    }
  });

  it("stops starting replays when cancelled, and streams progress until the job ends", async () => {
    const sources: Execution[] = [];
    for (let i = 0; i < 12; i++) sources.push(await started(env, "publish_outage", { topic: `c${i}`, team: "cancel" }));
    const { job } = await env.plannerClient.startReplayJob({
      // Each replay's publish takes 150 ms: the cancel comes while most sources are still to start.
      spec: { selection: { flowName: "publish_outage", labels: { team: "cancel" } }, from: "publish", args: { delayMs: 150 }, concurrency: 1 },
    });
    const reports: ReplayJob[] = [];
    const watching = (async () => {
      for await (const report of env.plannerClient.watchReplayJob({ jobId: job!.jobId })) reports.push(report.job!);
    })();
    await eventually(
      async () => (await env.plannerClient.getReplayJob({ jobId: job!.jobId })).job!,
      (j) => (j.totals?.completed ?? 0) >= 1,
    );
    const cancelled = await env.plannerClient.cancelReplayJob({ jobId: job!.jobId });
    assert.ok(cancelled.job?.cancelTime);
    const done = await ended(env, job!.jobId);
    await watching;
    assert.equal(done.state, ReplayJobState.CANCELLED);
    const totals = done.totals!;
    assert.ok(totals.skipped > 0, replayJobTotalsLine(totals));
    assert.equal(totals.completed + totals.skipped, 12, replayJobTotalsLine(totals));
    const replays = (await executionsOf(env, "publish_outage")).filter((e) => sources.some((s) => s.execId === e.originalExecId));
    assert.equal(replays.length, totals.completed, "no replay started after the cancel");
    assert.equal(reports[reports.length - 1]?.state, ReplayJobState.CANCELLED);
    assert.ok(reports.length >= 2, "progress reported before the end");

    const listed = await env.plannerClient.listReplayJobs({ pageSize: 1 });
    assert.equal(listed.jobs[0]?.jobId, job!.jobId);
    assert.notEqual(listed.nextPageToken, "");
  });
});
