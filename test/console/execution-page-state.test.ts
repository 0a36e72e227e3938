// @tier unit
/** One execution's page without the page (clients/console/src/state/execution-page.ts): its header, its tabs, what a new reading redraws. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CheckpointCallStatus, ExecutionSchema, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { callPanelKey, ended, ExecutionPageState, followExecution, header } from "../../clients/console/src/state/execution-page.ts";

const execution = (init: MessageInitShape<typeof ExecutionSchema>) => create(ExecutionSchema, { execId: "kr-1", ...init });
const research = { invocationId: "research", callId: "c-1", status: CheckpointCallStatus.RUNNING, attempts: 1 };

describe("the console's execution page, without the page", () => {
  it("offers retry for a failed or cancelled execution and cancel until it ends", () => {
    const offers = (status: ExecutionStatus) => {
      const h = header(execution({ status }));
      return [h.canRetry, h.canCancel];
    };
    assert.deepEqual(offers(ExecutionStatus.RUNNING), [false, true]);
    assert.deepEqual(offers(ExecutionStatus.WAITING), [false, true]);
    assert.deepEqual(offers(ExecutionStatus.COMPLETED), [false, false]);
    assert.deepEqual(offers(ExecutionStatus.FAILED), [true, false]);
    assert.deepEqual(offers(ExecutionStatus.CANCELLED), [true, false]);
    assert.equal(ended(execution({ status: ExecutionStatus.WAITING })), false);
    assert.equal(ended(execution({ status: ExecutionStatus.FAILED })), true);
  });

  it("says where the execution comes from and counts its pending waits", () => {
    assert.deepEqual(header(execution({ originalExecId: "kr-0", replay: { from: "write_draft" } })).origin, {
      kind: "replay",
      source: "kr-0",
      from: "write_draft",
    });
    assert.deepEqual(header(execution({ retryCount: 3 })).origin, { kind: "retried", times: 3 });
    assert.deepEqual(header(execution({})).origin, { kind: "original" });
    assert.equal(header(execution({ pendingWaits: [{ waitId: "w1" }, { waitId: "w2" }] })).waitsLabel, "Waits (2)");
  });

  it("selects a clicked call, except on the replay tab, where it becomes the replay's from", () => {
    const state = new ExecutionPageState();
    state.tab = "waits";
    assert.equal(state.graphClick("research"), "selected");
    assert.deepEqual([state.tab, state.selected], ["call", "research"]);
    state.tab = "replay";
    assert.equal(state.graphClick("write_draft"), "replay-from");
    assert.deepEqual([state.tab, state.selected], ["replay", "research"], "the selection stays");
  });

  it("redraws the call panel only when the shown call changed, and never under the replay composer", () => {
    const state = new ExecutionPageState();
    state.selected = "research";
    const first = execution({ status: ExecutionStatus.RUNNING, checkpoints: [research] });
    assert.deepEqual(state.received(first), { panel: true, lineage: true }, "nothing drawn yet");
    state.callPanelDrawn(first);
    assert.deepEqual(state.received(first), { panel: false, lineage: false }, "the same reading again");
    const otherCall = execution({ status: ExecutionStatus.RUNNING, checkpoints: [research, { invocationId: "draft", callId: "c-2" }] });
    assert.equal(state.received(otherCall).panel, false, "another call changed, not the one shown");
    const finished = execution({
      status: ExecutionStatus.RUNNING,
      checkpoints: [{ ...research, status: CheckpointCallStatus.COMPLETED, endTime: { seconds: 5n } }],
    });
    assert.equal(state.received(finished).panel, true, "the shown call completed");
    state.tab = "replay";
    const done = execution({
      status: ExecutionStatus.COMPLETED,
      checkpoints: [{ ...research, status: CheckpointCallStatus.COMPLETED, endTime: { seconds: 6n } }],
    });
    assert.deepEqual(state.received(done), { panel: false, lineage: true }, "a form being filled in is not redrawn; the lineage is");
  });

  it("redraws the waits panel when the pending waits change", () => {
    const state = new ExecutionPageState();
    state.tab = "waits";
    const waiting = execution({ status: ExecutionStatus.WAITING, pendingWaits: [{ waitId: "w1" }] });
    assert.equal(state.received(waiting).panel, true);
    assert.equal(state.received(waiting).panel, false);
    assert.deepEqual(state.received(execution({ status: ExecutionStatus.WAITING, pendingWaits: [{ waitId: "w2" }] })), { panel: true, lineage: true });
  });

  it("keys the call panel on what it shows: the call's state, or the execution's", () => {
    const running = execution({ checkpoints: [research] });
    assert.equal(callPanelKey(running, "research"), "call:c-1:1:1:0::");
    assert.equal(callPanelKey(running, "missing"), callPanelKey(running, undefined), "an unknown call shows the execution");
    assert.notEqual(callPanelKey(running, undefined), callPanelKey(execution({ checkpoints: [research], updateTime: { seconds: 9n } }), undefined));
  });

  it("follows with a watch while one is possible, polls when watches fail, and stops when the execution ends", async () => {
    const log: string[] = [];
    const watches: (() => AsyncIterable<unknown>)[] = [
      async function* () {
        yield "started";
        yield "waiting";
      },
      async function* () {
        yield* [];
        throw new Error("connection reset");
      },
      async function* () {
        yield "completed";
      },
    ];
    let reads = 0;
    await followExecution(
      {
        watch: () => {
          log.push("watch");
          const next = watches.shift();
          assert.ok(next, "no more watches after the end");
          return next();
        },
        changed: () => log.push("changed"),
        read: async () => {
          reads += 1;
          log.push("read");
        },
        ended: () => reads === 3,
        pause: async () => {
          log.push("pause");
        },
      },
      new AbortController().signal,
    );
    assert.deepEqual(log, ["watch", "changed", "changed", "read", "pause", "watch", "read", "pause", "watch", "changed", "read"]);
  });

  it("stops following at once when the page leaves", async () => {
    const leave = new AbortController();
    let reads = 0;
    await followExecution(
      {
        watch: () => {
          leave.abort();
          return (async function* () {
            yield* [];
            throw new Error("aborted");
          })();
        },
        changed: () => undefined,
        read: async () => {
          reads += 1;
        },
        ended: () => false,
        pause: async () => undefined,
      },
      leave.signal,
    );
    assert.equal(reads, 0, "no read after leaving");
  });
});
