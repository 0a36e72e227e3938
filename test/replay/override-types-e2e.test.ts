/**
 * Issue 19, items 10–12, through the planner and the runner on the test's
 * store (contract §2 items 8 and 9):
 * - an override value that does not fit what the overridden checkpoint's
 *   consumers expect (its declared `outputSchema`, else the JSON type of its
 *   recorded output) is refused by PlanReplay and ReplayExecution before
 *   anything is created, naming the key, the expected and the given type;
 *   `allow_override_type_change` lets a deliberate change through (was: the
 *   value was passed on blindly, `d(42, …)`);
 * - a field of `args` (or of a started execution's input) the flow's schema
 *   does not know is refused naming it and the known fields (was: dropped,
 *   and the replay ran with the source input);
 * - a missing input field says "is required" (was: zod's "expected string,
 *   received undefined");
 * - a checkpoint returning what its own outputSchema refuses fails its call.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { BadRequestSchema } from "#gen/google/rpc/error_details_pb.ts";
import { ExecutionStatus, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { combined, liarFlow, typedOutputs } from "../fixtures/flows/typed-outputs.ts";
import { stopTestServer } from "../support/database.ts";
import { createServicesEnv, finishedExecution, type ServicesEnv } from "../support/services-env.ts";
import { expectRpcError, plainJson } from "../runner/rpc-helpers.ts";

describe("replay overrides must fit the overridden checkpoint's output; unknown input fields are refused", () => {
  let env: ServicesEnv;
  let source: Execution;
  before(async () => {
    env = await createServicesEnv([typedOutputs, liarFlow]);
    const { execution } = await env.client.startExecution({ flowName: "typed_outputs", input: { topic: "ai" } });
    source = await finishedExecution(env, execution!.execId);
    assert.equal(source.status, ExecutionStatus.COMPLETED, source.failure?.message);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  const executionCount = async () => (await env.client.listExecutions({ pageSize: 200 })).executions.length;

  /** PlanReplay and ReplayExecution both refuse the request with a usage error; nothing is created. */
  async function refusedBoth(request: { from: string; args?: Record<string, unknown>; overrides?: Record<string, unknown> }) {
    const before = await executionCount();
    const plan = await expectRpcError(env.plannerClient.planReplay({ execId: source.execId, ...request } as never), Code.InvalidArgument, KitaruUsageError);
    const replay = await expectRpcError(
      env.plannerClient.replayExecution({ execId: source.execId, ...request } as never),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.equal(replay.error.message, plan.error.message);
    assert.equal(await executionCount(), before, "nothing was created");
    return replay;
  }

  it("refuses a value of another JSON type than the recorded output, naming the key, the expected and the given type", async () => {
    const { error, raw } = await refusedBoth({ from: "typed_combine", overrides: { "checkpoint.typed_score": "seven" } });
    assert.match(
      error.message,
      /^Override 'checkpoint\.typed_score' does not fit checkpoint 'typed_score': it expects a number \(the output recorded for it\), and the value given is a string\./,
    );
    assert.match(error.message, /allow_override_type_change/);
    assert.equal(error.metadata["overrideKey"], "checkpoint.typed_score");
    assert.equal(error.metadata["expected"], "number");
    assert.equal(error.metadata["given"], "string");
    assert.deepEqual(
      raw.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => [v.field, v.description]),
      [["checkpoint.typed_score", "expected a number, got a string"]],
    );
    const objectForArray = await refusedBoth({ from: "typed_combine", overrides: { "checkpoint.typed_tags": ["ai"] } });
    assert.match(objectForArray.error.message, /it expects an object \(the output recorded for it\), and the value given is an array/);
  });

  it("checks against the checkpoint's declared outputSchema when it has one", async () => {
    const number = await refusedBoth({ from: "typed_combine", overrides: { "checkpoint.typed_summary": 42 } });
    assert.match(number.error.message, /it expects a string \(its outputSchema \(.+\)\), and the value given is a number/);
    const object = await refusedBoth({ from: "typed_combine", overrides: { "checkpoint.typed_summary": { text: "x" } } });
    assert.equal(object.error.metadata["given"], "object");
    // The right JSON type is not enough: the schema also says min(1).
    const empty = await refusedBoth({ from: "typed_combine", overrides: { "checkpoint.typed_summary": "" } });
    assert.match(empty.error.message, /its outputSchema \(.*Too small/);
  });

  it("accepts values that fit, and with allow_override_type_change a value of another type", async () => {
    const fits = await env.plannerClient.replayExecution({
      execId: source.execId,
      from: "typed_combine",
      overrides: { "checkpoint.typed_score": 7, "checkpoint.typed_summary": "edited" },
    });
    assert.equal((await finishedExecution(env, fits.execution!.execId)).status, ExecutionStatus.COMPLETED);
    assert.deepEqual(combined.at(-1), ["edited", 7, { tags: ["ai"] }]);

    const { plan } = await env.plannerClient.planReplay({
      execId: source.execId,
      from: "typed_combine",
      overrides: { "checkpoint.typed_summary": 42 },
      allowOverrideTypeChange: true,
    });
    assert.deepEqual(
      plan?.overrides.map((o) => [o.key, plainJson(o.value)]),
      [["checkpoint.typed_summary", 42]],
    );
    const changed = await env.plannerClient.replayExecution({
      execId: source.execId,
      from: "typed_combine",
      overrides: { "checkpoint.typed_summary": 42 },
      allowOverrideTypeChange: true,
    });
    const done = await finishedExecution(env, changed.execution!.execId);
    assert.equal(done.status, ExecutionStatus.COMPLETED, done.failure?.message);
    assert.deepEqual(combined.at(-1), [42, 2, { tags: ["ai"] }]);
  });

  it("refuses an args field the flow's input schema does not know, naming it and the known fields (was: dropped silently)", async () => {
    const { error, raw } = await refusedBoth({ from: "typed_score", args: { topc: "typo" } });
    assert.equal(error.message, "Invalid replay input for flow 'typed_outputs': topc: unknown field (known fields: depth, topic).");
    assert.deepEqual(
      raw.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field),
      ["topc"],
    );
    // A known field replays with the new value.
    const { execution } = await env.plannerClient.replayExecution({ execId: source.execId, from: "typed_score", args: { depth: 2 } });
    assert.equal((await finishedExecution(env, execution!.execId)).status, ExecutionStatus.COMPLETED);
  });

  it("refuses unknown and missing fields of a started execution's input, saying 'is required' for a missing one", async () => {
    const unknown = await expectRpcError(
      env.client.startExecution({ flowName: "typed_outputs", input: { topic: "ai", extra: 1 } }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.equal(unknown.error.message, "Invalid input for flow 'typed_outputs': extra: unknown field (known fields: depth, topic).");
    const missing = await expectRpcError(env.client.startExecution({ flowName: "typed_outputs", input: {} }), Code.InvalidArgument, KitaruUsageError);
    assert.equal(missing.error.message, "Invalid input for flow 'typed_outputs': topic is required (string).");
    assert.doesNotMatch(missing.error.message, /received undefined/);
  });

  it("fails a call whose function returns what its own outputSchema refuses, without retrying it", async () => {
    const { execution } = await env.client.startExecution({ flowName: "typed_liar_flow", input: {} });
    const failed = await finishedExecution(env, execution!.execId);
    assert.equal(failed.status, ExecutionStatus.FAILED);
    assert.match(failed.failure?.message ?? "", /^Checkpoint 'typed_liar' returned a value its outputSchema does not accept: /);
    assert.equal(failed.checkpoints[0]?.attempts, 1);
  });
});
