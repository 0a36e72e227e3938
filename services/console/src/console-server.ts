/**
 * The console process's server: one HTTP/1.1 listener serving the page and
 * the bridged RPCs (Connect protocol and gRPC-Web) on the same origin.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRegistry } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { file_google_rpc_error_details } from "#gen/google/rpc/error_details_pb.ts";
import { file_kitaru_errors_v1_errors } from "#gen/kitaru/errors/v1/errors_pb.ts";
import { isLoopback } from "../../transport/src/server-security.ts";
import { type BridgeOptions, ConsoleBridge } from "./bridge.ts";
import { PageAssets, pageDirectory } from "./page-assets.ts";

/** Where the console listens and what it bridges to. */
export interface ConsoleOptions extends BridgeOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Host names besides loopback ones the page may be reached by (comma-separated, or a list). */
  readonly allowedHosts?: string | readonly string[] | undefined;
  /** The built page; default: built now (sources) or the package's dist/console/. */
  readonly pageDirectory?: string;
}

/** A running console. */
export interface RunningConsole {
  /** `host:port` it listens on. */
  readonly address: string;
  /** The page's URL. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Refuses requests another site could make through the browser: one whose
 * Host is neither a loopback name nor an allowed one (DNS rebinding), and one
 * whose Origin is not the console's own (cross-site).
 */
function foreignRequest(request: IncomingMessage, allowedHosts: ReadonlySet<string>): string | undefined {
  const host = request.headers.host ?? "";
  const hostname = host.replace(/:\d+$/, "");
  if (!isLoopback(hostname) && !allowedHosts.has(hostname.toLowerCase())) return `host ${hostname} is not allowed (--allowed-hosts)`;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return "malformed origin";
    }
    if (originHost !== host) return `origin ${origin} is not the console`;
  }
  return undefined;
}

/** Starts the console: serves the page and bridges its calls to the runner and planner. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const assets = new PageAssets(options.pageDirectory ?? (await pageDirectory()));
  const bridge = new ConsoleBridge(options);
  const handler = connectNodeAdapter({
    routes: bridge.routes,
    // The listener is HTTP/1.1 (node:http), so the fallback sees its request and response types.
    fallback: (request, response) => assets.serve(request as IncomingMessage, response as ServerResponse),
    // The page sends binary Connect messages; JSON is accepted too (curl, other clients). A
    // google.rpc.Status inside a message (a replay job's refused source) carries kitaru's error
    // details as Any: JSON needs their types to write them.
    readMaxBytes: 64 * 1024 * 1024,
    jsonOptions: { registry: createRegistry(file_google_rpc_error_details, file_kitaru_errors_v1_errors) },
  });
  const listed = typeof options.allowedHosts === "string" ? options.allowedHosts.split(",") : (options.allowedHosts ?? []);
  const allowedHosts = new Set(listed.map((name) => name.trim().toLowerCase()).filter(Boolean));
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const refusal = foreignRequest(request, allowedHosts);
    if (refusal !== undefined) {
      response.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end(`forbidden: ${refusal}\n`);
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(":") ? `[${options.host}]` : options.host;
  const address = `${hostForUrl}:${port}`;
  return {
    address,
    url: `http://${address}/`,
    async stop() {
      bridge.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
