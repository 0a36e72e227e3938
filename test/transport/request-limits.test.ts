import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { BadRequestSchema } from "#gen/google/rpc/error_details_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { errorFromStatus } from "#contract/errors/wire.ts";
import { REQUEST_LIMITS } from "../../services/transport/src/request-limits.ts";
import { approvalFlow } from "../fixtures/flows/approval.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";
import { expectRpcError } from "../runner/rpc-helpers.ts";

const LONG_ID = `kr-${"x".repeat(16 * 1024)}`;

/** A Value nested `depth` lists deep. */
function deepValue(depth: number): Value {
  let value = create(ValueSchema, { kind: { case: "stringValue", value: "bottom" } });
  for (let i = 0; i < depth; i++) value = create(ValueSchema, { kind: { case: "listValue", value: { values: [value] } } });
  return value;
}

describe("request limits: bounded strings and well-formed values, refused with details", () => {
  let env: ServicesEnv;
  let waitingExecId: string;
  before(async () => {
    env = await createServicesEnv([contentPipeline, approvalFlow]);
    const { execution } = await env.client.startExecution({ flowName: approvalFlow.name, input: approvalInput() });
    waitingExecId = execution!.execId;
    await eventually(
      async () => (await env.client.getExecution({ execId: waitingExecId })).execution!.status,
      (s) => s === ExecutionStatus.WAITING,
    );
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("refuses a 16 KiB execution ID on every service without echoing it, and the connection keeps working", async () => {
    const calls = [
      () => env.client.getExecution({ execId: LONG_ID }),
      () => env.client.cancelExecution({ execId: LONG_ID }),
      () => env.plannerClient.planReplay({ execId: LONG_ID, from: "research" }),
      () => env.plannerClient.replayExecution({ execId: "kr-short", from: LONG_ID }),
    ];
    for (const call of calls) {
      const { raw, error } = await expectRpcError(call, Code.InvalidArgument, KitaruUsageError);
      assert.ok(raw.rawMessage.length < 1000, `the message stays small: ${raw.rawMessage.length} characters`);
      assert.ok(!raw.rawMessage.includes("xxxxxxxxxx"), "the ID is not echoed");
      const [badRequest] = raw.findDetails(BadRequestSchema);
      assert.match(badRequest?.fieldViolations[0]?.description ?? "", new RegExp(`at most ${REQUEST_LIMITS.stringChars} characters; got \\d+`));
      assert.ok(JSON.stringify(error.metadata).length < 1000);
    }
    // The same connections still serve valid calls at once.
    const { execution } = await env.client.startExecution({ flowName: "content_pipeline", input: { topic: "after" } });
    assert.ok(execution?.execId);
    await eventually(
      async () => (await env.client.getExecution({ execId: execution!.execId })).execution!.status,
      (s) => s === ExecutionStatus.COMPLETED,
    );
    const { plan } = await env.plannerClient.planReplay({ execId: execution!.execId, from: "write_draft" });
    assert.deepEqual(
      plan?.roots.map((c) => c.invocationId),
      ["write_draft"],
    );
  });

  it("refuses a google.protobuf.Value with no kind, NaN or ±Infinity in ResolveWait (was INTERNAL)", async () => {
    const bad: [string, Value][] = [
      ["no kind", create(ValueSchema, {})],
      ["NaN", create(ValueSchema, { kind: { case: "numberValue", value: Number.NaN } })],
      ["Infinity", create(ValueSchema, { kind: { case: "numberValue", value: Number.POSITIVE_INFINITY } })],
      ["nested no kind", create(ValueSchema, { kind: { case: "structValue", value: { fields: { approved: create(ValueSchema, {}) } } } })],
      [
        "nested -Infinity",
        create(ValueSchema, {
          kind: { case: "listValue", value: { values: [create(ValueSchema, { kind: { case: "numberValue", value: Number.NEGATIVE_INFINITY } })] } },
        }),
      ],
    ];
    for (const [label, value] of bad) {
      const { raw } = await expectRpcError(env.client.resolveWait({ execId: waitingExecId, wait: "approve", value }), Code.InvalidArgument, KitaruUsageError);
      assert.equal(raw.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field, "value", label);
    }
    const still = (await env.client.getExecution({ execId: waitingExecId })).execution!;
    assert.equal(still.status, ExecutionStatus.WAITING, "nothing was recorded");
  });

  it("refuses the same in StartReplay's plan and in ReplayExecution's Struct fields", async () => {
    const { raw } = await expectRpcError(
      env.internalClient.startReplay({
        plan: { sourceExecId: waitingExecId, flowName: approvalFlow.name, from: "x", overrides: [{ key: "checkpoint.x", value: create(ValueSchema, {}) }] },
      }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.equal(raw.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field, "plan.overrides[0].value");
    const nan = await expectRpcError(
      env.plannerClient.replayExecution({ execId: waitingExecId, from: "x", args: { n: Number.NaN } }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.match(nan.error.message, /finite numbers/);
  });

  it("refuses a value nested deeper than the limit without overflowing the stack", async () => {
    const { raw } = await expectRpcError(
      env.client.resolveWait({ execId: waitingExecId, wait: "approve", value: deepValue(45) }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.match(raw.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.description ?? "", /nested at most 40 levels/);
  });

  it("refuses a call whose headers are beyond 16 KiB, or whose x-request-id header is beyond 1024 characters, with details (grpc-js does not enforce grpc.max_metadata_size)", async () => {
    const client = new grpc.Client(env.runner.address, grpc.credentials.createInsecure());
    const identity = (b: Buffer) => b;
    const call = (path: string, metadata: grpc.Metadata) =>
      new Promise<{ code: grpc.status; details: string; violation?: string }>((resolve) => {
        client.makeUnaryRequest(path, identity, identity, Buffer.alloc(0), metadata, (e) => {
          const raw = e?.metadata.get("grpc-status-details-bin")[0];
          const status = raw instanceof Buffer ? fromBinary(StatusSchema, raw) : undefined;
          const badRequest = status?.details.find((d) => d.typeUrl.endsWith("/google.rpc.BadRequest"));
          const violation = badRequest ? fromBinary(BadRequestSchema, badRequest.value).fieldViolations[0] : undefined;
          resolve({ code: e ? e.code : grpc.status.OK, details: e?.details ?? "", violation: violation && `${violation.field}: ${violation.description}` });
        });
      });
    try {
      const many = new grpc.Metadata();
      for (let i = 0; i < 10; i++) many.set(`x-extra-${i}`, "v".repeat(2000));
      for (const path of ["/kitaru.runner.v1.RunnerService/ListFlows", "/grpc.health.v1.Health/Check"]) {
        const refused = await call(path, many);
        assert.equal(refused.code, grpc.status.INVALID_ARGUMENT, `${path}: ${refused.details}`);
        assert.match(refused.violation ?? "", /^request headers: must be at most 16384 bytes together; got \d+$/);
      }
      const longId = new grpc.Metadata();
      longId.set("x-request-id", "r".repeat(REQUEST_LIMITS.stringChars + 1));
      const byId = await call("/kitaru.runner.v1.RunnerService/ListFlows", longId);
      assert.equal(byId.code, grpc.status.INVALID_ARGUMENT, byId.details);
      assert.equal(byId.violation, `x-request-id header: must be at most ${REQUEST_LIMITS.stringChars} characters; got ${REQUEST_LIMITS.stringChars + 1}`);
      assert.ok(!byId.details.includes("rrrrrrrrrr"), "the header is not echoed");
      const fine = new grpc.Metadata();
      fine.set("x-request-id", "r".repeat(REQUEST_LIMITS.stringChars));
      for (let i = 0; i < 5; i++) fine.set(`x-extra-${i}`, "v".repeat(2000));
      assert.equal((await call("/kitaru.runner.v1.RunnerService/ListFlows", fine)).code, grpc.status.OK);
    } finally {
      client.close();
    }
  });

  it("refuses hand-made request bytes nested 100,000 levels deep (no client would serialize them)", async () => {
    // ResolveWaitRequest{exec_id, wait, value: Value{list_value: ListValue{values: [Value{...}]}}}, built inside out.
    // Headers are computed inside out and joined once (re-copying the growing value would take seconds).
    const innermost = Buffer.from([0x1a, 0x01, 0x78]); // Value{string_value: "x"}
    const headers: Buffer[] = [];
    let size = innermost.length;
    for (let i = 0; i < 100_000; i++) {
      const values = fieldHeader(0x0a, size); // ListValue.values(1)
      const list = fieldHeader(0x32, size + values.length); // Value.list_value(6)
      headers.push(values, list);
      size += values.length + list.length;
    }
    const value = Buffer.concat([...headers.reverse(), innermost]);
    const request = Buffer.concat([
      lengthDelimited(0x0a, Buffer.from(waitingExecId)),
      lengthDelimited(0x12, Buffer.from("approve")),
      lengthDelimited(0x1a, value),
    ]);
    const client = new grpc.Client(env.runner.address, grpc.credentials.createInsecure());
    try {
      const identity = (b: Buffer) => b;
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        client.makeUnaryRequest("/kitaru.runner.v1.RunnerService/ResolveWait", identity, identity, request, (e, res) =>
          e ? resolve(e) : reject(new Error(`unexpected success: ${String(res)}`)),
        );
      });
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT, err.details);
    } finally {
      client.close();
    }
    assert.equal((await env.client.getExecution({ execId: waitingExecId })).execution!.status, ExecutionStatus.WAITING);
  });

  it("refuses a value larger than 32 MiB with a violation naming the bound", async () => {
    const input = { topic: "x".repeat(REQUEST_LIMITS.valueBytes) };
    const { raw } = await expectRpcError(env.client.startExecution({ flowName: contentPipeline.name, input }), Code.InvalidArgument, KitaruUsageError);
    const [badRequest] = raw.findDetails(BadRequestSchema);
    assert.equal(badRequest?.fieldViolations[0]?.field, "input");
    assert.match(badRequest?.fieldViolations[0]?.description ?? "", new RegExp(`at most ${REQUEST_LIMITS.valueBytes} bytes`));
  });

  it("refuses requests past 64 MiB with details: INVALID_ARGUMENT, and RESOURCE_EXHAUSTED where grpc-js stops reading (was without details)", async () => {
    const client = new grpc.Client(env.runner.address, grpc.credentials.createInsecure());
    const send = (bytes: Buffer) =>
      new Promise<grpc.ServiceError>((resolve, reject) => {
        const identity = (b: Buffer) => b;
        client.makeUnaryRequest("/kitaru.runner.v1.RunnerService/StartExecution", identity, identity, bytes, (e, res) =>
          e ? resolve(e) : reject(new Error(`unexpected success: ${String(res)}`)),
        );
      });
    /** The kitaru error a client rebuilds from the status and its details trailer. */
    const errorOf = (err: grpc.ServiceError) => {
      const [bin] = err.metadata.get("grpc-status-details-bin");
      assert.ok(Buffer.isBuffer(bin), `no details on ${grpc.status[err.code]}: ${err.details}`);
      const status = fromBinary(StatusSchema, bin);
      assert.equal(status.code, err.code);
      return errorFromStatus(status);
    };
    try {
      // Past the documented bound, within what the transport reads: refused after reading, before decoding.
      const seventy = await send(lengthDelimited(0x0a, Buffer.alloc(70 * 1024 * 1024, 0x61)));
      assert.equal(seventy.code, grpc.status.INVALID_ARGUMENT, seventy.details);
      const tooBig = errorOf(seventy);
      assert.ok(tooBig instanceof KitaruUsageError && tooBig.violations.length === 1, String(tooBig));
      // Past what the transport reads at all: refused from the length prefix, never buffered.
      const huge = 100 * 1024 * 1024;
      const refused = await send(lengthDelimited(0x0a, Buffer.alloc(huge, 0x61)));
      assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED, refused.details);
      const error = errorOf(refused);
      assert.ok(error instanceof KitaruUsageError, String(error));
      assert.match(error.message, new RegExp(`larger than the ${REQUEST_LIMITS.messageBytes} bytes`));
      assert.match(error.violations[0]?.description ?? "", new RegExp(`at most ${REQUEST_LIMITS.messageBytes} bytes; got ${huge + 5}`));
    } finally {
      client.close();
    }
    // The service goes on serving.
    assert.equal((await env.client.getExecution({ execId: waitingExecId })).execution!.status, ExecutionStatus.WAITING);
  });
});

/** A protobuf length-delimited field: tag byte, varint length, bytes. */
function lengthDelimited(tag: number, bytes: Buffer): Buffer {
  return Buffer.concat([fieldHeader(tag, bytes.length), bytes]);
}

/** The tag byte and varint length that start a length-delimited field of `length` bytes. */
function fieldHeader(tag: number, length: number): Buffer {
  const bytes = [tag];
  let n = length;
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

function approvalInput(): Record<string, string> {
  return { topic: "limits" };
}
