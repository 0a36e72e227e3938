/**
 * Serves protobuf-es service descriptors on a grpc-js server, with no
 * per-method glue: handlers are typed from the descriptor
 * ({@link ServiceHandlers}), errors are mapped in one place.
 *
 * @example
 * ```ts
 * const health = new HealthStatus();
 * const host = await startGrpcServer({
 *   port: 0,
 *   services: [
 *     defineService(RunnerService, runnerHandlers),
 *     createHealthService(health),
 *     ...createReflectionServices([RunnerService, Health]),
 *   ],
 * });
 * console.log(host.address);
 * await host.shutdown();
 * ```
 *
 * @module
 */
import type { DescMessage, DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { bidiStreamingCallHandler, serverStreamingCallHandler, unaryCallHandler } from "./call-handlers.ts";
import { DEFAULT_HOST } from "#contract/service-addresses.ts";
import type { EncodedMessage } from "#contract/wire/encoded-message.ts";
import { applyInterceptors, type Interceptor, type Next } from "./interceptor.ts";
import { consoleLogger, type TransportLogger } from "./logger.ts";
import { checkListenAddress, listenErrorFromBind } from "./listen-errors.ts";
import { installOversizedRequestDetails } from "./oversized-requests.ts";
import { REQUEST_LIMITS } from "./request-limits.ts";
import type { AnyHandler, ServiceRegistration } from "./service-handlers.ts";

/**
 * Largest message grpc-js reads or sends. Requests up to
 * `REQUEST_LIMITS.messageBytes` are decoded; larger ones up to this bound are
 * refused by kitaru with details, beyond it by grpc-js itself from the length
 * prefix (RESOURCE_EXHAUSTED, never buffered), with details added by
 * `oversized-requests.ts`.
 */
const MAX_MESSAGE_BYTES = REQUEST_LIMITS.messageBytes + 16 * 1024 * 1024;

/**
 * Largest request header block (metadata) kitaru accepts: 16 KiB. grpc-js
 * 1.14 does not apply `grpc.max_metadata_size` on a server (it is set below
 * for versions that do), so each call's headers are checked before its
 * request is decoded (`checkRequestHeaders`): INVALID_ARGUMENT with details.
 * Node's HTTP/2 layer resets streams whose header block is above 64 KiB
 * before gRPC sees them (the client reports RST_STREAM).
 */
const MAX_METADATA_BYTES = REQUEST_LIMITS.headerBytes;

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  /** The services to serve; each from `defineService`, `createHealthService`, ... */
  readonly services: readonly ServiceRegistration[];
  /** Receives INTERNAL errors with their cause; defaults to the console. */
  readonly logger?: TransportLogger;
  /** Wrappers around every handler, outermost first (see `applyInterceptors`). */
  readonly interceptors?: readonly Interceptor[];
}

/** Options of {@link startGrpcServer}. */
export interface StartGrpcServerOptions extends GrpcServerOptions {
  /** Interface to bind; defaults to `DEFAULT_HOST` (loopback). Use "0.0.0.0" or "::" to accept remote calls. */
  readonly host?: string | undefined;
  /** Port to bind; 0 (the default) picks a free one, reported as `port`. */
  readonly port?: number;
  /** Defaults to insecure (plain HTTP/2). */
  readonly credentials?: ServerCredentials;
  /** How long `shutdown()` lets calls finish before cancelling them; default 5000 ms. */
  readonly shutdownTimeoutMs?: number;
}

/** A bound, serving gRPC server. */
export interface RunningGrpcServer {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** "host:port", ready for a client's target. */
  readonly address: string;
  readonly server: Server;
  /**
   * Stops accepting calls, lets running calls finish, then cancels the rest
   * after the timeout (their `ctx.signal` aborts). Idempotent.
   */
  shutdown(): Promise<void>;
}

/**
 * Creates a grpc-js server serving `services` (not bound yet).
 *
 * Methods without a handler answer UNIMPLEMENTED. Throws when a function in
 * the handlers names no method of its service, or a service has a
 * client-streaming method.
 */
