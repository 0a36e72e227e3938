// @tier unit
/** The console's Jobs pages without the page (clients/console/src/state/replay-jobs.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { errorToStatus, KitaruNotFoundError, KitaruStateError } from "#contract/errors/index.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { JsonChangeKind } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { ReplayJobItemSchema, ReplayJobItemState, ReplayJobSchema, ReplayJobState } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { diffHref, JobPageState, jobHref, jobRow, jobSummary, selectionText } from "../../clients/console/src/state/replay-jobs.ts";

const job = (init: MessageInitShape<typeof ReplayJobSchema>) => create(ReplayJobSchema, init);
const item = (init: MessageInitShape<typeof ReplayJobItemSchema>) => create(ReplayJobItemSchema, init);

const jobInit = {
  jobId: "rj-abc",
  spec: { selection: { flowName: "content_pipeline", statuses: [ExecutionStatus.FAILED], labels: { team: "growth" }, limit: 50 }, from: "publish" },
  sourceExecIds: ["kr-a", "kr-b", "kr-c", "kr-d"],
} satisfies MessageInitShape<typeof ReplayJobSchema>;
const running = job({ ...jobInit, state: ReplayJobState.RUNNING, totals: { sources: 4, pending: 1, running: 1, completed: 1, refused: 1, resultsChanged: 1 } });

const settledInit = {
  index: 0,
  sourceExecId: "kr-a",
  state: ReplayJobItemState.SETTLED,
  replayExecId: "kr-ra",
  replayStatus: ExecutionStatus.COMPLETED,
  resultChanged: true,
  resultChanges: [
    { path: "", kind: JsonChangeKind.CHANGED, before: { kind: { case: "stringValue", value: "old" } }, after: { kind: { case: "stringValue", value: "new" } } },
  ],
  reusedCalls: 1,
  reexecutedCalls: 0,
  changedCalls: 2,
  newCalls: 0,
} satisfies MessageInitShape<typeof ReplayJobItemSchema>;
const settledChanged = item(settledInit);
const refused = item({
  index: 1,
  sourceExecId: "kr-b",
  state: ReplayJobItemState.REFUSED,
  error: errorToStatus(new KitaruStateError("The flow of kr-b has no checkpoint 'publish'.", { metadata: { execId: "kr-b" } })).details,
});
const startedInit = { index: 2, sourceExecId: "kr-c", replayExecId: "kr-rc" };
const started = item({ ...startedInit, state: ReplayJobItemState.STARTED, replayStatus: ExecutionStatus.RUNNING });
const pending = item({ index: 3, sourceExecId: "kr-d", state: ReplayJobItemState.PENDING });

describe("the console's replay jobs, without the page", () => {
  it("links a job, a replay's graph and its diff by the existing routes", () => {
    assert.equal(jobHref("rj-abc"), "#/jobs/rj-abc");
    assert.equal(diffHref("kr-ra"), "#/executions/kr-ra?diff");
    const row = jobRow(settledChanged);
    assert.deepEqual([row.sourceHref, row.graphHref, row.diffHref], ["#/executions/kr-a", "#/executions/kr-ra", "#/executions/kr-ra?diff"]);
  });

  it("says what a job selects and how far it got, in the list", () => {
    assert.equal(selectionText(running), "content_pipeline · failed · team=growth · at most 50");
    const byIds = job({ spec: { selection: { execIds: ["kr-a", "kr-b"], since: timestampFromMs(Date.UTC(2026, 0, 2)) }, from: "x" } });
    assert.equal(selectionText(byIds), "since 2026-01-02T00:00:00.000Z · 2 IDs");
    assert.deepEqual(jobSummary(running), {
      jobId: "rj-abc",
      href: "#/jobs/rj-abc",
      state: "running",
      selection: "content_pipeline · failed · team=growth · at most 50",
      from: "publish",
      progress: { done: 2, total: 4 },
      totals: "1 completed, 1 running, 1 pending, 1 refused, 1 result changed",
    });
  });

  it("shows a settled source's replay, result change, call counts; a refused one's typed error", () => {
    const changed = jobRow(settledChanged);
    assert.deepEqual(
      [changed.state, changed.status, changed.result, changed.changes, changed.calls, changed.error],
      ["settled", "completed", "changed", ['"old" → "new"'], { reused: 1, reexecuted: 0, changed: 2, new: 0 }, undefined],
    );
    const same = jobRow(item({ ...settledInit, resultChanged: false, resultChanges: [] }));
    assert.equal(same.result, "same");

    const wrong = jobRow(refused);
    assert.deepEqual(
      [wrong.state, wrong.status, wrong.result, wrong.replayExecId, wrong.graphHref, wrong.calls],
      ["refused", "refused", "", "", undefined, undefined],
    );
    assert.deepEqual(wrong.error, { name: "KitaruStateError", message: "The flow of kr-b has no checkpoint 'publish'." });
    const missing = jobRow(
      item({
        index: 5,
        sourceExecId: "kr-x",
        state: ReplayJobItemState.REFUSED,
        error: errorToStatus(new KitaruNotFoundError("No execution kr-x.", { resourceType: "execution", resourceName: "kr-x" })).details,
      }),
    );
    assert.equal(missing.error?.name, "KitaruNotFoundError");

    assert.deepEqual([jobRow(started).status, jobRow(started).result, jobRow(started).calls], ["running", "", undefined]);
    assert.deepEqual([jobRow(pending).status, jobRow(pending).graphHref], ["pending", undefined]);
  });

  it("merges the watch's reports by index: the first holds every source, later ones the changed ones", () => {
    const state = new JobPageState();
    assert.deepEqual([state.totalsLine, state.progress, state.ended, state.canCancel], ["", { done: 0, total: 0 }, false, false]);
    state.received(running, [pending, started, refused, settledChanged]);
    assert.deepEqual(
      state.rows.map((r) => [r.index, r.status]),
      [
        [0, "completed"],
        [1, "refused"],
        [2, "running"],
        [3, "pending"],
      ],
    );
    assert.equal(state.totalsLine, "1 completed, 1 running, 1 pending, 1 refused, 1 result changed");
    assert.deepEqual([state.state, state.canCancel], ["running", true]);

    // The started one settles unchanged, the pending one is skipped: the job was cancelled and ended.
    const end = timestampFromMs(Date.now());
    const ended = job({
      ...jobInit,
      state: ReplayJobState.CANCELLED,
      cancelTime: end,
      endTime: end,
      totals: { sources: 4, completed: 2, refused: 1, skipped: 1, resultsChanged: 1 },
    });
    state.received(ended, [
      item({ ...startedInit, state: ReplayJobItemState.SETTLED, replayStatus: ExecutionStatus.COMPLETED }),
      item({ index: 3, sourceExecId: "kr-d", state: ReplayJobItemState.SKIPPED }),
    ]);
    assert.deepEqual(
      state.rows.map((r) => [r.index, r.status, r.result]),
      [
        [0, "completed", "changed"],
        [1, "refused", ""],
        [2, "completed", "same"],
        [3, "skipped", ""],
      ],
    );
    assert.equal(state.totalsLine, "2 completed, 1 refused, 1 skipped, 1 result changed");
    assert.deepEqual([state.state, state.ended, state.canCancel, state.progress], ["cancelled", true, false, { done: 4, total: 4 }]);

    state.changedOnly = true;
    assert.deepEqual(
      state.rows.map((r) => r.index),
      [0],
    );
  });
});
