/**
 * The clients' gRPC transport (#contract/wire/grpc-http2-transport.ts)
 * against an HTTP/2 server in this process that answers each case with the
 * frames it names: what a caller sees must be what connect's own transport
 * gives for the same bytes (the message, the status and its details, the
 * stream's messages in order), and every way a call can fail must end in a
 * ConnectError with the code gRPC gives it, never in a hang.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { createHttp2GrpcTransport } from "#contract/wire/grpc-http2-transport.ts";
import { ExecutionSchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { GetExecutionResponseSchema, RunnerService, WatchExecutionResponseSchema } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import { rejection } from "../support/grpc-clients.ts";

function framed(bytes: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + bytes.byteLength);
  out[0] = flags;
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, 5);
  return out;
}

const getResponse = (execId: string) =>
  toBinary(GetExecutionResponseSchema, create(GetExecutionResponseSchema, { execution: create(ExecutionSchema, { execId }) }));

/** What the server does for a call, keyed by the exec ID the request names (the test reads it raw). */
type Behaviour = (stream: http2.ServerHttp2Stream) => void;
const OK_HEADERS = { ":status": 200, "content-type": "application/grpc+proto" };

const behaviours: Record<string, Behaviour> = {
  ok(stream) {
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(framed(getResponse("kr-ok")));
  },
  // One message split over many DATA frames, the envelope's header across two of them.
  split(stream) {
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    const bytes = framed(getResponse("kr-split-" + "x".repeat(70_000)));
    stream.write(bytes.subarray(0, 3));
    for (let at = 3; at < bytes.length; at += 1000) stream.write(bytes.subarray(at, Math.min(bytes.length, at + 1000)));
    stream.end();
  },
  detailed(stream) {
    const status = create(StatusSchema, {
      code: Code.FailedPrecondition,
      message: "the execution is not waiting",
      details: [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "KITARU_STATE", domain: "kitaru.dev" }))],
    });
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () =>
      stream.sendTrailers({
        "grpc-status": String(Code.FailedPrecondition),
        "grpc-message": encodeURIComponent("the execution is not waiting"),
        "grpc-status-details-bin": Buffer.from(toBinary(StatusSchema, status)).toString("base64").replace(/=+$/, ""),
      }),
    );
    stream.end();
  },
  "trailers-only"(stream) {
    stream.respond(
      { ...OK_HEADERS, "grpc-status": String(Code.NotFound), "grpc-message": encodeURIComponent("no execution 'kr-x' here") },
      { endStream: true },
    );
  },
  "no-status"(stream) {
    stream.respond(OK_HEADERS);
    stream.end(framed(getResponse("kr-a")));
  },
  "http-503"(stream) {
    stream.respond({ ":status": 503 }, { endStream: true });
  },
  compressed(stream) {
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(framed(getResponse("kr-a"), 1));
  },
  "two-messages"(stream) {
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(Buffer.concat([framed(getResponse("kr-a")), framed(getResponse("kr-b"))]));
  },
  reset(stream) {
    stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
  },
  // The server goes away mid-call (its process died): the connection closes with no answer.
  "hang-up"(stream) {
    stream.session?.destroy();
  },
  silent() {
    // never answers: the caller's deadline or signal ends the call
  },
};

/** Server streams: `count` events then OK, or a failure after some. */
function watchBehaviour(stream: http2.ServerHttp2Stream, execId: string): void {
  const event = (i: number) => framed(toBinary(WatchExecutionResponseSchema, create(WatchExecutionResponseSchema, { event: { execId: `${execId}#${i}` } })));
  if (execId === "endless") {
    stream.respond(OK_HEADERS);
    let i = 0;
    const timer = setInterval(() => {
      if (stream.closed || stream.destroyed) return clearInterval(timer);
      stream.write(event(i++));
    }, 2);
    stream.on("close", () => {
      clearInterval(timer);
      cancelledStreams.push(stream.rstCode);
    });
    return;
  }
  stream.on("close", () => finishedStreams.push(stream.rstCode));
  stream.respond(OK_HEADERS, { waitForTrailers: true });
  const failing = execId === "fails-after-3";
  stream.on("wantTrailers", () =>
    stream.sendTrailers(failing ? { "grpc-status": String(Code.Unavailable), "grpc-message": "runner%20stopping" } : { "grpc-status": "0" }),
  );
  const count = failing ? 3 : execId === "one" ? 1 : 500;
  for (let i = 0; i < count; i++) stream.write(event(i));
  stream.end();
}

const cancelledStreams: number[] = [];
/** How the server's finished watch streams closed: RST_STREAM codes, 0 (NO_ERROR) when the client sent none. */
const finishedStreams: number[] = [];
let server: http2.Http2Server;
let baseUrl: string;

/** The exec ID in a GetExecutionRequest / WatchExecutionRequest: field 1, a string (the test's requests are that alone). */
function execIdOf(body: Buffer): string {
  const message = body.subarray(5);
  return message.subarray(2, 2 + (message[1] as number)).toString("utf8");
}

before(async () => {
  server = http2.createServer();
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const execId = execIdOf(Buffer.concat(chunks));
      if (String(headers[":path"]).endsWith("/WatchExecution")) watchBehaviour(stream, execId);
      else behaviours[execId]!(stream);
    });
    stream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function runnerClient() {
  const sessionManager = new Http2SessionManager(baseUrl);
  return {
    client: createClient(RunnerService, createHttp2GrpcTransport({ baseUrl, sessionManager, readMaxBytes: 200_000 })),
    close: () => sessionManager.abort(),
  };
}

