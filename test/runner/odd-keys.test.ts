/**
 * Issue 19 item 4: "__proto__" keys were dropped silently from inputs,
 * outputs and values on both stores (other odd keys round-tripped). Now a
 * value keeps them wherever kitaru stores it (checkpoint outputs, results,
 * wait answers, overrides), and an input whose schema would drop one is
 * refused with INVALID_ARGUMENT naming it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { oddKeysFlow, recordInputFlow, usedDocs } from "../fixtures/flows/odd-keys.ts";
import { stopTestServer } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { createServicesEnv, finishedExecution, type ServicesEnv } from "../support/services-env.ts";
import { expectRpcError, jsonValue, plainJson } from "./rpc-helpers.ts";

const TEXT = '{"__proto__":{"polluted":true},"constructor":{"prototype":1},"toString":"s","":"empty","a.b":[{"__proto__":null}]}';
const DOC = JSON.parse(TEXT) as Record<string, unknown>;

/** Own keys at every level, as JSON text: what a value must read back as. */
const same = (actual: unknown, expected: unknown) => assert.equal(JSON.stringify(actual), JSON.stringify(expected));

describe("__proto__ and other odd keys survive every stored value", () => {
  let env: ServicesEnv;
  let execId: string;
  before(async () => {
    env = await createServicesEnv([oddKeysFlow, recordInputFlow]);
    const { execution } = await env.client.startExecution({ flowName: "odd_keys", input: { text: TEXT } });
    execId = execution!.execId;
    await eventually(
      async () => (await env.client.getExecution({ execId })).execution!.status,
      (status) => status === ExecutionStatus.WAITING,
    );
    await env.client.resolveWait({ execId, wait: "answer", value: jsonValue(JSON.parse('{"__proto__":{"x":1},"y":2}')) });
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("keeps them in checkpoint outputs, in what consumers receive, in wait answers and in the result", async () => {
    const done = await finishedExecution(env, execId);
    assert.equal(done.status, ExecutionStatus.COMPLETED, done.failure?.message);
    const parsed = done.checkpoints.find((c) => c.invocationId === "odd_keys_parse");
    assert.ok(Object.hasOwn(plainJson(parsed?.output) as object, "__proto__"), "the output keeps its __proto__ key");
    same(plainJson(parsed?.output), DOC);
    same(usedDocs[0], DOC);
    assert.deepEqual(plainJson(done.checkpoints.find((c) => c.invocationId === "odd_keys_use")?.output), Object.keys(DOC));
    const result = plainJson(done.result) as Record<string, unknown>;
    same(result["doc"], DOC);
    same(result["answer"], JSON.parse('{"__proto__":{"x":1},"y":2}'));
  });

  it("keeps them in an override value, as the consumers receive it and as it is recorded", async () => {
    const before = usedDocs.length;
    const override = JSON.parse('{"__proto__":{"edited":true},"k":1}') as Record<string, unknown>;
    const { execution } = await env.plannerClient.replayExecution({
      execId,
      from: "odd_keys_use",
      overrides: { "checkpoint.odd_keys_parse": override } as never,
    });
    await eventually(
      async () => (await env.client.getExecution({ execId: execution!.execId })).execution!.status,
      (status) => status === ExecutionStatus.WAITING,
    );
    same(usedDocs[before], override);
    const { execution: replayed } = await env.client.getExecution({ execId: execution!.execId, view: ExecutionView.FULL });
    same(plainJson(replayed!.checkpoints.find((c) => c.invocationId === "odd_keys_parse")?.overrideValue), override);
  });

  it("refuses an input whose schema would drop a __proto__ key, naming it", async () => {
    const { error } = await expectRpcError(
      env.client.startExecution({ flowName: "record_input", input: JSON.parse('{"doc":{"__proto__":{"a":1},"b":2}}') }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.match(error.message, /doc\.__proto__: unknown field/);
    const { execution } = await env.client.startExecution({ flowName: "record_input", input: { doc: { b: 2, constructor: 3 } } });
    const done = await finishedExecution(env, execution!.execId);
    assert.deepEqual(plainJson(done.result), ["b", "constructor"]);
  });
});
