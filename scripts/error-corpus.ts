/**
 * Writes the golden error corpus, test/fixtures/errors/: for every error
 * reason, the `grpc-status-details-bin` bytes a kitaru service sends for one
 * error of that reason (`<REASON>.bin`, a serialized `google.rpc.Status`:
 * code, message, ErrorInfo and typed details, from `errorToStatus`) and what
 * a client must read from them (`<REASON>.json`: class, code, message,
 * metadata and the class's fields). The TS, Python and Go clients' tests
 * decode every file (test/contract/error-corpus.test.ts,
 * clients/python/tests/test_error_corpus.py,
 * clients/go/kitaru/error_corpus_test.go), so a reason added here fails each
 * of them until that client decodes it. `--check` only compares and exits 1
 * when the files are stale; the TS test does too.
 *
 *   node --conditions=kitaru-source --import tsx scripts/error-corpus.ts [--check]
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { toBinary } from "@bufbuild/protobuf";
import {
  type ErrorReasonValue,
  errorToStatus,
  KitaruAuthError,
  KitaruBackendError,
  KitaruContextError,
  KitaruDivergenceError,
  type KitaruError,
  KitaruExecutionError,
  KitaruInternalError,
  KitaruNotFoundError,
  KitaruPermissionError,
  KitaruStateError,
  KitaruUsageError,
  KitaruUserCodeError,
  KitaruWaitValidationError,
} from "#contract/errors/index.ts";
import { Code } from "#gen/google/rpc/code_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";

/** Where the corpus lives. */
export const CORPUS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test/fixtures/errors");

const divergence = {
  execId: "kr-replay",
  sourceExecId: "kr-source",
  invocationId: "publish",
  kind: "order_changed",
  recorded: "call 'publish' after 'draft'",
  seen: "call 'review' after 'draft'",
  recordedDependencies: ["draft"],
  seenDependencies: ["draft", "review"],
} as const;

/**
 * One error of each reason, with every field its class has set to a value
 * that is not its default (so a client that drops a field fails). A reason
 * added to `ErrorReason` fails the type check here until it has one.
 */
const samples: { readonly [R in ErrorReasonValue]: KitaruError } = {
  KITARU_USAGE_ERROR: new KitaruUsageError("Replay args for execution 'kr-1' must hold JSON values: topic: must be a JSON value, not undefined.", {
    metadata: { execId: "kr-1", fields: "topic,tags.1" },
    violations: [
      { field: "topic", description: "must be a JSON value, not undefined" },
      { field: "tags.1", description: "must be a JSON value, not a function" },
    ],
  }),
  KITARU_WAIT_VALIDATION_ERROR: new KitaruWaitValidationError("Wait input failed validation for 'approval' on execution 'kr-2': approved: expected boolean.", {
    metadata: { execId: "kr-2", wait: "approval" },
    execId: "kr-2",
    waitName: "approval",
    waitId: "w-approval",
    violations: [{ field: "approved", description: "expected boolean, received string" }],
  }),
  KITARU_CONTEXT_ERROR: new KitaruContextError("checkpoint() was called outside a flow.", {
    metadata: { what: "checkpoint" },
    violations: [{ field: "", description: "must be called inside a flow body" }],
  }),
  KITARU_STATE_ERROR: new KitaruStateError("Selector 'step' matches 2 calls of execution 'kr-3'; use an invocation ID.", {
    metadata: { execId: "kr-3", selector: "step" },
    selector: {
      selector: "step",
      source: "from",
      candidates: [
        { name: "step", invocationId: "step", callId: "c-1" },
        { name: "step", invocationId: "step_2", callId: "c-2" },
      ],
      availableNames: ["step", "publish"],
    },
    state: { execId: "kr-3", status: "completed", operation: "replay" },
    waitSelection: { execId: "kr-3", selector: "approval", availableWaitNames: ["approval", "review"], matchingWaitIds: ["w-1", "w-2"] },
  }),
  KITARU_NOT_FOUND: new KitaruNotFoundError("Execution 'kr-4' was not found.", {
    metadata: { execId: "kr-4" },
    resourceType: "execution",
    resourceName: "kr-4",
  }),
  KITARU_EXECUTION_ERROR: new KitaruExecutionError("Execution 'kr-5' was cancelled.", {
    metadata: { execId: "kr-5" },
    execId: "kr-5",
    status: "cancelled",
    failure: { origin: "runtime", message: "cancelled by a caller", exceptionType: "CancelledError", invocationId: "wait_for_review" },
  }),
  KITARU_USER_CODE_ERROR: new KitaruUserCodeError("Execution 'kr-6' failed: checkpoint 'research' threw TypeError: bad input.", {
    metadata: { execId: "kr-6", invocationId: "research" },
    execId: "kr-6",
    status: "failed",
    failure: { origin: "user_code", message: "bad input", exceptionType: "TypeError", invocationId: "research" },
  }),
  KITARU_DIVERGENCE_ERROR: new KitaruDivergenceError("Execution 'kr-replay' diverged at 'publish': the call order changed.", {
    metadata: { execId: "kr-replay", invocationId: "publish" },
    execId: "kr-replay",
    status: "failed",
    failure: { origin: "divergence", message: "the call order changed", exceptionType: "KitaruDivergenceError", invocationId: "publish", divergence },
    detail: divergence,
  }),
  KITARU_BACKEND_ERROR: new KitaruBackendError("The runner's database is unavailable (connection refused). Retry later.", {
    metadata: { method: "GetExecution", databaseError: "MongoNetworkError" },
  }),
  KITARU_UNAUTHENTICATED: new KitaruAuthError("A bearer token is required.", { metadata: { header: "authorization" } }),
  KITARU_PERMISSION_DENIED: new KitaruPermissionError("A namespace token may not call RunnerInternalService.", {
    metadata: { method: "GetCallGraph", namespace: "team-a" },
  }),
  KITARU_INTERNAL_ERROR: new KitaruInternalError("Stored data is missing or unreadable: chunk 0 of blob-1 is missing.", {
    metadata: { method: "GetExecution" },
  }),
};

