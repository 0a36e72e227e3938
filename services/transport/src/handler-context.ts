/**
 * The per-call context handed to service handlers, and its lifetime.
 *
 * @module
 */
import type { DescMethod } from "@bufbuild/protobuf";
import type { EventEmitter } from "node:events";
import type { Metadata, ServerUnaryCall } from "@grpc/grpc-js";
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";

/** What every grpc-js server call (unary or streaming) offers; grpc-js does not export this type. */
type SurfaceCall = Pick<ServerUnaryCall<unknown, unknown>, "metadata" | "cancelled" | "getPeer" | "getDeadline"> & EventEmitter;

/** Who is calling, as the services act on it: set by the `authenticate` interceptor (auth.ts). */
export interface Principal {
  /** The namespace the call acts in: its executions, request IDs and waits. */
  readonly namespace: string;
  /** `token`: a namespace token; `service`: the planner for a caller; `anonymous`: authentication is off. */
  readonly kind: "token" | "service" | "anonymous";
}

/**
 * What a handler knows about the call it serves; read-only.
 *
 * `signal` aborts when the client cancels, the deadline passes or the server
 * is force-shut down: pass it to database calls and long waits. Its `reason`
 * is a DOMException named "TimeoutError" (the server saw the deadline pass) or
 * "AbortError" (the client cancelled, which clients also do at their own
 * deadline, often a little before the server's timer fires).
 */
export interface HandlerContext {
  /** The method being called. */
  readonly method: DescMethod;
  readonly signal: AbortSignal;
  /** When the client stops waiting; undefined when it set no deadline. */
  readonly deadline: Date | undefined;
  /** The `x-request-id` metadata value, when the client sent one. */
  readonly requestId: string | undefined;
  /** The request metadata (headers) as grpc-js received it. */
  readonly metadata: Metadata;
  /** The client's address, e.g. "127.0.0.1:53122". */
  readonly peer: string;
  /**
   * Who is calling: set by the `authenticate` interceptor; before it (or
   * without it) the anonymous caller of the default namespace.
   */
  readonly principal: Principal;
}

/** A {@link HandlerContext} together with the hook that releases its timer and listener. */
export interface CallScope {
  readonly context: HandlerContext;
  /** Releases the deadline timer and the cancel listener; call once the call has ended. */
  dispose(): void;
}

// setTimeout cannot wait longer than 2^31-1 ms (~24.8 days); a longer deadline never fires in practice.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Creates the context of one grpc-js call; the caller must `dispose()` it when the call ends. */
export function createCallScope(call: SurfaceCall, method: DescMethod): CallScope {
  const controller = new AbortController();
  const deadline = deadlineOf(call);

  const onCancel = () => controller.abort(new DOMException("the client cancelled the call", "AbortError"));
  call.once("cancelled", onCancel);
  if (call.cancelled) onCancel();

  // grpc-js answers DEADLINE_EXCEEDED by itself but does not always tell the
  // handler; this timer does (test: "a client deadline aborts ctx.signal").
  let timer: NodeJS.Timeout | undefined;
  if (deadline) {
    const ms = Math.max(0, deadline.getTime() - Date.now());
    if (ms <= MAX_TIMER_MS) {
      timer = setTimeout(() => controller.abort(new DOMException("the deadline passed", "TimeoutError")), ms);
      timer.unref();
    }
  }

  const requestId = call.metadata.get("x-request-id")[0];
  const context: HandlerContext = Object.freeze({
    method,
    signal: controller.signal,
    deadline,
    requestId: typeof requestId === "string" && requestId !== "" ? requestId : undefined,
    metadata: call.metadata,
    peer: call.getPeer(),
    principal: { namespace: DEFAULT_NAMESPACE, kind: "anonymous" } satisfies Principal,
  });
  return {
    context,
    dispose() {
      clearTimeout(timer);
      call.off("cancelled", onCancel);
    },
  };
}

function deadlineOf(call: SurfaceCall): Date | undefined {
  const d = call.getDeadline();
  if (d instanceof Date) return d;
  return Number.isFinite(d) ? new Date(d) : undefined;
}
