/**
 * In-process RunnerService and PlannerService fakes behind real HTTP/2 gRPC
 * servers on port 0, so client tests exercise the transport, headers, error
 * details and close() end to end without the real services.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { errorToStatus } from "#contract/errors/wire.ts";
import type { KitaruError } from "#contract/errors/kitaru-error.ts";

/** A ConnectError carrying exactly the google.rpc.Status details a kitaru service sends for `error`. */
export function wireError(error: KitaruError): ConnectError {
  const status = errorToStatus(error);
  const connectError = new ConnectError(status.message, status.code as number);
  for (const any of status.details.details) {
    connectError.details.push({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value });
  }
  return connectError;
}

/** One recorded call: the method and the request headers. */
export interface SeenCall {
  readonly method: string;
  readonly authorization: string | null;
}

/** A running fake server. */
export interface FakeServer {
  readonly url: string;
  readonly calls: SeenCall[];
  close(): Promise<void>;
}

async function serve(routes: (router: ConnectRouter, calls: SeenCall[]) => void): Promise<FakeServer> {
  const calls: SeenCall[] = [];
  const server = http2.createServer(connectNodeAdapter({ routes: (router) => routes(router, calls) }));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Records each call's method and authorization header, then delegates. */
function recording<T extends object>(impl: T, calls: SeenCall[]): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(impl)) {
    wrapped[name] = (request: unknown, context: HandlerContext) => {
      calls.push({ method: name, authorization: context.requestHeader.get("authorization") });
      return (fn as (r: unknown, c: HandlerContext) => unknown)(request, context);
    };
  }
  return wrapped as T;
}

/** Serves a partial RunnerService; methods left out answer UNIMPLEMENTED. */
export function serveRunner(impl: Partial<ServiceImpl<typeof RunnerService>>): Promise<FakeServer> {
  return serve((router, calls) => router.service(RunnerService, recording(impl, calls)));
}

/** Serves a partial RunnerInternalService (what the planner calls). */
export function serveRunnerInternal(impl: Partial<ServiceImpl<typeof RunnerInternalService>>): Promise<FakeServer> {
  return serve((router, calls) => router.service(RunnerInternalService, recording(impl, calls)));
}

/** Serves a partial PlannerService. */
export function servePlanner(impl: Partial<ServiceImpl<typeof PlannerService>>): Promise<FakeServer> {
  return serve((router, calls) => router.service(PlannerService, recording(impl, calls)));
}
