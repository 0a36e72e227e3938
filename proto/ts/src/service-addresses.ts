/**
 * Where kitaru's services listen, and where clients look for them, when
 * nothing says otherwise: one place for the services' settings, the
 * console's and the TS client's defaults. (The Python and Go clients and the
 * docs state the same values.)
 *
 * @module
 */

/** The interface a service listens on by default: loopback only. */
export const DEFAULT_HOST = "127.0.0.1";

/** Each service's default port. */
export const DEFAULT_PORTS = { runner: 50051, planner: 50052, console: 50053 } as const;

/** The URL of a service on its default host and port, e.g. `http://127.0.0.1:50051`. */
export function defaultServiceUrl(service: keyof typeof DEFAULT_PORTS): string {
  return `http://${DEFAULT_HOST}:${DEFAULT_PORTS[service]}`;
}
