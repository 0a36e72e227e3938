import { MongoError } from "mongodb";
import { StoreUnavailableError } from "./store-errors.ts";

/**
 * Node's codes of a socket that failed or was closed under a write. The
 * driver wraps most of them in a `MongoNetworkError`, but not all: a command
 * written to a connection the server has just closed can reject with Node's
 * own `EPIPE` error (seen when the database is killed under load).
 */
const CONNECTION_LOST_CODES: ReadonlySet<string> = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTCONN",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
]);

/**
 * `error` as the MongoDB store reports it: every driver error (server
 * unreachable, connection lost, a write the server refused), and a Node
 * network error from the driver's sockets, becomes a
 * {@link StoreUnavailableError} with the original as its cause. The
 * duplicate keys the store expects are handled inside its methods and never
 * get here; anything else (an AbortError: the caller gave up) passes through.
 */
export function storeError(error: unknown): unknown {
  if (error instanceof MongoError) {
    return new StoreUnavailableError(`MongoDB failed (${error.name}: ${error.message})`, { cause: error, diskFull: isDiskFull(error) });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === "string" && CONNECTION_LOST_CODES.has(code)) {
    return new StoreUnavailableError(`MongoDB connection lost (${code}: ${error.message})`, { cause: error });
  }
  return error;
}

/** MongoDB's code for a write refused because its disk is full (`OutOfDiskSpace`). */
const OUT_OF_DISK_SPACE = 14031;

/** A server that could not write for lack of space: its code, or the operating system's words in the message. */
function isDiskFull(error: MongoError): boolean {
  return (
    error.code === OUT_OF_DISK_SPACE ||
    (error as { codeName?: unknown }).codeName === "OutOfDiskSpace" ||
    /no space left on device|disk is full|database or disk is full/i.test(error.message)
  );
}
