/**
 * A connect `Transport` for gRPC over one HTTP/2 session: each call is one
 * HTTP/2 stream of `Http2SessionManager` (connect-node's, which keeps the
 * session, its pings and reconnects), read and written with event handlers,
 * one envelope parser and no per-call async-iterable pipeline.
 *
 * The protocol rules are connect's own (`@connectrpc/connect/protocol-grpc`:
 * request headers, response validation, the status in trailers or in a
 * trailers-only response, its `google.rpc.Status` details), and failures
 * are `ConnectError`s with the codes connect-node gives the same HTTP/2 and
 * socket events, so callers (`rpc-error.ts`, `connection-failures.ts`) see
 * what they saw with `createGrpcTransport`. Interceptors run as connect runs
 * them. Not covered, as kitaru's services need neither: compression (none is
 * offered, so a compressed response is refused) and the JSON codec.
 *
 * Why it exists (CONTRIBUTING.md, "When a hand-written path may stay"): a
 * unary call through `createGrpcTransport` cost the client process 0.83 ms
 * of CPU and 0.96 ms of latency (median of 3,000 `ListFlows` against a
 * runner process, load 1-3 on 2 cores), a plain HTTP/2 request on the same
 * session 0.19 ms and 0.41 ms: connect-node's client runs every call through
 * its stream pipeline and aborts an AbortController (a DOMException and a
 * ConnectError) even when the call succeeds. A 1-step execution is two calls
 * (`StartExecution`, then the watch `wait()` opens), and with 1,000 at once
 * the client competes with the runner for the same two cores; see
 * bench/results.md for what this transport changed.
 *
 * @module
 */
import http2 from "node:http2";
import {
  create,
  fromBinary,
  isMessage,
  toBinary,
  type DescMessage,
  type DescMethodStreaming,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type ContextValues,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createMethodUrl } from "@connectrpc/connect/protocol";
import { requestHeader, validateResponse, validateTrailer } from "@connectrpc/connect/protocol-grpc";
import { systemCodes } from "../system-codes.ts";

/**
 * What the transport needs of an HTTP/2 session: connect-node's
 * `Http2SessionManager` provides it (which connects lazily, keeps the
 * session alive with pings and reconnects).
 */
export interface Http2Session {
  request(method: string, path: string, headers: http2.OutgoingHttpHeaders, options: http2.ClientSessionRequestOptions): Promise<http2.ClientHttp2Stream>;
  /** Told of every read, so the keep-alive logic knows the session is alive. */
  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void;
}

