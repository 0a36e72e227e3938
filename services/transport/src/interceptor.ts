/**
 * Interceptors: `(next) => next` wrappers around every handler call.
 *
 * @module
 */
import type { DescMessage, Message, MessageInitShape } from "@bufbuild/protobuf";
import type { EncodedMessage } from "#contract/wire/encoded-message.ts";
import type { HandlerContext } from "./handler-context.ts";

/**
 * What a call receives: one request message, or (bidi streaming, i.e. server
 * reflection only) a stream of them; `ctx.method.methodKind` tells which.
 */
export type CallInput = Message | AsyncIterable<Message>;

/**
 * The next step of a call: the handler, or the next interceptor in.
 *
 * Every call has the same shape: a unary call yields exactly one response. A
 * thrown error ends the call; the adapter maps it to a status.
 */
export type Next = (input: CallInput, ctx: HandlerContext) => AsyncIterable<MessageInitShape<DescMessage> | EncodedMessage>;

/**
 * A cross-cutting concern (auth, logging, deadline clamping) as one wrapper.
 *
 * @example
 * ```ts
 * const timing: Interceptor = (next) => async function* (req, ctx) {
 *   const start = performance.now();
 *   try { yield* next(req, ctx); } finally { metrics.observe(ctx.method.name, performance.now() - start); }
 * };
 * ```
 */
export type Interceptor = (next: Next) => Next;

/**
 * Wraps `handler` in `interceptors`. The first interceptor is the outermost:
 * it sees the request first and the response (or error) last.
 *
 * The full order of a call is: decode request (malformed bytes → INVALID_ARGUMENT)
 * → interceptors[0] → … → interceptors[n-1] → handler; on the way out every
 * error goes through `errorToStatus` once, in the adapter.
 */
export function applyInterceptors(handler: Next, interceptors: readonly Interceptor[]): Next {
  return interceptors.reduceRight((next, interceptor) => interceptor(next), handler);
}
