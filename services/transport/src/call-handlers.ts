/**
 * The grpc-js side of one method: decode the request bytes, run the
 * intercepted handler, encode responses, and send errors as rich statuses.
 *
 * @module
 */
import { once } from "node:events";
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type Message, type MessageInitShape } from "@bufbuild/protobuf";
import {
  Metadata,
  type handleBidiStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerDuplexStream,
  type ServerErrorResponse,
  type ServerWritableStream,
} from "@grpc/grpc-js";
import { Code } from "#gen/google/rpc/code_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import { errorToStatus, KitaruInternalError, KitaruUsageError } from "#contract/errors/index.ts";
import { EncodedMessage } from "#contract/wire/encoded-message.ts";
import { refuseOversizedValues } from "./encoded-value-sizes.ts";
import { LARGE_REQUEST_BYTES, LargeRequestGate } from "./large-request-gate.ts";
import { createCallScope, type CallScope, type HandlerContext } from "./handler-context.ts";
import { checkRequestHeaders, checkRequestLimits, REQUEST_LIMITS } from "./request-limits.ts";
import type { Next } from "./interceptor.ts";
import type { TransportLogger } from "./logger.ts";

/** The trailer that carries the serialized `google.rpc.Status`. */
const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/** The process's large requests, worked on a few at a time (large-request-gate.ts). */
const largeRequests = new LargeRequestGate();

/** Creates the grpc-js handler of a unary method; `invoke` is the intercepted handler. */
export function unaryCallHandler(method: DescMethod, invoke: Next, logger: TransportLogger): handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    const scope = createCallScope(call, method);
    const run = async () => {
      let release: (() => void) | undefined;
      try {
        if (call.request.length > LARGE_REQUEST_BYTES) release = await largeRequests.enter(scope.context.signal);
        const request = decodeRequest(method, call.request, call.metadata);
        const response = await firstOf(invoke(request, scope.context));
        if (response === undefined) throw new KitaruInternalError(`${path(method)} returned no response`);
        callback(null, encode(method.output, response));
      } catch (err) {
        callback(statusFor(err, scope.context, logger));
      } finally {
        release?.();
        scope.dispose();
      }
    };
    void run();
  };
}

/** Creates the grpc-js handler of a server-streaming method, with backpressure. */
export function serverStreamingCallHandler(method: DescMethod, invoke: Next, logger: TransportLogger): handleServerStreamingCall<Buffer, Buffer> {
  return (call) => {
    const scope = createCallScope(call, method);
    void stream(call, scope, logger, () => invoke(decodeRequest(method, call.request, call.metadata), scope.context));
  };
}

/** Creates the grpc-js handler of a bidi-streaming method (server reflection). */
export function bidiStreamingCallHandler(method: DescMethod, invoke: Next, logger: TransportLogger): handleBidiStreamingCall<Buffer, Buffer> {
  return (call) => {
    const scope = createCallScope(call, method);
    void stream(call, scope, logger, () => {
      checkRequestHeaders(method.input.typeName, call.metadata.toHttp2Headers());
      return invoke(decodeRequests(method, call), scope.context);
    });
  };
}

/** Sends every response of `responses()`, then OK; or the mapped status of whatever it throws. */
async function stream(
  call: ServerWritableStream<Buffer, Buffer> | ServerDuplexStream<Buffer, Buffer>,
  scope: CallScope,
  logger: TransportLogger,
  responses: () => AsyncIterable<MessageInitShape<DescMessage> | EncodedMessage>,
): Promise<void> {
  const { signal, method } = scope.context;
  try {
    for await (const response of responses()) {
      // Leaving the loop calls the iterator's return(): the handler's finally blocks run.
      if (signal.aborted) break;
      if (!call.write(encode(method.output, response))) await once(call, "drain", { signal });
    }
    call.end();
  } catch (err) {
    // grpc-js turns an 'error' event on the stream into the call's final status.
    call.emit("error", statusFor(err, scope.context, logger));
  } finally {
    scope.dispose();
  }
}

