/**
 * Connection settings and the HTTP/2 gRPC transports of a client.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import { defaultServiceUrl } from "#contract/service-addresses.ts";
import { createHttp2GrpcTransport } from "#contract/wire/grpc-http2-transport.ts";
import { explainConnectionFailures } from "./connection-failures.ts";

/** The runner URL used when neither the option nor `KITARU_RUNNER_URL` is set. */
export const DEFAULT_RUNNER_URL = defaultServiceUrl("runner");
/** The planner URL used when neither the option nor `KITARU_PLANNER_URL` is set. */
export const DEFAULT_PLANNER_URL = defaultServiceUrl("planner");

/** Where a client connects and how it authenticates. */
export interface KitaruClientOptions {
  /** PlannerService base URL; default `KITARU_PLANNER_URL`, then {@link DEFAULT_PLANNER_URL}. */
  readonly plannerUrl?: string | undefined;
  /** RunnerService base URL; default `KITARU_RUNNER_URL`, then {@link DEFAULT_RUNNER_URL}. */
  readonly runnerUrl?: string | undefined;
  /** Sent as `authorization: Bearer <token>` on every call; default `KITARU_TOKEN` (none when unset). */
  readonly token?: string | undefined;
  /** PEM file of the CA that signed the services' certificates (https:// URLs); default `KITARU_CA_FILE`, then the system's CAs. */
  readonly caFile?: string | undefined;
  /** PEM files of a client certificate and its key, for services requiring mTLS; default `KITARU_CLIENT_CERT` / `KITARU_CLIENT_KEY`. */
  readonly clientCertFile?: string | undefined;
  readonly clientKeyFile?: string | undefined;
}

/** TLS material for https:// connections; every field optional. */
export interface ClientTls {
  readonly caFile?: string | undefined;
  readonly clientCertFile?: string | undefined;
  readonly clientKeyFile?: string | undefined;
}

/** The options with every default applied. */
export interface ResolvedConnection {
  readonly plannerUrl: string;
  readonly runnerUrl: string;
  readonly token: string | undefined;
  readonly tls: ClientTls;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function checkUrl(option: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KitaruUsageError(`\`${option}\` must be an http:// or https:// URL. Received: '${url}'.`, {
      metadata: { option, url },
    });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new KitaruUsageError(`\`${option}\` must be an http:// or https:// URL. Received: '${url}'.`, {
      metadata: { option, url },
    });
  }
  return url;
}

/**
 * The longest token sent: the services refuse request headers above 16 KiB
 * with details, and beyond ~64 KiB the HTTP/2 layer closes the connection
 * before any gRPC code sees the call (the client then reports only
 * "RST_STREAM"), so a longer token is refused here, naming the setting.
 */
const MAX_TOKEN_CHARS = 8192;

function checkToken(token: string | undefined, option: string): string | undefined {
  if (token === undefined || token.length <= MAX_TOKEN_CHARS) return token;
  throw new KitaruUsageError(
    `\`${option}\` is ${token.length} characters; a token is at most ${MAX_TOKEN_CHARS} (it travels in a request header, and the services refuse headers above 16 KiB).`,
    {
      metadata: { option, chars: String(token.length) },
      violations: [{ field: option, description: `must be at most ${MAX_TOKEN_CHARS} characters; got ${token.length}` }],
    },
  );
}

/** Applies the defaults: explicit option, then environment variable, then the local default. */
export function resolveConnection(options: KitaruClientOptions = {}, env: Readonly<Record<string, string | undefined>> = process.env): ResolvedConnection {
  return {
    plannerUrl: checkUrl("plannerUrl", nonEmpty(options.plannerUrl) ?? nonEmpty(env["KITARU_PLANNER_URL"]) ?? DEFAULT_PLANNER_URL),
    runnerUrl: checkUrl("runnerUrl", nonEmpty(options.runnerUrl) ?? nonEmpty(env["KITARU_RUNNER_URL"]) ?? DEFAULT_RUNNER_URL),
    token: checkToken(nonEmpty(options.token) ?? nonEmpty(env["KITARU_TOKEN"]), nonEmpty(options.token) ? "token" : "KITARU_TOKEN"),
    tls: {
      caFile: nonEmpty(options.caFile) ?? nonEmpty(env["KITARU_CA_FILE"]),
      clientCertFile: nonEmpty(options.clientCertFile) ?? nonEmpty(env["KITARU_CLIENT_CERT"]),
      clientKeyFile: nonEmpty(options.clientKeyFile) ?? nonEmpty(env["KITARU_CLIENT_KEY"]),
    },
  };
}

function readPem(file: string | undefined, what: string): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new KitaruUsageError(`Cannot read the ${what} '${file}': ${(error as Error).message}`, { metadata: { file } });
  }
}

/** An interceptor adding `authorization: Bearer <token>` to every request. */
function bearerAuth(token: string): Interceptor {
  return (next) => async (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

/** A gRPC transport over one HTTP/2 session that {@link GrpcConnection.close} ends. */
export interface GrpcConnection {
  readonly transport: Transport;
  /** Closes the HTTP/2 session and fails calls still in flight. */
  close(): void;
}

/** Opens (lazily, on the first call) a gRPC-over-HTTP/2 connection to `baseUrl`; TLS for https:// URLs. */
export function openGrpcConnection(service: "runner" | "planner", baseUrl: string, token: string | undefined, tls: ClientTls = {}): GrpcConnection {
  const ca = readPem(tls.caFile, "CA file (KITARU_CA_FILE)");
  const cert = readPem(tls.clientCertFile, "client certificate (KITARU_CLIENT_CERT)");
  const key = readPem(tls.clientKeyFile, "client key (KITARU_CLIENT_KEY)");
  const sessionManager = new Http2SessionManager(baseUrl, undefined, { ...(ca ? { ca } : {}), ...(cert ? { cert, key } : {}) });
  const auth = token === undefined ? [] : [bearerAuth(token)];
  // The probes that explain a failed connection go over the same session, unexplained themselves.
  const probe = createGrpcTransport({ baseUrl, sessionManager, interceptors: auth });
  const transport = createHttp2GrpcTransport({ baseUrl, sessionManager, interceptors: [explainConnectionFailures(service, baseUrl, probe), ...auth] });
  return { transport, close: () => sessionManager.abort() };
}
