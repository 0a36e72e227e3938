/**
 * Why `MongoExecutionStore.connect` failed, as one of a few causes a person
 * can act on (nothing listens there, the name does not resolve, something
 * that is not MongoDB answered, no answer in time, authentication, TLS, a
 * malformed URI), so the runner can say what to fix without matching driver
 * error names itself.
 *
 * @module
 */
import { MongoAPIError, MongoParseError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { StoreUnavailableError } from "./store-errors.ts";

/** What went wrong when connecting. */
export type StoreConnectProblem =
  /** Nothing listens at the address (ECONNREFUSED). */
  | "refused"
  /** The host name does not resolve (DNS, SRV record). */
  | "dns"
  /** The server accepted the connection and closed it: probably not a MongoDB server. */
  | "closed"
  /** No answer within the timeout. */
  | "timeout"
  /** Credentials refused or missing. */
  | "auth"
  /** The TLS handshake failed. */
  | "tls"
  /** The connection string is malformed. */
  | "uri"
  | "other";

/** The store could not connect to its server; `problem` says why, `detail` is the driver's word for it (no credentials). */
export class StoreConnectError extends StoreUnavailableError {
  readonly problem: StoreConnectProblem;
  readonly detail: string;
  /** The servers of the connection string (host:port, or the SRV name), without credentials. */
  readonly hosts: string;
  readonly timeoutMs: number;

  constructor(problem: StoreConnectProblem, detail: string, hosts: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`MongoDB at ${hosts}: ${problem} (${detail})`, options);
    this.problem = problem;
    this.detail = detail;
    this.hosts = hosts;
    this.timeoutMs = timeoutMs;
  }
}

/** The host list of a MongoDB connection string, without user and password. */
function mongoHosts(uri: string): string {
  const rest = uri.replace(/^mongodb(\+srv)?:\/\//, "");
  const beforeQuery = rest.split("?", 1)[0] ?? rest;
  // "@" cannot appear unencoded after the credentials: the last one ends them.
  const hostsAndPath = beforeQuery.slice(beforeQuery.lastIndexOf("@") + 1);
  return hostsAndPath.split("/", 1)[0] || "(no host)";
}

/** `text` without the connection string's credentials (drivers rarely echo them; a parse error might). */
function redact(text: string, uri: string): string {
  const credentials = /^mongodb(?:\+srv)?:\/\/([^@]*)@/.exec(uri.split("?", 1)[0] ?? uri)?.[1];
  if (!credentials) return text;
  let out = text
    .split(uri)
    .join(uri.replace(`${credentials}@`, "***@"))
    .split(`${credentials}@`)
    .join("***@");
  // The password alone, unless it is so short that hiding it would garble the text (and tell little).
  const password = credentials.slice(credentials.indexOf(":") + 1);
  if (credentials.includes(":") && password.length >= 4) out = out.split(password).join("***");
  return out;
}

/** Every message and system code in an error, its causes and, for server selection, each server's last error. */
function evidence(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown) => {
    if (!(e instanceof Error) || seen.has(e)) return;
    seen.add(e);
    parts.push(e.message, String((e as NodeJS.ErrnoException).code ?? ""));
    visit(e.cause);
    if (e instanceof MongoServerSelectionError) for (const server of e.reason?.servers.values() ?? []) visit(server.error);
  };
  visit(error);
  return parts.join(" ");
}

/** The {@link StoreConnectError} for a failed connect to `uri` (`problem` when the caller knows it: "uri" for a client that could not be built). */
export function mongoConnectError(error: unknown, uri: string, timeoutMs: number, problem?: StoreConnectProblem): StoreConnectError {
  const hosts = mongoHosts(uri);
  const detail = redact(error instanceof Error ? error.message : String(error), uri);
  const make = (problem: StoreConnectProblem) => new StoreConnectError(problem, detail, hosts, timeoutMs, { cause: error });
  if (problem !== undefined) return make(problem);
  // mongodb-connection-string-url throws its own MongoParseError class: matched by name too.
  if (error instanceof MongoParseError || error instanceof MongoAPIError || (error instanceof Error && error.name === "MongoParseError")) return make("uri");
  // 18 AuthenticationFailed: wrong credentials; 13 Unauthorized: the server requires credentials the URI does not give.
  if (error instanceof MongoServerError && (error.code === 18 || error.code === 13)) return make("auth");
  const text = evidence(error);
  if (/ECONNREFUSED/.test(text)) return make("refused");
  if (/ENOTFOUND|EAI_AGAIN|ESERVFAIL|ENODATA|querySrv|getaddrinfo/.test(text)) return make("dns");
  if (/SSL|TLS|certificate|EPROTO/i.test(text)) return make("tls");
  if (/Authentication failed|AuthenticationFailed/i.test(text)) return make("auth");
  if (/\bclosed\b|ECONNRESET|EPIPE/.test(text)) return make("closed");
  if (/timed out|ETIMEDOUT/i.test(text)) return make("timeout");
  return make("other");
}
