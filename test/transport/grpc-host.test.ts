import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import { ExecutionSchema, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { GetExecutionResponseSchema, RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { ErrorReason, errorFromConnectError, errorFromStatus, INTERNAL_ERROR_MESSAGE, KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import { EncodedMessage } from "#contract/wire/encoded-message.ts";
import { createGrpcServer, startGrpcServer, type RunningGrpcServer } from "../../services/transport/src/grpc-host.ts";
import type { Interceptor } from "../../services/transport/src/interceptor.ts";
import type { TransportLogger } from "../../services/transport/src/logger.ts";
import { definePartialService } from "../../services/transport/src/service-handlers.ts";
import { createTestRunner, KNOWN_EXEC_ID, type RunnerProbe } from "./runner-fixture.ts";
import { ClientSessions, rejection } from "../support/grpc-clients.ts";

/** A logger that keeps what it was given. */
function recordingLogger() {
  const errors: { message: string; fields: Readonly<Record<string, unknown>> }[] = [];
  const logger: TransportLogger = { error: (message, fields) => errors.push({ message, fields }), warn: () => {} };
  return { logger, errors };
}

/** A connect client of RunnerService over gRPC, and the session to close after the tests. */
function connectClient(address: string): { client: Client<typeof RunnerService>; close: () => void } {
  const sessions = new ClientSessions();
  return { client: sessions.client(RunnerService, address), close: () => sessions.close() };
}

describe("grpc-host serving RunnerService", () => {
  let host: RunningGrpcServer;
  let probe: RunnerProbe;
  let client: Client<typeof RunnerService>;
  let closeClient: () => void;
  const logged = recordingLogger();
  const seen: { method: string; requestId: string | undefined }[] = [];
  const recordCalls: Interceptor = (next) => (input, ctx) => {
    seen.push({ method: ctx.method.name, requestId: ctx.requestId });
    return next(input, ctx);
  };

  before(async () => {
    const runner = createTestRunner();
    probe = runner.probe;
    host = await startGrpcServer({
      host: "127.0.0.1",
      port: 0,
      services: [runner.registration],
      logger: logged.logger,
      interceptors: [recordCalls],
    });
    ({ client, close: closeClient } = connectClient(host.address));
  });

  after(async () => {
    closeClient();
    await host.shutdown();
  });

  it("binds port 0 to a real port", () => {
    assert.ok(host.port > 0);
    assert.equal(host.address, `127.0.0.1:${host.port}`);
  });

  it("answers a unary call", async () => {
    const { execution } = await client.getExecution({ execId: KNOWN_EXEC_ID });
    assert.equal(execution?.execId, KNOWN_EXEC_ID);
    assert.equal(execution?.name, `executions/${KNOWN_EXEC_ID}`);
    assert.equal(execution?.result?.kind.value, "ok");
  });

  it("sends a kitaru error that errorFromConnectError rebuilds with its typed fields", async () => {
    const e = await rejection(client.getExecution({ execId: "kr-missing" }));
    assert.equal(e.code, Code.NotFound);
    const error = errorFromConnectError(e);
    assert.ok(error instanceof KitaruNotFoundError);
    assert.equal(error.message, 'execution "kr-missing" not found');
    assert.equal(error.resourceType, "execution");
    assert.equal(error.resourceName, "kr-missing");
    assert.deepEqual(error.metadata, { execId: "kr-missing" });
  });

  it("answers UNIMPLEMENTED for a method without a handler", async () => {
    const e = await rejection(client.retryExecution({ execId: KNOWN_EXEC_ID }));
    assert.equal(e.code, Code.Unimplemented);
  });

  it("aborts ctx.signal when the client's deadline passes, and the client gets DEADLINE_EXCEEDED", async () => {
    const before = probe.aborted.length;
    const e = await rejection(client.listExecutions({}, { timeoutMs: 300 }));
    assert.equal(e.code, Code.DeadlineExceeded);
    const ctx = probe.hung[before];
    assert.ok(ctx, "the handler was called");
    assert.ok(ctx.deadline instanceof Date);
    const reason = await probe.aborted[before];
    assert.ok(ctx.signal.aborted);
    // The client cancels at its own deadline, which usually beats the server's timer by the network latency.
    assert.ok(["TimeoutError", "AbortError"].includes((reason as DOMException).name));
  });

  it("aborts ctx.signal when the client cancels", async () => {
    const before = probe.aborted.length;
    const controller = new AbortController();
    const call = client.listExecutions({}, { signal: controller.signal });
    while (probe.hung.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    assert.equal((await rejection(call)).code, Code.Canceled);
    const reason = await probe.aborted[before];
    assert.equal((reason as DOMException).name, "AbortError");
  });

  it("answers INVALID_ARGUMENT with KITARU_USAGE_ERROR for malformed request bytes", async () => {
    const raw = new grpc.Client(host.address, grpc.credentials.createInsecure());
    try {
      const identity = (b: Buffer) => b;
      // Field 1 (exec_id), length-delimited, with a length far past the end of the message.
      const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        raw.makeUnaryRequest("/kitaru.runner.v1.RunnerService/GetExecution", identity, identity, garbage, (e, res) =>
          e ? resolve(e) : reject(new Error(`unexpected success: ${String(res)}`)),
        );
      });
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      const detailsBin = err.metadata.get("grpc-status-details-bin")[0];
      assert.ok(Buffer.isBuffer(detailsBin), "grpc-status-details-bin trailer is present");
      const [first] = fromBinary(StatusSchema, detailsBin).details;
      assert.equal(first && anyUnpack(first, ErrorInfoSchema)?.reason, ErrorReason.usage);
      const error = errorFromStatus({ code: err.code, message: err.details, detailsBin });
      assert.ok(error instanceof KitaruUsageError);
      assert.deepEqual(error.metadata, { requestType: "kitaru.runner.v1.GetExecutionRequest" });
    } finally {
      raw.close();
    }
  });

  it("turns a plain Error into INTERNAL with a generic message and logs the cause", async () => {
    const e = await rejection(client.startExecution({ flowName: "demo" }, { headers: { "x-request-id": "req-42" } }));
    assert.equal(e.code, Code.Internal);
    assert.equal(e.rawMessage, INTERNAL_ERROR_MESSAGE);
    assert.doesNotMatch(JSON.stringify(e.details), /secret/);
    const entry = logged.errors.at(-1);
    assert.ok(entry);
    assert.equal(entry.fields["method"], "/kitaru.runner.v1.RunnerService/StartExecution");
    assert.equal(entry.fields["requestId"], "req-42");
    assert.match(String(entry.fields["cause"]), /secret/);
  });

  it("streams server-streaming responses", async () => {
    const events = [];
    for await (const response of client.watchExecution({ execId: KNOWN_EXEC_ID })) events.push(response.event);
    assert.equal(events.length, 3);
    assert.ok(events.every((event) => event?.execId === KNOWN_EXEC_ID && event.kind.case === "statusChanged"));
  });

  it("stops a streaming handler (its finally runs) when the client goes away", async () => {
    const closedBefore = probe.watchClosed;
    const controller = new AbortController();
    let received = 0;
    await assert.rejects(async () => {
      for await (const _ of client.watchExecution({ execId: KNOWN_EXEC_ID, followWaits: true }, { signal: controller.signal })) {
        if (++received === 2) controller.abort();
      }
    });
    const deadline = Date.now() + 2000;
    while (probe.watchClosed === closedBefore && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(probe.watchClosed, closedBefore + 1);
  });

  it("accepts requests larger than grpc's 4 MiB default", async () => {
    const big = "x".repeat(8 * 1024 * 1024);
    const { execution } = await client.resolveWait({ execId: KNOWN_EXEC_ID, wait: "w", value: { kind: { case: "stringValue", value: big } } });
    assert.equal(execution?.flowName, String(big.length));
  });

  it("runs interceptors with the call's context", () => {
    assert.ok(seen.some((s) => s.method === "GetExecution"));
    assert.ok(seen.some((s) => s.method === "StartExecution" && s.requestId === "req-42"));
  });
});

describe("grpc-host lifecycle", () => {
  it("refuses a handler that names no method of its service", () => {
    const registration = definePartialService(RunnerService, {});
    const typo = { ...registration, handlers: { getExecutoin: async () => ({}) } };
    assert.throws(() => createGrpcServer({ services: [typo] }), /has no method "getExecutoin"/);
  });

  it("sends a response a handler encoded itself (EncodedMessage) as its bytes, and refuses one of another message type", async () => {
    const execution = create(ExecutionSchema, { execId: "kr-encoded", flowName: "flow", status: ExecutionStatus.COMPLETED });
    const bytes = toBinary(GetExecutionResponseSchema, create(GetExecutionResponseSchema, { execution }));
    const logged = recordingLogger();
    const registration = definePartialService(RunnerService, {
      getExecution: async ({ execId }) =>
        execId === "right"
          ? new EncodedMessage(GetExecutionResponseSchema, bytes)
          : (new EncodedMessage(ExecutionSchema, bytes) as unknown as EncodedMessage<typeof GetExecutionResponseSchema>),
    });
    const host = await startGrpcServer({ port: 0, services: [registration], logger: logged.logger });
    const { client, close } = connectClient(host.address);
    try {
      const response = await client.getExecution({ execId: "right" });
      assert.equal(response.execution?.execId, "kr-encoded");
      assert.deepEqual(response, fromBinary(GetExecutionResponseSchema, bytes));
      const err = await rejection(client.getExecution({ execId: "wrong" }));
      assert.equal(err.code, Code.Internal);
      assert.match(String(logged.errors[0]?.fields.cause), /encoded kitaru.runner.v1.Execution for kitaru.runner.v1.GetExecutionResponse/);
    } finally {
      close();
      await host.shutdown();
    }
  });

  it("shutdown() cancels calls still running after its timeout", async () => {
    const runner = createTestRunner();
    const host = await startGrpcServer({ port: 0, services: [runner.registration], shutdownTimeoutMs: 200 });
    const { client, close } = connectClient(host.address);
    try {
      const call = client.listExecutions({});
      call.catch(() => {}); // its failure is expected once the server goes away
      while (runner.probe.hung.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const started = Date.now();
      await host.shutdown();
      assert.ok(Date.now() - started >= 150, "waited for the call first");
      await runner.probe.aborted[0];
      assert.ok(runner.probe.hung[0]?.signal.aborted);
      await host.shutdown(); // idempotent
    } finally {
      close();
    }
  });
});