describe("the clients' gRPC transport over HTTP/2", () => {
  it("answers a unary call with its message, also when the envelope is split across DATA frames", async () => {
    const { client, close } = runnerClient();
    try {
      assert.equal((await client.getExecution({ execId: "ok" })).execution?.execId, "kr-ok");
      assert.equal((await client.getExecution({ execId: "split" })).execution?.execId, "kr-split-" + "x".repeat(70_000));
    } finally {
      close();
    }
  });

  it("fails with the status the server sent: its code, message and google.rpc.Status details", async () => {
    const { client, close } = runnerClient();
    try {
      const detailed = await rejection(client.getExecution({ execId: "detailed" }));
      assert.equal(detailed.code, Code.FailedPrecondition);
      assert.equal(detailed.rawMessage, "the execution is not waiting");
      assert.equal(detailed.findDetails(ErrorInfoSchema)[0]?.reason, "KITARU_STATE");
      const notFound = await rejection(client.getExecution({ execId: "trailers-only" }));
      assert.equal(notFound.code, Code.NotFound);
      assert.equal(notFound.rawMessage, "no execution 'kr-x' here");
    } finally {
      close();
    }
  });

  it("refuses responses that break the protocol, with gRPC's codes", async () => {
    const { client, close } = runnerClient();
    try {
      assert.equal((await rejection(client.getExecution({ execId: "no-status" }))).code, Code.Internal);
      assert.equal((await rejection(client.getExecution({ execId: "http-503" }))).code, Code.Unavailable);
      assert.equal((await rejection(client.getExecution({ execId: "compressed" }))).code, Code.Internal);
      assert.equal((await rejection(client.getExecution({ execId: "two-messages" }))).code, Code.Unimplemented);
      const reset = await rejection(client.getExecution({ execId: "reset" }));
      assert.equal(reset.code, Code.Unavailable);
      assert.match(reset.rawMessage, /REFUSED_STREAM/);
      // A connection that closes without an answer is a backend failure to retry, not a protocol error.
      const hangUp = await rejection(client.getExecution({ execId: "hang-up" }));
      assert.ok([Code.Unavailable, Code.Canceled, Code.Aborted].includes(hangUp.code), `got ${Code[hangUp.code]}: ${hangUp.rawMessage}`);
      // Still usable after all that.
      assert.equal((await client.getExecution({ execId: "ok" })).execution?.execId, "kr-ok");
    } finally {
      close();
    }
  });

  it("ends a call that gets no answer at its deadline, or when the caller's signal aborts", async () => {
    const { client, close } = runnerClient();
    try {
      assert.equal((await rejection(client.getExecution({ execId: "silent" }, { timeoutMs: 50 }))).code, Code.DeadlineExceeded);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 30);
      assert.equal((await rejection(client.getExecution({ execId: "silent" }, { signal: controller.signal }))).code, Code.Canceled);
    } finally {
      close();
    }
  });

  it("streams every message in order, and the status that ends the stream", async () => {
    const { client, close } = runnerClient();
    try {
      const seen: string[] = [];
      for await (const response of client.watchExecution({ execId: "w" })) seen.push(response.event?.execId ?? "");
      assert.equal(seen.length, 500);
      assert.deepEqual(seen.slice(0, 2), ["w#0", "w#1"]);
      assert.equal(seen.at(-1), "w#499");
      // A stream read to its end is not reset: a reset per finished call looks like a
      // rapid-reset attack to a server (Node's closes the session with GOAWAY).
      // (nghttp2 allows a burst of 1,000 resets, then ends the session with GOAWAY INTERNAL_ERROR).
      for (let i = 0; i < 1100; i++) for await (const _ of client.watchExecution({ execId: "one" }));
      assert.deepEqual(new Set(finishedStreams), new Set([http2.constants.NGHTTP2_NO_ERROR]));
      const before: string[] = [];
      const failure = await rejection(
        (async () => {
          for await (const response of client.watchExecution({ execId: "fails-after-3" })) before.push(response.event?.execId ?? "");
        })(),
      );
      assert.deepEqual(before, ["fails-after-3#0", "fails-after-3#1", "fails-after-3#2"]);
      assert.equal(failure.code, Code.Unavailable);
      assert.equal(failure.rawMessage, "runner stopping");
    } finally {
      close();
    }
  });

  it("cancels the server's stream (RST_STREAM CANCEL) when the caller's signal aborts mid-stream", async () => {
    const { client, close } = runnerClient();
    try {
      const controller = new AbortController();
      let read = 0;
      const stopped = await rejection(
        (async () => {
          for await (const _ of client.watchExecution({ execId: "endless" }, { signal: controller.signal })) if (++read === 5) controller.abort();
        })(),
      );
      assert.equal(stopped.code, Code.Canceled);
      assert.equal(read, 5);
      const deadline = Date.now() + 2000;
      while (cancelledStreams.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(cancelledStreams, [http2.constants.NGHTTP2_CANCEL]);
    } finally {
      close();
    }
  });

  it("fails with UNAVAILABLE when nothing listens at the URL", async () => {
    const closed = http2.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const sessionManager = new Http2SessionManager(url);
    try {
      const client = createClient(RunnerService, createHttp2GrpcTransport({ baseUrl: url, sessionManager }));
      const error = await rejection(client.getExecution({ execId: "ok" }));
      assert.equal(error.code, Code.Unavailable);
    } finally {
      sessionManager.abort();
    }
  });

  it("refuses a response message beyond readMaxBytes with RESOURCE_EXHAUSTED", async () => {
    const sessionManager = new Http2SessionManager(baseUrl);
    try {
      const client = createClient(RunnerService, createHttp2GrpcTransport({ baseUrl, sessionManager, readMaxBytes: 1000 }));
      assert.equal((await rejection(client.getExecution({ execId: "split" }))).code, Code.ResourceExhausted);
    } finally {
      sessionManager.abort();
    }
  });
});
