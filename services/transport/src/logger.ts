/**
 * The logger the transport reports to.
 *
 * @module
 */

/**
 * A structured logger: one call per event, a fixed message and fields.
 *
 * The transport only reports failures (`error`: a call ended INTERNAL, with
 * its `cause`) and oddities (`warn`); it never logs per-call traffic.
 */
export interface TransportLogger {
  error(message: string, fields: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields: Readonly<Record<string, unknown>>): void;
  /** What the service does, one line per event (e.g. an execution started or ended); optional. */
  info?(message: string): void;
}

/** The default {@link TransportLogger}: writes to `console.error` / `console.warn`. */
export const consoleLogger: TransportLogger = {
  error: (message, fields) => console.error(message, fields),
  warn: (message, fields) => console.warn(message, fields),
};

/** A console {@link TransportLogger} whose lines start with `[kitaru <service>]` (and end with the fields, if any). */
export function serviceLogger(service: string): TransportLogger {
  const line = (message: string, fields: Readonly<Record<string, unknown>>) =>
    Object.keys(fields).length === 0 ? [`[kitaru ${service}] ${message}`] : [`[kitaru ${service}] ${message}`, fields];
  return {
    error: (message, fields) => console.error(...line(message, fields)),
    warn: (message, fields) => console.warn(...line(message, fields)),
    info: (message) => console.log(`[kitaru ${service}] ${message}`),
  };
}
