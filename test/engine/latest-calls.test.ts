// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { latestCalls } from "../../services/runner/src/engine/execution-queries.ts";
import type { CallLineage } from "../../services/runner/src/store/execution-store.ts";

const call = (invocationId: string, sequence: number, status: CallLineage["status"], generation = 0): CallLineage => ({
  invocationId,
  callId: `call-${invocationId}-${status}-${generation}`,
  name: invocationId,
  status,
  sequence,
  generation,
  dataDependencies: [],
  loadDependencies: [],
  outputNames: [],
});

describe("latestCalls", () => {
  it("keeps the outcomes of an execution as they are, in issue order, in a list of its own", () => {
    const calls = [call("a", 1, "completed"), call("b", 2, "reused"), call("c", 2, "completed"), call("d", 5, "reused")];
    const latest = latestCalls(calls);
    assert.deepEqual(latest, calls);
    assert.notEqual(latest, calls);
  });

  it("sorts outcomes listed out of issue order", () => {
    const calls = [call("b", 2, "completed"), call("a", 1, "completed")];
    assert.deepEqual(
      latestCalls(calls).map((c) => c.invocationId),
      ["a", "b"],
    );
  });

  it("shows per invocation the outcome when there is one, else its latest failed or cancelled record", () => {
    const calls = [
      call("a", 1, "failed", 0),
      call("a", 1, "completed", 1),
      call("b", 2, "failed", 0),
      call("b", 2, "cancelled", 1),
      call("c", 3, "completed", 0),
      call("c", 3, "failed", 1),
    ];
    assert.deepEqual(
      latestCalls(calls).map((c) => `${c.invocationId}:${c.status}:${c.generation}`),
      ["a:completed:1", "b:cancelled:1", "c:completed:0"],
    );
  });
});