/**
 * Checks a call's headers, then decodes its request bytes and checks them,
 * against {@link REQUEST_LIMITS}. Malformed bytes and requests beyond a limit
 * are the client's fault: they answer INVALID_ARGUMENT (KITARU_USAGE_ERROR),
 * never INTERNAL (docs/replay-contract.md §9).
 */
function decodeRequest(method: DescMethod, bytes: Buffer, metadata?: Metadata): Message {
  const requestType = method.input.typeName;
  if (metadata !== undefined) checkRequestHeaders(requestType, metadata.toHttp2Headers());
  if (bytes.length > REQUEST_LIMITS.messageBytes) {
    throw new KitaruUsageError(`The ${requestType} request is ${bytes.length} bytes; kitaru accepts at most ${REQUEST_LIMITS.messageBytes}.`, {
      metadata: { requestType, bytes: String(bytes.length) },
      violations: [{ field: "", description: `must be at most ${REQUEST_LIMITS.messageBytes} bytes; got ${bytes.length}` }],
    });
  }
  // A value too large to accept is found in the bytes, before decoding them takes seconds.
  if (bytes.length * 2 > REQUEST_LIMITS.valueBytes) refuseOversizedValues(method.input, bytes, REQUEST_LIMITS.valueBytes);
  let message: Message;
  try {
    message = fromBinary(method.input, bytes);
  } catch (err) {
    // The decoder's message names the problem, never the bytes; bounded all the same.
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 200);
    const tooDeep = /maximum recursion depth/.test(reason);
    throw new KitaruUsageError(`malformed ${requestType} request: ${reason}`, {
      metadata: { requestType },
      cause: err,
      ...(tooDeep ? { violations: [{ field: "", description: `values must be nested at most ${REQUEST_LIMITS.valueDepth} levels deep` }] } : {}),
    });
  }
  checkRequestLimits(method.input, message);
  return message;
}

async function* decodeRequests(method: DescMethod, call: ServerDuplexStream<Buffer, Buffer>): AsyncIterable<Message> {
  // destroyOnReturn: false, so a handler that stops reading can still write responses.
  for await (const bytes of call.iterator({ destroyOnReturn: false })) yield decodeRequest(method, bytes as Buffer);
}

function encode(schema: DescMessage, init: MessageInitShape<DescMessage> | EncodedMessage): Buffer {
  if (init instanceof EncodedMessage) {
    if (init.schema.typeName !== schema.typeName) throw new KitaruInternalError(`a handler returned an encoded ${init.schema.typeName} for ${schema.typeName}`);
    return Buffer.from(init.bytes.buffer, init.bytes.byteOffset, init.bytes.byteLength);
  }
  const bytes = toBinary(schema, create(schema, init));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The first value of an iterable; stops the iterator afterwards. */
async function firstOf<T>(iterable: AsyncIterable<T>): Promise<T | undefined> {
  for await (const value of iterable) return value;
  return undefined;
}

/**
 * The one place a thrown error becomes a grpc-js status: `errorToStatus`, with
 * the `google.rpc.Status` in the `grpc-status-details-bin` trailer. INTERNAL
 * errors are logged with their cause, unless the call was already cancelled
 * (the error is then most likely the cancellation itself, and nobody listens).
 */
function statusFor(err: unknown, ctx: HandlerContext, logger: TransportLogger): ServerErrorResponse {
  const status = errorToStatus(err);
  if (status.code === Code.INTERNAL && !ctx.signal.aborted) {
    logger.error("grpc call failed with an internal error", {
      method: path(ctx.method),
      requestId: ctx.requestId,
      peer: ctx.peer,
      cause: err,
    });
  }
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status.details)));
  return Object.assign(new Error(status.message), { code: status.code as number, details: status.message, metadata });
}

function path(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}
