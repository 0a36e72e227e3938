/**
 * The console's bridge: every public RPC of RunnerService and PlannerService,
 * served to the browser over the Connect protocol and gRPC-Web, forwarded
 * as-is to the real services over gRPC. Requests, answers and errors (with
 * their kitaru details) pass through unchanged; the console adds its own
 * token and the caller's deadline (capped for unary calls). Nothing else is
 * served: not the runner's internal service, not health or reflection.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { DescMethod, DescMethodServerStreaming, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import { type ConnectRouter, ConnectError, type HandlerContext, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";

/** Where the console forwards calls, and as whom. */
export interface BridgeOptions {
  readonly runnerUrl: string;
  readonly plannerUrl: string;
  /** Sent as `authorization: Bearer <token>` to both services. */
  readonly token?: string | undefined;
  /** A PEM file: the CA of the services' certificates (https:// URLs). */
  readonly caFile?: string | undefined;
  /** Upper bound of a unary call, in milliseconds. */
  readonly timeoutMs: number;
}

/** One upstream service: its HTTP/2 session and gRPC transport. */
interface Upstream {
  readonly session: Http2SessionManager;
  readonly transport: Transport;
}

function readCa(caFile: string | undefined): string | undefined {
  if (caFile === undefined) return undefined;
  try {
    return readFileSync(caFile, "utf8");
  } catch (error) {
    throw new KitaruUsageError(`--ca-file / KITARU_CA_FILE: cannot read '${caFile}': ${(error as Error).message}`);
  }
}

function upstream(url: string, ca: string | undefined): Upstream {
  const session = new Http2SessionManager(url, { idleConnectionTimeoutMs: 60_000 }, ca ? { ca } : {});
  const transport = createGrpcTransport({ baseUrl: url, sessionManager: session, readMaxBytes: 256 * 1024 * 1024, writeMaxBytes: 256 * 1024 * 1024 });
  return { session, transport };
}

/**
 * The service's error as the bridge's own: its code, message and details
 * (kitaru's typed details ride there), without the upstream's response
 * headers, which describe a gRPC response and not this one.
 */
function relayed(error: unknown): unknown {
  if (!(error instanceof ConnectError)) return error;
  const own = new ConnectError(error.rawMessage, error.code);
  own.details.push(...error.details);
  return own;
}

async function* single<T>(message: T): AsyncIterable<T> {
  yield message;
}

/** The bridge: its routes for `connectNodeAdapter`, and how to close its upstream sessions. */
export class ConsoleBridge {
  /** The upstream of each bridged service (RunnerService, PlannerService), and nothing more. */
  readonly #upstreams: ReadonlyMap<DescService, Upstream>;
  readonly #header: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: BridgeOptions) {
    const ca = readCa(options.caFile);
    this.#upstreams = new Map<DescService, Upstream>([
      [RunnerService, upstream(options.runnerUrl, ca)],
      [PlannerService, upstream(options.plannerUrl, ca)],
    ]);
    this.#header = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
    this.#timeoutMs = options.timeoutMs;
  }

  /** Registers a forwarding handler for every method of the bridged services. */
  readonly routes = (router: ConnectRouter): void => {
    for (const [service, { transport }] of this.#upstreams) {
      for (const method of service.methods) this.#forward(router, transport, method);
    }
  };

  #forward(router: ConnectRouter, transport: Transport, method: DescMethod): void {
    const header = this.#header;
    // One generic handler per kind: the descriptors are only known at run time here, hence the casts.
    if (method.methodKind === "unary") {
      const unary = method as DescMethodUnary;
      const cap = this.#timeoutMs;
      router.rpc(method, (async (request: never, context: HandlerContext) => {
        const timeoutMs = Math.min(context.timeoutMs() ?? cap, cap);
        try {
          return (await transport.unary(unary, context.signal, timeoutMs, header, request)).message;
        } catch (error) {
          throw relayed(error);
        }
      }) as never);
    } else if (method.methodKind === "server_streaming") {
      const streaming = method as DescMethodServerStreaming;
      router.rpc(method, async function* (request: never, context: HandlerContext) {
        try {
          const response = await transport.stream(streaming, context.signal, context.timeoutMs(), header, single(request));
          yield* response.message as AsyncIterable<never>;
        } catch (error) {
          throw relayed(error);
        }
      } as never);
    } else {
      throw new Error(`the console cannot bridge ${method.methodKind} RPC ${method.parent.typeName}.${method.name}`);
    }
  }

  /** Closes the connections to the services. */
  close(): void {
    for (const { session } of this.#upstreams.values()) session.abort();
  }
}
