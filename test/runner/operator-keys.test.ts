import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { OPERATOR_KEYS, operatorKeysFlow } from "../fixtures/flows/operator-keys.ts";
import { stopTestServer } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";
import { jsonValue, plainJson } from "./rpc-helpers.ts";

// Issue 9: nothing from a request is interpreted by the database. Keys
// starting with `$` or holding dots are stored and returned intact, on
// whichever store KITARU_TEST_STORE names (the test command runs both).

describe("user values with `$` and dotted keys round-trip intact through the store", () => {
  let env: ServicesEnv;
  before(async () => {
    env = await createServicesEnv([operatorKeysFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  const settle = (execId: string, status: ExecutionStatus) =>
    eventually(
      async () => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!,
      (e) => e.status === status,
      30_000,
    );

  it("in the input, a checkpoint output, a wait value, metadata, the result and a replay override", async () => {
    const payload = structuredClone(OPERATOR_KEYS) as unknown as Record<string, never>;
    const { execution } = await env.client.startExecution({ flowName: operatorKeysFlow.name, input: { payload } });
    const execId = execution!.execId;
    const waiting = await settle(execId, ExecutionStatus.WAITING);
    assert.deepEqual(waiting.input, { payload: OPERATOR_KEYS });
    assert.deepEqual(plainJson(waiting.checkpoints[0]!.output), { echoed: OPERATOR_KEYS, "$meta.key": "kept" });
    assert.deepEqual(waiting.metadata, { $set: OPERATOR_KEYS, "dotted.metadata": true });

    const answer = { $unset: "", "k.v": { $$ROOT: 1 } };
    await env.client.resolveWait({ execId, wait: "answer", value: jsonValue(answer) });
    const done = await settle(execId, ExecutionStatus.COMPLETED);
    const expected = { echoed: { echoed: OPERATOR_KEYS, "$meta.key": "kept" }, answer };
    assert.deepEqual(plainJson(done.result), expected);

    // A replay overriding echo with another such value: the override is stored and used as given.
    const override = { $inc: { n: 1 }, "x.$": ["$"] };
    const { execution: replayed } = await env.plannerClient.replayExecution({
      execId,
      from: "combine",
      overrides: { "checkpoint.echo": override },
    });
    // Waits are never pre-populated: the replay asks again.
    await settle(replayed!.execId, ExecutionStatus.WAITING);
    await env.client.resolveWait({ execId: replayed!.execId, wait: "answer", value: jsonValue(answer) });
    const replayedDone = await settle(replayed!.execId, ExecutionStatus.COMPLETED);
    assert.deepEqual(plainJson(replayedDone.result), { echoed: override, answer });
    const echoCall = replayedDone.checkpoints.find((call) => call.invocationId === "echo")!;
    assert.deepEqual(plainJson(echoCall.overrideValue), override);
  });
});
