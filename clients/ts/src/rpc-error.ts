/**
 * The one path from a failed RPC to a typed kitaru error.
 *
 * Every call the client makes goes through {@link callRpc} or
 * {@link streamRpc}, so callers only ever see `KitaruError` subclasses,
 * decoded from the `google.rpc.Status` details (never from the message).
 *
 * @module
 */
import { ConnectError } from "@connectrpc/connect";
import { KitaruError } from "#contract/errors/kitaru-error.ts";
import { errorFromConnectError } from "#contract/errors/wire.ts";

/**
 * `error` as a kitaru error: kitaru errors pass through (also when connect
 * wrapped one an interceptor threw, see connection-failures.ts), everything
 * else is decoded as a ConnectError.
 */
function toKitaruError(error: unknown): KitaruError {
  if (KitaruError.isKitaruError(error)) return error;
  if (error instanceof ConnectError && KitaruError.isKitaruError(error.cause)) return error.cause;
  return errorFromConnectError(ConnectError.from(error));
}

/** Runs one unary call and rethrows its failure as a kitaru error. */
export async function callRpc<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toKitaruError(error);
  }
}

/** Yields a server stream's messages and rethrows its failure as a kitaru error. */
export async function* streamRpc<T>(open: () => AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  try {
    for await (const message of open()) yield message;
  } catch (error) {
    throw toKitaruError(error);
  }
}
