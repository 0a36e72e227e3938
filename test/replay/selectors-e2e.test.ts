import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ExecutionStatus, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruStateError } from "#contract/errors/index.ts";
import { ran, repeatedCallsFlow } from "../fixtures/flows/repeated-calls.ts";
import { stopTestServer } from "../support/database.ts";
import { createServicesEnv, finishedExecution, type ServicesEnv } from "../support/services-env.ts";
import { expectRpcError } from "../runner/rpc-helpers.ts";

// Contract §2 item 6 through both services: call ID, then invocation ID, then name.

describe("replay selectors through the planner and the runner", () => {
  let env: ServicesEnv;
  let source: Execution;
  before(async () => {
    env = await createServicesEnv([repeatedCallsFlow]);
    const { execution } = await env.client.startExecution({ flowName: "repeated_calls", input: { topic: "t" } });
    source = await finished(execution!.execId);
    assert.equal(source.status, ExecutionStatus.COMPLETED);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  const finished = (execId: string) => finishedExecution(env, execId);

  const plannedRoots = async (from: string, overrides?: Record<string, string>) =>
    (await env.plannerClient.planReplay({ execId: source.execId, from, ...(overrides ? { overrides } : {}) })).plan!;

  it("a name called several times selects its first call, whose invocation ID is the name", async () => {
    const plan = await plannedRoots("branch");
    assert.deepEqual(
      plan.roots.map((c) => c.invocationId),
      ["branch"],
    );
    assert.deepEqual(
      plan.reexecute.map((c) => c.invocationId),
      ["branch", "merge"],
    );
    const overridden = await plannedRoots("merge", { "checkpoint.branch": "edited" });
    assert.equal(overridden.overrides[0]?.target?.invocationId, "branch");

    const before = ran["t/branch1"];
    const { execution } = await env.plannerClient.replayExecution({ execId: source.execId, from: "branch" });
    const replayed = await finished(execution!.execId);
    assert.equal(replayed.status, ExecutionStatus.COMPLETED);
    assert.equal(ran["t/branch1"], (before ?? 0) + 1, "the first call ran again");
    assert.equal(ran["t/branch2"], 1, "the second was reused");
  });

  it("invocation IDs and call IDs select exactly one call", async () => {
    assert.deepEqual(
      (await plannedRoots("branch_3")).roots.map((c) => c.invocationId),
      ["branch_3"],
    );
    const second = source.checkpoints.find((c) => c.invocationId === "branch_2")!;
    assert.deepEqual(
      (await plannedRoots(second.callId)).roots.map((c) => c.invocationId),
      ["branch_2"],
    );
    assert.deepEqual(
      (await plannedRoots("write-b")).roots.map((c) => c.invocationId),
      ["write-b"],
    );
  });

  it("a name shared by calls with explicit IDs is ambiguous, and the error lists the selectors that work", async () => {
    const { error, reason } = await expectRpcError(
      env.plannerClient.replayExecution({ execId: source.execId, from: "write" }),
      Code.FailedPrecondition,
      KitaruStateError,
    );
    assert.equal(reason, "KITARU_STATE_ERROR");
    assert.match(error.message, /ambiguous/);
    assert.match(error.message, /Select one by invocation ID \('write-a', 'write-b'\)/);
    assert.deepEqual(
      error.selector?.candidates.map((c) => c.invocationId),
      ["write-a", "write-b"],
    );
    for (const candidate of error.selector?.candidates ?? []) {
      assert.deepEqual(
        (await plannedRoots(candidate.invocationId)).roots.map((c) => c.invocationId),
        [candidate.invocationId],
      );
      assert.deepEqual(
        (await plannedRoots(candidate.callId)).roots.map((c) => c.invocationId),
        [candidate.invocationId],
      );
    }
  });
});