/** What a client must read from an error's status: the same in every language (lowerCamel names, JSON values). */
export interface ErrorView {
  readonly reason: string;
  /** The class name (Go's type is this without the `Kitaru` prefix). */
  readonly class: string;
  /** The gRPC status code's name, e.g. `INVALID_ARGUMENT`. */
  readonly code: string;
  readonly message: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** The class's own fields as JSON (a field without a value left out). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The view of a TS error, and the status code it travels with. */
export function errorView(error: KitaruError, code: Code): ErrorView {
  const { metadata, ...fields } = Object.fromEntries(Object.entries(error)) as { metadata: Record<string, string> } & Record<string, unknown>;
  return {
    reason: error.reason,
    class: error.name,
    code: Code[code],
    message: error.message,
    metadata: { ...metadata },
    fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown>,
  };
}

/** One corpus entry: the bytes of `<reason>.bin` and the view of `<reason>.json`. */
export interface CorpusEntry {
  readonly reason: ErrorReasonValue;
  readonly bytes: Uint8Array;
  readonly view: ErrorView;
  /** The error it was made from. */
  readonly error: KitaruError;
}

/** The corpus as this checkout's error classes and wire mapping make it. */
export function errorCorpus(): CorpusEntry[] {
  return (Object.entries(samples) as [ErrorReasonValue, KitaruError][]).map(([reason, error]) => {
    if (error.reason !== reason) throw new Error(`the sample of ${reason} is a ${error.name} (${error.reason})`);
    const status = errorToStatus(error);
    return { reason, bytes: toBinary(StatusSchema, status.details), view: errorView(error, status.code), error };
  });
}

/** The files of the corpus: name → content. */
export function corpusFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const { reason, bytes, view } of errorCorpus()) {
    files.set(`${reason}.bin`, Buffer.from(bytes));
    files.set(`${reason}.json`, Buffer.from(`${JSON.stringify(view, null, 2)}\n`));
  }
  return files;
}

/** The corpus files now in the directory (README.md aside). */
export function checkedInFiles(): Map<string, Buffer> {
  const names = readdirSync(CORPUS_DIR).filter((name) => name.endsWith(".bin") || name.endsWith(".json"));
  return new Map(names.map((name) => [name, readFileSync(path.join(CORPUS_DIR, name))]));
}

/** The names of the files that differ from what this checkout makes (JSON compared as values: the formatter may lay it out), and of files it does not make. */
export function staleFiles(wanted: ReadonlyMap<string, Buffer>, current: ReadonlyMap<string, Buffer>): { stale: string[]; extra: string[] } {
  const same = (name: string, a: Buffer, b: Buffer | undefined) =>
    b !== undefined && (name.endsWith(".json") ? isDeepStrictEqual(JSON.parse(a.toString("utf8")), JSON.parse(b.toString("utf8"))) : a.equals(b));
  return {
    stale: [...wanted].filter(([name, content]) => !same(name, content, current.get(name))).map(([name]) => name),
    extra: [...current.keys()].filter((name) => !wanted.has(name)),
  };
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const wanted = corpusFiles();
  const current = checkedInFiles();
  const { stale, extra } = staleFiles(wanted, current);
  if (process.argv.includes("--check")) {
    if (stale.length > 0 || extra.length > 0) {
      console.error(
        `test/fixtures/errors is stale (${[...stale, ...extra].join(", ")}): run node --conditions=kitaru-source --import tsx scripts/error-corpus.ts`,
      );
      process.exit(1);
    }
  } else {
    for (const name of extra) rmSync(path.join(CORPUS_DIR, name));
    for (const name of stale) writeFileSync(path.join(CORPUS_DIR, name), wanted.get(name) as Buffer);
    console.log(`test/fixtures/errors: ${stale.length} written, ${extra.length} removed`);
  }
}
