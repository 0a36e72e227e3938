/**
 * Why a service could not listen where it was told to, in words that name
 * the setting that fixes it: a port already in use, a privileged port, a
 * host that is no address of this machine.
 *
 * `startGrpcServer` checks the address with a plain TCP listen before grpc-js
 * binds it (grpc-js reports a taken port as "No address added out of total 1
 * resolved" and logs that line itself), and turns a bind failure that still
 * happens (a race) into the same {@link ListenAddressError}.
 *
 * @module
 */
import net from "node:net";
import { KitaruUsageError } from "#contract/errors/index.ts";
import type { SettingSource } from "./service-config.ts";

/** The service could not listen on `host:port`; `code` is the system's (EADDRINUSE, EACCES, EADDRNOTAVAIL, ENOTFOUND, ...). */
export class ListenAddressError extends Error {
  override readonly name = "ListenAddressError";
  readonly code: string;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, code: string, options?: { cause?: unknown }) {
    super(`cannot listen on ${host}:${port} (${code})`, options);
    this.host = host;
    this.port = port;
    this.code = code;
  }
}

/**
 * Listens on `host:port` and closes again at once: rejects with a
 * {@link ListenAddressError} when the service could not bind there. With
 * port 0 (any free port) only the host is checked.
 */
export function checkListenAddress(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) => reject(new ListenAddressError(host, port, error.code ?? "EUNKNOWN", { cause: error })));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The {@link ListenAddressError} behind a grpc-js bind failure ("... errors: [listen EADDRINUSE: ...]"), if it names a system code. */
export function listenErrorFromBind(error: unknown, host: string, port: number): ListenAddressError | undefined {
  const code = /\b(E[A-Z]{3,})\b/.exec(error instanceof Error ? error.message : String(error))?.[1];
  return code === undefined ? undefined : new ListenAddressError(host, port, code, { cause: error });
}

/** The settings of a service that a listen failure points at. */
export interface ListenSettings {
  /** "runner" or "planner". */
  readonly service: string;
  readonly host?: SettingSource | undefined;
  readonly port?: SettingSource | undefined;
}

function named(source: SettingSource | undefined, fallback: string): string {
  return source === undefined ? fallback : `--${source.flag} / ${source.env}`;
}

/**
 * The {@link ListenAddressError} as a usage error naming the setting that
 * fixes it, e.g. "port 50051 on 127.0.0.1 is already in use (another kitaru
 * runner?): stop it or choose another with --port / KITARU_RUNNER_PORT".
 */
export function explainListenError(error: ListenAddressError, settings: ListenSettings): KitaruUsageError {
  const port = named(settings.port, "--port");
  const host = named(settings.host, "--host");
  const where = `port ${error.port} on ${error.host}`;
  let message: string;
  switch (error.code) {
    case "EADDRINUSE":
      message = `${where} is already in use (another kitaru ${settings.service}?): stop it or choose another with ${port}`;
      break;
    case "EACCES":
    case "EPERM":
      message = `${where} may not be used by this user (ports below 1024 need privileges): choose another with ${port}`;
      break;
    case "EADDRNOTAVAIL":
      message = `${error.host} is not an address of this machine: listen on one of its interfaces (127.0.0.1, or 0.0.0.0 for all) with ${host}`;
      break;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      message = `the host name ${error.host} does not resolve: listen on an address of this machine (127.0.0.1, or 0.0.0.0 for all) with ${host}`;
      break;
    default:
      message = `cannot listen on ${where} (${error.code}): check ${host} and ${port}`;
  }
  return new KitaruUsageError(message, { metadata: { host: error.host, port: String(error.port), code: error.code }, cause: error });
}
