/**
 * Handler types derived from protobuf-es service descriptors, and the
 * registration that pairs a service with its handlers.
 *
 * @module
 */
import type {
  DescMessage,
  DescMethod,
  DescMethodBiDiStreaming,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  Message,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import type { EncodedMessage } from "#contract/wire/encoded-message.ts";
import type { HandlerContext } from "./handler-context.ts";

/**
 * A unary method's handler: one request in, one response out (a message, or one it encoded itself, see
 * `#contract/wire/encoded-message.ts`). Throw kitaru errors to fail.
 */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: HandlerContext,
) => Promise<MessageInitShape<O> | EncodedMessage<O>>;

/**
 * A server-streaming method's handler: each yielded value is sent as one
 * response. When the client goes away, iteration stops (`return()` runs the
 * generator's `finally` blocks) and `ctx.signal` is aborted.
 */
export type ServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

/**
 * A bidi-streaming method's handler: requests in, responses out, interleaved.
 * Supported because server reflection needs it; kitaru's own APIs stream only
 * from the server. A malformed request throws (INVALID_ARGUMENT) from the
 * request iterator.
 */
export type BidiStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  requests: AsyncIterable<MessageShape<I>>,
  ctx: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

/** The handler type of one method descriptor; client streaming is not supported. */
export type MethodHandler<M extends DescMethod> =
  M extends DescMethodUnary<infer I, infer O>
    ? UnaryHandler<I, O>
    : M extends DescMethodServerStreaming<infer I, infer O>
      ? ServerStreamingHandler<I, O>
      : M extends DescMethodBiDiStreaming<infer I, infer O>
        ? BidiStreamingHandler<I, O>
        : never;

/**
 * The handlers of a service, keyed by method local name (`getExecution`).
 *
 * Every method is required: a service missing one fails the type check
 * (`definePartialService` is the explicit exception, for transport tests).
 */
export type ServiceHandlers<S extends DescService> = {
  [K in keyof S["method"]]: MethodHandler<S["method"][K]>;
};

/** A handler with its types erased, as the adapter calls it. */
export type AnyHandler = (
  request: Message | AsyncIterable<Message>,
  ctx: HandlerContext,
) => Promise<MessageInitShape<DescMessage> | EncodedMessage> | AsyncIterable<MessageInitShape<DescMessage>>;

/** A service descriptor with its handlers, ready for `createGrpcServer({ services })`. */
export interface ServiceRegistration {
  readonly service: DescService;
  readonly handlers: Readonly<Record<string, AnyHandler | undefined>>;
}

/**
 * Pairs a service descriptor with its handlers, type-checking each handler
 * against its method. Handlers may be a plain object or a class instance
 * (methods are called with `this` bound to it).
 *
 * @example
 * ```ts
 * defineService(RunnerService, {
 *   async getExecution(req, ctx) { return { execution: await store.get(req.execId, ctx.signal) }; },
 * });
 * ```
 */
export function defineService<S extends DescService>(service: S, handlers: ServiceHandlers<S>): ServiceRegistration {
  // The mapped type is what callers are checked against (every method of the
  // service, or the type check fails); the adapter only needs the erased shape.
  return { service, handlers: handlers as unknown as ServiceRegistration["handlers"] };
}

/**
 * Registers some methods of a service only; the others answer UNIMPLEMENTED.
 * For tests of the transport itself: a service kitaru serves is defined with
 * {@link defineService}, so a missing handler fails the type check.
 */
export function definePartialService<S extends DescService>(service: S, handlers: Partial<ServiceHandlers<S>>): ServiceRegistration {
  return { service, handlers: handlers as unknown as ServiceRegistration["handlers"] };
}
