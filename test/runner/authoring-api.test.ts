import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { checkpoint, wait } from "kitaru";
import { ExecutionStatus, ExecutionView, FailureOrigin, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruContextError } from "#contract/errors/index.ts";
import { explicitIdsFlow, multiOutputFlow, nestedFlow, nestedHandlesFlow, nonJsonFlow } from "../fixtures/flows/authoring-cases.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";

describe("the authoring API", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([nestedFlow, nonJsonFlow, multiOutputFlow, explicitIdsFlow, nestedHandlesFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  async function runToEnd(flowName: string, input: Record<string, unknown> = {}): Promise<Execution> {
    const { execution } = await env.client.startExecution({ flowName, input: input as never });
    return eventually(
      async () => (await env.client.getExecution({ execId: execution!.execId, view: ExecutionView.FULL })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED || e.status === ExecutionStatus.FAILED,
    );
  }

  it("refuses checkpoint() and wait() outside a flow body with a KitaruContextError", () => {
    const lonely = checkpoint("lonely", async () => 1);
    assert.throws(
      () => lonely(),
      (e: unknown) => e instanceof KitaruContextError && /only run inside a flow body/.test(e.message),
    );
    assert.throws(() => wait({ name: "w" }), KitaruContextError);
  });

  it("fails an execution whose checkpoint calls another checkpoint", async () => {
    const failed = await runToEnd("nested_flow");
    assert.equal(failed.status, ExecutionStatus.FAILED);
    assert.equal(failed.failure?.exceptionType, "KitaruContextError");
    assert.match(failed.failure?.message ?? "", /cannot be called inside checkpoint 'outer'/);
    assert.equal(failed.failure?.invocationId, "outer");
  });

  it("fails an execution whose checkpoint returns a non-JSON value, naming the checkpoint", async () => {
    const failed = await runToEnd("non_json_flow");
    assert.equal(failed.status, ExecutionStatus.FAILED);
    assert.match(failed.failure?.message ?? "", /output of checkpoint 'when' must be JSON-serializable, but found an instance of Date/);
    assert.equal(failed.failure?.origin, FailureOrigin.USER_CODE);
  });

  it("records named outputs and a data edge from one output to its consumer", async () => {
    const done = await runToEnd("multi_output_flow", { text: "abcdef" });
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.deepEqual(toJson(ValueSchema, done.result!), { head: "abc", loud: "DEF" });
    const split = done.checkpoints.find((c) => c.invocationId === "split");
    const shout = done.checkpoints.find((c) => c.invocationId === "shout");
    assert.deepEqual(split?.outputNames, ["head", "tail"]);
    assert.deepEqual(shout?.dataDependencies, ["split"]);
    assert.deepEqual(shout?.metadata, { shouted: 3 });
  });

  it("uses explicit invocation IDs and refuses a duplicate one", async () => {
    const done = await runToEnd("explicit_ids_flow", { duplicate: false });
    assert.deepEqual(
      done.checkpoints.map((c) => c.invocationId),
      ["first_echo", "echo", "echo_2"],
    );
    const failed = await runToEnd("explicit_ids_flow", { duplicate: true });
    assert.equal(failed.status, ExecutionStatus.FAILED);
    assert.equal(failed.failure?.origin, FailureOrigin.RUNTIME);
    assert.match(failed.failure?.message ?? "", /Duplicate checkpoint id 'first_echo'/);
  });

  it("finds handles nested in objects and arrays and passes their values", async () => {
    const done = await runToEnd("nested_handles_flow");
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, "x+y");
    assert.deepEqual(done.checkpoints.find((c) => c.invocationId === "join")?.dataDependencies, ["echo", "echo_2"]);
  });
});
