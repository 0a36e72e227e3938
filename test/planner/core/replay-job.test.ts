// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import {
  checkSelection,
  countComparison,
  jobReplayRequestId,
  jobState,
  jobTotals,
  type JobSelection,
  matchesSelection,
  olderThanWindow,
  resultChanged,
  type SourceCandidate,
} from "../../../services/planner/src/core/index.ts";

const selection = (fields: Partial<JobSelection> = {}): JobSelection => ({ flowName: "f", statuses: [], labels: {}, execIds: [], limit: 0, ...fields });
const candidate = (fields: Partial<SourceCandidate> = {}): SourceCandidate => ({ execId: "kr-1", flowName: "f", status: "failed", createdMs: 1000, ...fields });

describe("replay job selection", () => {
  it("matches flow, status (default: every replayable one), window [since, until) and labels", () => {
    assert.equal(matchesSelection(candidate(), selection()), true);
    assert.equal(matchesSelection(candidate({ status: "running" }), selection()), false, "a running execution cannot be replayed");
    assert.equal(matchesSelection(candidate({ flowName: "g" }), selection()), false);
    assert.equal(matchesSelection(candidate({ status: "completed" }), selection({ statuses: ["failed"] })), false);
    assert.equal(matchesSelection(candidate({ createdMs: 1000 }), selection({ sinceMs: 1000, untilMs: 2000 })), true, "since is inclusive");
    assert.equal(matchesSelection(candidate({ createdMs: 2000 }), selection({ sinceMs: 1000, untilMs: 2000 })), false, "until is exclusive");
    assert.equal(matchesSelection(candidate({ metadata: { team: "growth" } }), selection({ labels: { team: "growth" } })), true);
    assert.equal(matchesSelection(candidate({ metadata: { team: 1 } }), selection({ labels: { team: "1" } })), false, "labels are string values");
    assert.equal(matchesSelection(candidate(), selection({ labels: { team: "growth" } })), false);
  });

  it("stops a newest-first scan at the first execution older than the window", () => {
    assert.equal(olderThanWindow(candidate({ createdMs: 999 }), selection({ sinceMs: 1000 })), true);
    assert.equal(olderThanWindow(candidate({ createdMs: 1000 }), selection({ sinceMs: 1000 })), false);
    assert.equal(olderThanWindow(candidate({ createdMs: 0 }), selection()), false);
  });

  it("refuses a selection without flow or IDs, an empty window, too many sources, a repeated ID", () => {
    const refused = (s: JobSelection) => assert.throws(() => checkSelection(s), KitaruUsageError);
    refused(selection({ flowName: "" }));
    refused(selection({ sinceMs: 2000, untilMs: 2000 }));
    refused(selection({ limit: 10_001 }));
    refused(selection({ execIds: ["kr-1", "kr-1"] }));
    checkSelection(selection({ flowName: "", execIds: ["kr-1"] }));
  });
});

describe("replay job outcomes", () => {
  it("derives each source's request ID from the job and the source, the same on every attempt", () => {
    assert.equal(jobReplayRequestId("rj-a", "kr-1"), "rj-a/kr-1");
    assert.notEqual(jobReplayRequestId("rj-a", "kr-1"), jobReplayRequestId("rj-b", "kr-1"));
  });

  it("counts a comparison's calls: reused, re-run with the same output, changed (or overridden), new", () => {
    assert.deepEqual(countComparison(["reused", "reused", "same_output", "changed_output", "overridden", "new", "not_reached"]), {
      reused: 2,
      reexecuted: 1,
      changed: 2,
      added: 1,
    });
  });

  it("calls a result changed when the results differ or only one of the two completed", () => {
    assert.equal(resultChanged("completed", "completed", 0), false);
    assert.equal(resultChanged("completed", "completed", 2), true);
    assert.equal(resultChanged("failed", "completed", 0), true);
    assert.equal(resultChanged("failed", "failed", 0), false);
  });

  it("totals the items by outcome, sources without an item pending", () => {
    const totals = jobTotals(7, [
      { state: "settled", replayStatus: "completed", resultChanged: true },
      { state: "settled", replayStatus: "failed", resultChanged: true },
      { state: "settled", replayStatus: "waiting", resultChanged: false },
      { state: "started", resultChanged: false },
      { state: "refused", resultChanged: false },
      { state: "skipped", resultChanged: false },
    ]);
    assert.deepEqual(totals, {
      sources: 7,
      pending: 1,
      running: 1,
      completed: 1,
      failed: 1,
      cancelled: 0,
      waiting: 1,
      refused: 1,
      skipped: 1,
      planned: 0,
      resultsChanged: 2,
    });
    assert.equal(jobState({ ended: false, cancelled: true }), "running");
    assert.equal(jobState({ ended: true, cancelled: true }), "cancelled");
    assert.equal(jobState({ ended: true, cancelled: false }), "succeeded");
  });
});