export function createGrpcServer(options: GrpcServerOptions): Server {
  const logger = options.logger ?? consoleLogger;
  const interceptors = options.interceptors ?? [];
  installOversizedRequestDetails(REQUEST_LIMITS.messageBytes);
  const server = new Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_metadata_size": MAX_METADATA_BYTES,
  });
  for (const { service, handlers } of options.services) {
    const definition: Record<string, ReturnType<typeof methodDefinition>> = {};
    const implementation: UntypedServiceImplementation = {};
    for (const method of service.methods) {
      // Keyed by the proto name: grpc-js names the key in its UNIMPLEMENTED message.
      definition[method.name] = methodDefinition(method);
      const handler = handlers[method.localName];
      if (handler === undefined) continue; // grpc-js answers UNIMPLEMENTED
      const invoke = applyInterceptors(asNext(handler.bind(handlers), method), interceptors);
      implementation[method.name] =
        method.methodKind === "unary"
          ? unaryCallHandler(method, invoke, logger)
          : method.methodKind === "server_streaming"
            ? serverStreamingCallHandler(method, invoke, logger)
            : bidiStreamingCallHandler(method, invoke, logger);
    }
    // Catches typos in plain-object handlers; non-function fields (a class's state) are fine.
    for (const [name, value] of Object.entries(handlers)) {
      if (typeof value === "function" && !(name in service.method)) throw new Error(`${service.typeName} has no method "${name}"`);
    }
    server.addService(definition as ServiceDefinition, implementation);
  }
  return server;
}

/**
 * Creates, binds and starts a server; see {@link createGrpcServer}. Rejects
 * with a `ListenAddressError` (listen-errors.ts) when it cannot listen on
 * the host and port (taken, privileged, not an address of this machine).
 */
export async function startGrpcServer(options: StartGrpcServerOptions): Promise<RunningGrpcServer> {
  const host = options.host ?? DEFAULT_HOST;
  // A taken port (or a host that is no address here) is a ListenAddressError naming it, before grpc-js logs its own line.
  await checkListenAddress(host, options.port ?? 0);
  const server = createGrpcServer(options);
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${hostPart}:${options.port ?? 0}`, options.credentials ?? ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  }).catch((err: unknown) => {
    server.forceShutdown(); // e.g. the port is taken: release what was created
    throw listenErrorFromBind(err, host, options.port ?? 0) ?? err;
  });
  const timeoutMs = options.shutdownTimeoutMs ?? 5000;
  let stopping: Promise<void> | undefined;
  return {
    port,
    address: `${hostPart}:${port}`,
    server,
    shutdown: () => (stopping ??= shutdownServer(server, timeoutMs)),
  };
}

function shutdownServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The grpc-js method definition: bytes in and out; (de)serialization happens in the handler. */
function methodDefinition(method: DescMethod) {
  if (method.methodKind === "client_streaming") {
    throw new Error(`${method.parent.typeName}/${method.name}: client-streaming methods are not supported`);
  }
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    requestStream: method.methodKind === "bidi_streaming",
    responseStream: method.methodKind !== "unary",
    // Identity: decoding in the handler lets malformed bytes answer INVALID_ARGUMENT
    // (grpc-js would answer INTERNAL for a throwing deserializer).
    requestDeserialize: (bytes: Buffer) => bytes,
    requestSerialize: (bytes: Buffer) => bytes,
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: (bytes: Buffer) => bytes,
    originalName: method.name,
  };
}

/** Adapts a handler to the uniform {@link Next} shape: a unary response becomes a one-value stream. */
function asNext(handler: AnyHandler, method: DescMethod): Next {
  if (method.methodKind === "unary") {
    // defineService typed it as a UnaryHandler, which returns a promise.
    const unary = handler as (...args: Parameters<Next>) => Promise<MessageInitShape<DescMessage> | EncodedMessage>;
    return async function* (request, ctx) {
      yield await unary(request, ctx);
    };
  }
  // defineService typed it as a streaming handler, which returns an async iterable.
  return handler as Next;
}