/** Options of {@link createHttp2GrpcTransport}. */
export interface Http2GrpcTransportOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:50051`; the session manager must be connected to its origin. */
  readonly baseUrl: string;
  readonly sessionManager: Http2Session;
  /** Wrappers around every call, the first outermost (connect's `Interceptor`). */
  readonly interceptors?: readonly Interceptor[] | undefined;
  /** The largest response message accepted (default 4 GiB − 1, as connect's). */
  readonly readMaxBytes?: number | undefined;
  /** The largest request message sent (default 4 GiB − 1, as connect's). */
  readonly writeMaxBytes?: number | undefined;
}

const MAX_BYTES = 0xffffffff;
/** Response messages held for a slow reader before the stream is paused (HTTP/2 flow control then holds the server). */
const HIGH_WATER_MESSAGES = 64;
const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0b01;

/** The caller's request headers, as connect's `Transport` takes them. */
type CallHeader = Parameters<Transport["unary"]>[3];

type AnyCall = (request: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

/** A gRPC transport over `options.sessionManager`'s HTTP/2 session. */
export function createHttp2GrpcTransport(options: Http2GrpcTransportOptions): Transport {
  const limits = { readMaxBytes: options.readMaxBytes ?? MAX_BYTES, writeMaxBytes: options.writeMaxBytes ?? MAX_BYTES };
  const session = options.sessionManager;
  const paths = new Map<string, { url: string; path: string }>();
  const locate = (method: DescMethodUnary | DescMethodStreaming) => {
    const key = `${method.parent.typeName}/${method.name}`;
    let found = paths.get(key);
    if (found === undefined) {
      const url = createMethodUrl(options.baseUrl, method);
      const parsed = new URL(url);
      found = { url, path: parsed.pathname + parsed.search };
      paths.set(key, found);
    }
    return found;
  };
  const wrap = (inner: AnyCall): AnyCall => (options.interceptors ?? []).reduceRight<AnyCall>((next, interceptor) => interceptor(next) as AnyCall, inner);

  const unaryCall = wrap(async (request) => {
    const req = request as UnaryRequest;
    const exchange = await GrpcExchange.open(session, locate(req.method).path, req, limits, [toBinary(req.method.input, req.message)]);
    const header = await exchange.header();
    const first = await exchange.next();
    if (first === undefined) throw new ConnectError("protocol error: missing output message for unary method", Code.Unimplemented);
    if ((await exchange.next()) !== undefined) {
      exchange.cancel();
      throw new ConnectError("protocol error: received extra output message for unary method", Code.Unimplemented);
    }
    return {
      stream: false,
      service: req.service,
      method: req.method,
      header,
      message: fromBinary(req.method.output, first),
      trailer: exchange.trailer,
    } satisfies UnaryResponse;
  });

  const streamCall = wrap(async (request) => {
    const req = request as StreamRequest;
    const inputs: Uint8Array[] = [];
    for await (const message of req.message) inputs.push(toBinary(req.method.input, message));
    const exchange = await GrpcExchange.open(session, locate(req.method).path, req, limits, inputs);
    const header = await exchange.header();
    const output = req.method.output;
    return {
      stream: true,
      service: req.service,
      method: req.method,
      header,
      message: exchange.messages((bytes) => fromBinary(output, bytes)),
      trailer: exchange.trailer,
    } satisfies StreamResponse;
  });

  /** What a unary and a streaming request have in common (connect's `RequestCommon`). */
  const requestCommon = (
    method: DescMethodUnary | DescMethodStreaming,
    call: CallSignal,
    timeoutMs: number | undefined,
    header: CallHeader,
    contextValues: ContextValues | undefined,
  ) => ({
    service: method.parent,
    requestMethod: "POST",
    url: locate(method).url,
    header: requestHeader(true, timeoutMs, header),
    signal: call.signal,
    contextValues: contextValues ?? createContextValues(),
  });

  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: CallHeader,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const call = new CallSignal(signal, timeoutMs);
      try {
        const message = isMessage(input, method.input) ? input : create(method.input, input);
        const request: UnaryRequest<I, O> = { ...requestCommon(method, call, timeoutMs, header, contextValues), stream: false, method, message };
        return (await unaryCall(request as UnaryRequest)) as UnaryResponse<I, O>;
      } catch (error) {
        throw call.failure(error);
      } finally {
        call.release();
      }
    },

    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: CallHeader,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const call = new CallSignal(signal, timeoutMs);
      let response: StreamResponse<I, O>;
      try {
        const message = normalized(method.input, input);
        const request: StreamRequest<I, O> = { ...requestCommon(method, call, timeoutMs, header, contextValues), stream: true, method, message };
        response = (await streamCall(request as StreamRequest)) as StreamResponse<I, O>;
      } catch (error) {
        call.release();
        throw call.failure(error);
      }
      return { ...response, message: released(response.message, call) };
    },
  };
}

async function* normalized<I extends DescMessage>(schema: I, input: AsyncIterable<MessageInitShape<I>>): AsyncIterable<MessageShape<I>> {
  for await (const message of input) yield isMessage(message, schema) ? message : create(schema, message);
}

/** A stream's messages; the call's timer and signal listener are released when reading ends, however it ends. */
async function* released<T>(messages: AsyncIterable<T>, call: CallSignal): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw call.failure(error);
  } finally {
    call.release();
  }
}

/**
 * A call's signal: the caller's, and its deadline. Nothing is aborted when
 * the call succeeds (connect aborts a controller then, which costs an error
 * object per call); the listener and the timer are released instead.
 */
class CallSignal {
  readonly #controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(caller: AbortSignal | undefined, timeoutMs: number | undefined) {
    this.#caller = caller;
    if (caller !== undefined) {
      if (caller.aborted) this.#controller.abort(ConnectError.from(caller.reason, Code.Canceled));
      else {
        this.#onCallerAbort = () => this.#controller.abort(ConnectError.from(caller.reason, Code.Canceled));
        caller.addEventListener("abort", this.#onCallerAbort, { once: true });
      }
    }
    if (timeoutMs !== undefined) {
      const expire = () => this.#controller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      if (timeoutMs <= 0) expire();
      else this.#timer = setTimeout(expire, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The error the caller sees: the abort's reason (as a ConnectError) once the call was aborted, else `error` as it is. */
  failure(error: unknown): unknown {
    if (this.#controller.signal.aborted) return ConnectError.from(this.#controller.signal.reason, Code.Canceled);
    return error;
  }

  release(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onCallerAbort !== undefined) this.#caller?.removeEventListener("abort", this.#onCallerAbort);
  }
}

/**
 * One call's HTTP/2 stream: the request written, the response's header,
 * messages (parsed from their 5-byte envelopes as data arrives) and
 * trailer, and its failure as a ConnectError.
 */
class GrpcExchange {
  readonly trailer = new Headers();
  readonly #stream: http2.ClientHttp2Stream;
  readonly #session: Http2Session;
  readonly #readMaxBytes: number;
  readonly #header: Promise<Headers>;
  #resolveHeader: ((header: Headers) => void) | undefined;
  #rejectHeader: ((error: ConnectError) => void) | undefined;
  #receivedHeader: Headers | undefined;
  /** A trailers-only response: its status came with the header. */
  #statusInHeader = false;
  #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  readonly #messages: Uint8Array[] = [];
  #ended = false;
  /** The server ended its side (END_STREAM), whatever the status. */
  #remoteEnded = false;
  #failure: ConnectError | undefined;
  #wake: (() => void) | undefined;

  private constructor(stream: http2.ClientHttp2Stream, session: Http2Session, readMaxBytes: number) {
    this.#stream = stream;
    this.#session = session;
    this.#readMaxBytes = readMaxBytes;
    this.#header = new Promise<Headers>((resolve, reject) => {
      this.#resolveHeader = resolve;
      this.#rejectHeader = reject;
    });
    this.#header.catch(() => undefined); // read through header() or next(); never an unhandled rejection
    stream.on("response", (headers) => this.#onResponse(headers));
    stream.on("data", (chunk: Buffer) => this.#onData(chunk));
    stream.on("trailers", (trailers) => copyHeaders(trailers, this.trailer));
    stream.on("end", () => this.#onEnd());
    stream.on("error", (error: Error) => {
      const codes = systemCodes(error);
      if (stream.writableEnded && codes.includes("ERR_STREAM_WRITE_AFTER_END")) return;
      // A stream the server reset: its RST_STREAM code says what happened (REFUSED_STREAM: not processed, retry).
      const reset = codes.includes("ERR_HTTP2_STREAM_ERROR") ? connectErrorFromResetCode(stream.rstCode) : undefined;
      this.#fail(reset ?? connectErrorFromNode(error));
    });
    stream.on("close", () => {
      if (this.#ended) return;
      const reset = connectErrorFromResetCode(stream.rstCode);
      if (reset !== undefined) this.#fail(reset);
      else if (this.#receivedHeader === undefined) this.#fail(new ConnectError("the connection closed before the server answered", Code.Unavailable));
      else this.#fail(new ConnectError("Premature close", Code.Internal));
    });
  }

  /** Opens the stream for `request` and writes `messages` (already encoded); the request's signal cancels it. */
  static async open(
    session: Http2Session,
    path: string,
    request: UnaryRequest | StreamRequest,
    limits: { readMaxBytes: number; writeMaxBytes: number },
    messages: readonly Uint8Array[],
  ): Promise<GrpcExchange> {
    const { signal } = request;
    if (signal.aborted) throw ConnectError.from(signal.reason, Code.Canceled);
    for (const message of messages) {
      if (message.byteLength > limits.writeMaxBytes) {
        throw new ConnectError(`message size ${message.byteLength} is larger than configured writeMaxBytes ${limits.writeMaxBytes}`, Code.ResourceExhausted);
      }
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = await session.request("POST", path, nodeHeaders(request.header), {});
    } catch (error) {
      throw connectErrorFromNode(error);
    }
    const exchange = new GrpcExchange(stream, session, limits.readMaxBytes);
    if (signal.aborted) exchange.#abort(signal.reason);
    else {
      const onAbort = () => exchange.#abort(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      stream.once("close", () => signal.removeEventListener("abort", onAbort));
    }
    for (const message of messages) stream.write(envelope(message));
    stream.end();
    return exchange;
  }

  /** The response header, once it arrived; rejects when the call failed before (or with) it. */
  header(): Promise<Headers> {
    return this.#header;
  }

  /** The next message, or undefined once the response ended with an OK status; throws its failure. */
  async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      const message = this.#messages.shift();
      if (message !== undefined) {
        if (this.#messages.length < HIGH_WATER_MESSAGES / 2 && this.#stream.isPaused()) this.#stream.resume();
        return message;
      }
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** The messages, decoded; leaving the loop early cancels the stream. */
  async *messages<T>(decode: (bytes: Uint8Array) => T): AsyncIterable<T> {
    try {
      for (let message = await this.next(); message !== undefined; message = await this.next()) yield decode(message);
    } finally {
      this.cancel();
    }
  }

  /**
   * Stops the call (RST_STREAM CANCEL) unless the server already ended its
   * response: a reset per finished call would look like a rapid-reset
   * attack to the server, which then closes the session (GOAWAY).
   */
  cancel(): void {
    if (!this.#remoteEnded && !this.#stream.closed) this.#stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  #abort(reason: unknown): void {
    this.#fail(ConnectError.from(reason, Code.Canceled));
    this.cancel();
  }

  #onResponse(headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    const header = copyHeaders(headers, new Headers());
    let found: ReturnType<typeof validateResponse>;
    try {
      found = validateResponse(headers[":status"] ?? 0, header);
    } catch (error) {
      this.#fail(ConnectError.from(error));
      return;
    }
    this.#receivedHeader = header;
    this.#statusInHeader = found.foundStatus;
    if (found.headerError !== undefined) {
      this.#fail(found.headerError);
      return;
    }
    this.#resolveHeader?.(header);
  }

  #onData(chunk: Buffer): void {
    this.#session.notifyResponseByteRead(this.#stream);
    if (this.#failure !== undefined) return;
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.byteLength;
    this.#parseEnvelopes();
    if (this.#messages.length >= HIGH_WATER_MESSAGES) this.#stream.pause();
    this.#wakeReader();
  }

  #parseEnvelopes(): void {
    while (this.#bufferedBytes >= ENVELOPE_HEADER_BYTES) {
      const head = this.#peek(ENVELOPE_HEADER_BYTES);
      const flags = head[0] as number;
      const length = head.readUInt32BE(1);
      if ((flags & COMPRESSED_FLAG) !== 0) {
        this.#fail(new ConnectError("protocol error: received compressed envelope, but no compression was negotiated", Code.Internal));
        this.cancel();
        return;
      }
      if (length > this.#readMaxBytes) {
        this.#fail(new ConnectError(`message size ${length} is larger than configured readMaxBytes ${this.#readMaxBytes}`, Code.ResourceExhausted));
        this.cancel();
        return;
      }
      if (this.#bufferedBytes < ENVELOPE_HEADER_BYTES + length) return;
      const whole = this.#take(ENVELOPE_HEADER_BYTES + length);
      this.#messages.push(whole.subarray(ENVELOPE_HEADER_BYTES));
    }
  }

  /** The first `bytes` buffered bytes, without consuming them. */
  #peek(bytes: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.byteLength >= bytes) return first;
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined;
  }

  /** Consumes the first `bytes` buffered bytes. */
  #take(bytes: number): Buffer {
    const first = this.#peek(bytes);
    const taken = first.byteLength === bytes ? first : first.subarray(0, bytes);
    if (first.byteLength === bytes) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(bytes);
    this.#bufferedBytes -= bytes;
    return taken;
  }

  #onEnd(): void {
    this.#remoteEnded = true;
    if (this.#failure !== undefined) return;
    if (this.#bufferedBytes > 0) {
      this.#fail(new ConnectError("protocol error: incomplete envelope", Code.Internal));
      return;
    }
    const header = this.#receivedHeader;
    // No response at all: the connection went away (the server's process died, say); the
    // stream's close says how (its RST_STREAM code), as it does for connect-node.
    if (header === undefined) return;
    if (!this.#statusInHeader) {
      try {
        validateTrailer(this.trailer, header);
      } catch (error) {
        this.#fail(ConnectError.from(error));
        return;
      }
    }
    this.#ended = true;
    this.#wakeReader();
  }

  #fail(error: ConnectError): void {
    if (this.#failure !== undefined || this.#ended) return;
    this.#failure = error;
    this.#rejectHeader?.(error);
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function envelope(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(ENVELOPE_HEADER_BYTES + message.byteLength);
  new DataView(framed.buffer).setUint32(1, message.byteLength);
  framed.set(message, ENVELOPE_HEADER_BYTES);
  return framed;
}

function nodeHeaders(header: Headers): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [key, value] of header) out[key] = value;
  return out;
}

