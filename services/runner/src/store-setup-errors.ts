/**
 * The runner's start-up message when its MongoDB store cannot be opened:
 * the servers of the URI (never its password), the cause a person can act
 * on, the setting (`--mongodb-uri / MONGODB_URI`) and that without it the
 * embedded store is used.
 *
 * @module
 */
import { KitaruBackendError, KitaruUsageError, type KitaruError } from "#contract/errors/index.ts";
import { StoreConnectError } from "./store/mongo-connect-error.ts";
import { ForeignStoreFileError } from "./store/store-errors.ts";

const URI_SETTING = "--mongodb-uri / MONGODB_URI";

/** What each cause means and what to do about it. */
function causeAndFix(error: StoreConnectError): { cause: string; fix: string } {
  const seconds = `${Math.round(error.timeoutMs / 100) / 10} s`;
  switch (error.problem) {
    case "refused":
      return { cause: "connection refused: nothing listens there", fix: "Start MongoDB, or correct the host and port in the URI" };
    case "dns":
      return { cause: `the host name does not resolve (${error.detail})`, fix: "Correct the host in the URI" };
    case "closed":
      return {
        cause: "the server closed the connection: it does not speak the MongoDB protocol",
        fix: "Correct the port in the URI: it points at another service (a kitaru runner or planner?)",
      };
    case "timeout":
      return { cause: `no answer within ${seconds}`, fix: "Check that the server is up and reachable from here (address, port, firewall)" };
    case "auth":
      return { cause: `authentication failed (${error.detail})`, fix: "Check the user, the password and authSource in the URI" };
    case "tls":
      return { cause: `TLS failed (${error.detail})`, fix: "Check the URI's TLS options (tls=true, tlsCAFile=...)" };
    case "uri":
      return { cause: `the URI is invalid (${error.detail})`, fix: "Write it as mongodb://[user:password@]host[:port]/ or mongodb+srv://host/" };
    default:
      return { cause: error.detail, fix: "Check the URI and the server" };
  }
}

/**
 * `error` as the runner reports it at start: a {@link StoreConnectError}
 * becomes a kitaru error naming the servers, the cause and the setting (a
 * usage error for a bad URI or credentials, a backend error otherwise);
 * anything else is returned as is.
 */
export function explainStoreConnectError(error: unknown): unknown {
  if (!(error instanceof StoreConnectError)) return error;
  const { cause, fix } = causeAndFix(error);
  const message =
    `cannot connect to MongoDB at ${error.hosts} (${URI_SETTING}): ${cause}. ` +
    `${fix}; or unset ${URI_SETTING} to keep executions in the embedded SQLite store (--db-path).`;
  const options = { metadata: { hosts: error.hosts, problem: error.problem }, cause: error };
  const explained: KitaruError =
    error.problem === "uri" || error.problem === "auth" ? new KitaruUsageError(message, options) : new KitaruBackendError(message, options);
  return explained;
}

/**
 * `error` as the runner reports it when its SQLite file cannot be used: a
 * {@link ForeignStoreFileError} becomes a usage error naming the file, what
 * is in it and the setting; anything else is returned as is.
 */
export function explainSqliteOpenError(error: unknown): unknown {
  if (!(error instanceof ForeignStoreFileError)) return error;
  return new KitaruUsageError(
    `${error.message} kitaru changed nothing in it. Give the runner a file of its own with --db-path / KITARU_DB_PATH ` +
      "(a new path: kitaru creates it), or --mongodb-uri / MONGODB_URI for MongoDB.",
    { metadata: { dbPath: error.file, tables: error.tables.join(",") }, cause: error },
  );
}
