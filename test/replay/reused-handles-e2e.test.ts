/**
 * Reused calls hand their recorded outputs to the flow through handles that
 * parse the output (or the override) only when something needs it: awaited
 * by the body, or passed (whole, by one named output, or nested in objects
 * and arrays) to a call that runs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { CheckpointCallStatus, ExecutionStatus, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { multiOutputFlow, nestedHandlesFlow } from "../fixtures/flows/authoring-cases.ts";
import { stopTestServer } from "../support/database.ts";
import { createServicesEnv, finishedExecution, type ServicesEnv } from "../support/services-env.ts";

describe("replayed handles of reused calls", () => {
  let env: ServicesEnv;
  before(async () => {
    env = await createServicesEnv([multiOutputFlow, nestedHandlesFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  const finished = (execId: string) => finishedExecution(env, execId);

  async function run(flowName: string, input: Record<string, unknown>): Promise<Execution> {
    const { execution } = await env.client.startExecution({ flowName, input: input as never });
    return finished(execution!.execId);
  }

  const statuses = (execution: Execution) => Object.fromEntries(execution.checkpoints.map((c) => [c.invocationId, CheckpointCallStatus[c.status]]));

  it("gives a re-executed call one named output of a reused multi-output call, and the body the other", async () => {
    const source = await run("multi_output_flow", { text: "abcdef" });
    const { execution } = await env.plannerClient.replayExecution({ execId: source.execId, from: "shout" });
    const replayed = await finished(execution!.execId);
    assert.equal(replayed.status, ExecutionStatus.COMPLETED, replayed.failure?.message);
    assert.deepEqual(toJson(ValueSchema, replayed.result!), { head: "abc", loud: "DEF" });
    assert.deepEqual(statuses(replayed), { split: "REUSED", shout: "COMPLETED" });
  });

  it("gives a re-executed call the values of reused handles nested in objects and arrays", async () => {
    const source = await run("nested_handles_flow", {});
    const { execution } = await env.plannerClient.replayExecution({ execId: source.execId, from: "join" });
    const replayed = await finished(execution!.execId);
    assert.equal(replayed.status, ExecutionStatus.COMPLETED, replayed.failure?.message);
    assert.equal(replayed.result?.kind.value, "x+y");
    assert.deepEqual(statuses(replayed), { echo: "REUSED", echo_2: "REUSED", join: "COMPLETED" });
    assert.deepEqual(replayed.checkpoints.find((c) => c.invocationId === "join")?.dataDependencies, ["echo", "echo_2"]);
  });

  it("gives a re-executed call the override of a reused call nested in its arguments", async () => {
    const source = await run("nested_handles_flow", {});
    const { execution } = await env.plannerClient.replayExecution({ execId: source.execId, from: "join", overrides: { "checkpoint.echo": "X" } });
    const replayed = await finished(execution!.execId);
    assert.equal(replayed.status, ExecutionStatus.COMPLETED, replayed.failure?.message);
    assert.equal(replayed.result?.kind.value, "X+y");
  });
});
