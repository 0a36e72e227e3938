/**
 * Issue 19 item 2: several large requests at once starved the services (19
 * calls unanswered in 20 s: 33 MiB values that were refused anyway, after
 * decoding them). A value too large to accept is now found in the request's
 * bytes and refused before they are decoded ("got at least N": measured on
 * the wire), and large requests are worked on two at a time, small ones
 * never waiting for them. How fast this is, is measured in
 * bench/large-requests.ts; here, what a caller sees.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { BadRequestSchema } from "#gen/google/rpc/error_details_pb.ts";
import { ResolveWaitRequestSchema } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { refuseOversizedValues } from "../../services/transport/src/encoded-value-sizes.ts";
import { LargeRequestGate } from "../../services/transport/src/large-request-gate.ts";
import { REQUEST_LIMITS } from "../../services/transport/src/request-limits.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, type RunnerEnv } from "../support/runner-env.ts";
import { expectRpcError } from "../runner/rpc-helpers.ts";

const LIMIT = REQUEST_LIMITS.valueBytes;

describe("JSON sizes read from the wire, before decoding", () => {
  it("never exceed the value's JSON text, so nothing acceptable is refused", () => {
    const samples: JsonValue[] = [
      null,
      true,
      false,
      0,
      -12.5e-7,
      "",
      'quote " and \\ and \n',
      "é€😀",
      [],
      {},
      [null, false, 1, "x", [], {}],
      { a: { b: [1, 2, { c: "d" }] }, "": null, 'k"ey': "v" },
      Array.from({ length: 500 }, (_, i) => ({ i, s: "v".repeat(i % 40), n: i % 3 === 0 ? null : i % 2 === 0 })),
    ];
    for (const value of samples) {
      const json = Buffer.byteLength(JSON.stringify(value), "utf8");
      const request = toBinary(ResolveWaitRequestSchema, create(ResolveWaitRequestSchema, { execId: "kr-x", wait: "w", value: fromJson(ValueSchema, value) }));
      // A limit of exactly the value's JSON size lets it through.
      assert.doesNotThrow(() => refuseOversizedValues(ResolveWaitRequestSchema, request, json), JSON.stringify(value).slice(0, 40));
    }
    const plain = toBinary(ResolveWaitRequestSchema, create(ResolveWaitRequestSchema, { value: fromJson(ValueSchema, { text: "abc" }) }));
    assert.throws(
      () => refuseOversizedValues(ResolveWaitRequestSchema, plain, 12),
      (error: unknown) =>
        error instanceof KitaruUsageError && error.violations[0]?.field === "value" && /got at least 14$/.test(error.violations[0].description),
    );
    // Bytes that are no message end the look without a verdict: the decoder says what is wrong.
    assert.doesNotThrow(() => refuseOversizedValues(ResolveWaitRequestSchema, new Uint8Array([0x1a, 0xff, 0xff, 0xff]), 1));
  });
});

describe("the large-request gate", () => {
  it("lets two in at once, the next in arrival order, and drops one whose call ended while it waited", async () => {
    const gate = new LargeRequestGate(2);
    const never = new AbortController().signal;
    const first = await gate.enter(never);
    const second = await gate.enter(never);
    const order: string[] = [];
    const cancelled = new AbortController();
    const third = gate.enter(never).then((release) => {
      order.push("third");
      return release;
    });
    const dropped = gate.enter(cancelled.signal).then(
      () => order.push("dropped entered"),
      () => order.push("dropped"),
    );
    const fourth = gate.enter(never).then((release) => {
      order.push("fourth");
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [], "two are in: the others wait");
    cancelled.abort(new Error("the call ended"));
    await dropped;
    first();
    (await third)();
    second();
    (await fourth)();
    assert.deepEqual(order, ["dropped", "third", "fourth"]);
  });
});

describe("a burst of requests with values too large to accept", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([contentPipeline]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("is refused from the bytes, each naming the field, and calls beside it are answered", async () => {
    const text = "x".repeat(LIMIT + 1024);
    const large = Array.from({ length: 6 }, () =>
      expectRpcError(env.newClient().startExecution({ flowName: "content_pipeline", input: { topic: text } }), Code.InvalidArgument, KitaruUsageError),
    );
    const small = env.client.startExecution({ flowName: "content_pipeline", input: { topic: "small" } });
    assert.ok((await small).execution?.execId);
    for (const refused of await Promise.all(large)) {
      const [violation] = refused.raw.findDetails(BadRequestSchema)[0]?.fieldViolations ?? [];
      assert.equal(violation?.field, "input");
      assert.equal(violation?.description, `must be at most ${LIMIT} bytes as JSON; got at least ${Buffer.byteLength(JSON.stringify({ topic: text }))}`);
    }
    // One byte of JSON per wire byte for plain text: this one is measured exactly and still refused after decoding.
    const quotes = '"'.repeat(LIMIT / 2 + 16);
    const decoded = await expectRpcError(
      env.client.startExecution({ flowName: "content_pipeline", input: { topic: quotes } }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.match(decoded.raw.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.description ?? "", /^must be at most \d+ bytes as JSON; got \d+$/);
  });
});
