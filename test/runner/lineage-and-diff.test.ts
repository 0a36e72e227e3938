import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { CallComparisonKind, JsonChangeKind, LineageEdgeKind } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruNotFoundError } from "#contract/errors/index.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";
import { expectRpcError, plainJson } from "./rpc-helpers.ts";

// Issue 12: an execution's family (replay of, with retries counted) and two
// executions compared call by call, as RPCs for every client.

describe("GetExecutionLineage and CompareExecutions", () => {
  let env: ServicesEnv;
  let source = "";
  let replay = "";
  let replayOfReplay = "";
  let second = "";

  const completed = (execId: string) =>
    eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      20_000,
    );

  before(async () => {
    env = await createServicesEnv([contentPipeline]);
    source = (await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "agents" } })).execution!.execId;
    await completed(source);
    const replayed = await env.plannerClient.replayExecution({
      execId: source,
      from: "write_draft",
      args: { topic: "New topic" },
      overrides: { "checkpoint.research": "Edited notes" },
    });
    replay = replayed.execution!.execId;
    await completed(replay);
    replayOfReplay = (await env.plannerClient.replayExecution({ execId: replay, from: "publish" })).execution!.execId;
    await completed(replayOfReplay);
    second = (await env.plannerClient.replayExecution({ execId: source, from: "publish" })).execution!.execId;
    await completed(second);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("returns the whole family from any member: the original first, replays under their sources, oldest first", async () => {
    for (const asked of [source, replay, replayOfReplay]) {
      const { lineage } = await env.client.getExecutionLineage({ execId: asked });
      assert.equal(lineage!.execId, asked);
      assert.equal(lineage!.rootExecId, source);
      assert.equal(lineage!.truncated, false);
      assert.deepEqual(
        lineage!.nodes.map((n) => [n.execId, n.parentExecId, n.edge]),
        [
          [source, "", LineageEdgeKind.ORIGINAL],
          [replay, source, LineageEdgeKind.REPLAY_OF],
          [second, source, LineageEdgeKind.REPLAY_OF],
          [replayOfReplay, replay, LineageEdgeKind.REPLAY_OF],
        ],
      );
    }
    const { lineage } = await env.client.getExecutionLineage({ execId: replay });
    const node = lineage!.nodes[1]!;
    assert.deepEqual(node.replay?.overrideKeys, ["checkpoint.research"]);
    assert.equal(node.replay?.from, "write_draft");
    assert.equal(node.checkpointCount, 3);
    assert.equal(node.status, ExecutionStatus.COMPLETED);
    // Bounded: the first nodes, and it says so.
    const two = await env.client.getExecutionLineage({ execId: replay, maxNodes: 2 });
    assert.equal(two.lineage!.nodes.length, 2);
    assert.equal(two.lineage!.truncated, true);
  });

  it("compares a replay with its source: the override, re-run calls with changed outputs as JSON diffs, the input", async () => {
    const { comparison } = await env.client.compareExecutions({ baseExecId: source, otherExecId: replay });
    const calls = comparison!.calls.map((c) => [c.invocationId, c.kind]);
    assert.deepEqual(calls, [
      ["research", CallComparisonKind.OVERRIDDEN],
      ["write_draft", CallComparisonKind.CHANGED_OUTPUT],
      ["publish", CallComparisonKind.CHANGED_OUTPUT],
    ]);
    const research = comparison!.calls[0]!;
    assert.deepEqual(
      research.changes.map((c) => [c.path, c.kind, plainJson(c.before), plainJson(c.after)]),
      [["", JsonChangeKind.CHANGED, "notes on agents", "Edited notes"]],
    );
    assert.equal(research.base?.callId !== research.other?.callId, true);
    assert.equal(research.other?.reusedFromCallId, research.base?.callId);
    assert.deepEqual(plainJson(comparison!.calls[1]!.changes[0]!.after), "draft about New topic from [Edited notes]");
    assert.deepEqual(
      comparison!.inputChanges.map((c) => [c.path, plainJson(c.before), plainJson(c.after)]),
      [["topic", "agents", "New topic"]],
    );
    assert.equal(comparison!.resultChanges.length, 1);
    assert.deepEqual(comparison!.counts, { reused: 0, same_output: 0, changed_output: 2, overridden: 1, new: 0, not_reached: 0 });
  });

  it("tells reused calls from calls run again with the same output", async () => {
    const { comparison } = await env.client.compareExecutions({ baseExecId: source, otherExecId: second });
    assert.deepEqual(
      comparison!.calls.map((c) => [c.invocationId, c.kind]),
      [
        ["research", CallComparisonKind.REUSED],
        ["write_draft", CallComparisonKind.REUSED],
        ["publish", CallComparisonKind.SAME_OUTPUT],
      ],
    );
    assert.deepEqual(comparison!.inputChanges, []);
    assert.deepEqual(comparison!.resultChanges, []);
  });

  it("answers NOT_FOUND for an unknown execution on either side", async () => {
    await expectRpcError(env.client.compareExecutions({ baseExecId: source, otherExecId: "kr-nope" }), Code.NotFound, KitaruNotFoundError);
    await expectRpcError(env.client.getExecutionLineage({ execId: "kr-nope" }), Code.NotFound, KitaruNotFoundError);
  });
});