/** HTTP/2 headers (or trailers) into `target`, pseudo-headers left out. */
function copyHeaders(source: http2.IncomingHttpHeaders, target: Headers): Headers {
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) target.append(key, item);
    else target.set(key, String(value));
  }
  return target;
}

/** A socket or HTTP/2 error as connect-node reports it: the same codes for the same causes. */
function connectErrorFromNode(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const codes = systemCodes(error);
  let code = Code.Internal;
  if (codes.includes("ERR_STREAM_WRITE_AFTER_END")) code = Code.Aborted;
  else if (codes.some((c) => c === "ERR_STREAM_DESTROYED" || c === "ERR_HTTP2_INVALID_STREAM" || c === "ECONNRESET")) code = Code.Aborted;
  else if (codes.some((c) => c === "ETIMEDOUT" || c === "ENOTFOUND" || c === "EAI_AGAIN" || c === "ECONNREFUSED")) code = Code.Unavailable;
  const connectError = ConnectError.from(error, code);
  if (connectError !== error) connectError.cause = error;
  return connectError;
}

/** RST_STREAM codes (RFC 9113 §7) and the gRPC status each means (PROTOCOL-HTTP2.md), as connect-node maps them; NO_ERROR and STREAM_CLOSED are none. */
const RESET_CODES: Readonly<Record<number, readonly [name: string, code: Code]>> = {
  1: ["PROTOCOL_ERROR", Code.Internal],
  2: ["INTERNAL_ERROR", Code.Internal],
  3: ["FLOW_CONTROL_ERROR", Code.Internal],
  4: ["SETTINGS_TIMEOUT", Code.Internal],
  6: ["FRAME_SIZE_ERROR", Code.Internal],
  7: ["REFUSED_STREAM", Code.Unavailable],
  8: ["CANCEL", Code.Canceled],
  9: ["COMPRESSION_ERROR", Code.Internal],
  10: ["CONNECT_ERROR", Code.Internal],
  11: ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
  12: ["INADEQUATE_SECURITY", Code.PermissionDenied],
  13: ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
};

function connectErrorFromResetCode(rstCode: number): ConnectError | undefined {
  const known = RESET_CODES[rstCode];
  if (known === undefined) return undefined;
  return new ConnectError(`http/2 stream closed with error code ${known[0]} (0x${rstCode.toString(16)})`, known[1]);
}
