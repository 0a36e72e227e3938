/**
 * The client's one place that turns a failed connection into an error that
 * names the cause and the setting that fixes it (`#contract/connection-failure.ts`
 * finds the cause): a service that is not running, the other service's URL,
 * `https://` against a plaintext port and the reverse, an untrusted
 * certificate.
 *
 * @module
 */
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { describeConnectionFailure, diagnoseConnectionFailure, type ConnectionFailure } from "#contract/connection-failure.ts";
import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";

/**
 * An interceptor that explains connection failures of calls to the kitaru
 * `service` at `baseUrl`, with `probe` (a transport to the same URL) to ask
 * what answers there.
 *
 * A service that cannot be reached stays UNAVAILABLE (a `KitaruBackendError`:
 * it may be started), with a message naming the URL and `KITARU_<SERVICE>_URL`.
 * The other failures are the caller's settings, which no retry fixes: they
 * become a `KitaruUsageError` naming the URL and the setting (the wrong
 * service's name, `http://` or `https://`, `KITARU_CA_FILE`). Errors a kitaru
 * service sent (with details) pass through untouched, as do successful calls.
 */
export function explainConnectionFailures(service: "runner" | "planner", baseUrl: string, probe: Transport): Interceptor {
  const settings = { urlSetting: `KITARU_${service.toUpperCase()}_URL (or ${service}Url)`, caSetting: "KITARU_CA_FILE (or caFile)" };
  const explain = async (error: unknown, signal: AbortSignal): Promise<unknown> => {
    const failure = await diagnoseConnectionFailure(error, { url: baseUrl, expected: service, probe, signal });
    if (failure === undefined || !(error instanceof ConnectError)) return error;
    return explained(failure, describeConnectionFailure(failure, settings), error);
  };
  return (next) => async (request) => {
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: explainStream(response.message, (error) => explain(error, request.signal)) };
    } catch (error) {
      throw await explain(error, request.signal);
    }
  };
}

function explained(failure: ConnectionFailure, message: string, error: ConnectError): Error {
  // Still UNAVAILABLE: decoded as KitaruBackendError, retried where calls retry.
  if (failure.kind === "unreachable") return new ConnectError(message, Code.Unavailable, error.metadata, undefined, error);
  // rpc-error.ts takes a kitaru error out of the ConnectError connect wraps it in.
  return new KitaruUsageError(message, { metadata: { url: failure.url, problem: failure.kind, grpcCode: Code[error.code] }, cause: error });
}

/** A stream's messages; a failure while reading them is explained too. */
async function* explainStream<T>(messages: AsyncIterable<T>, explain: (error: unknown) => Promise<unknown>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw await explain(error);
  }
}
