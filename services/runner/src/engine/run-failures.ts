import { KitaruContextError, KitaruDivergenceError, KitaruError } from "#contract/errors/index.ts";
import type { DivergenceDetail } from "#contract/failure.ts";
import type { FailureRecord, ThrownRecord } from "../store/records.ts";
import { StoreDataLossError, StoreUnavailableError } from "../store/store-errors.ts";

/** Stack traces are kept up to this many characters (the start, where the throw site is). */
const TRACEBACK_LIMIT = 16 * 1024;

// How a run's errors become failure records: origin, exception type and the
// failing call.

/** Marks errors thrown by a checkpoint call with its invocation ID. */
const failingCall = new WeakMap<object, string>();

/** Remembers that `error` came out of checkpoint call `invocationId`. */
export function markFailingCall(error: unknown, invocationId: string): void {
  if (error !== null && typeof error === "object") failingCall.set(error, invocationId);
}

/**
 * The error a run fails with when it diverges: a replay from its source's
 * record, or a run (a resume, a recovery, a retry) from the execution's own
 * record, e.g. by code of another flow version.
 */
export function divergenceError(detail: DivergenceDetail): KitaruDivergenceError {
  const rule = detail.kind.replaceAll("_", " ");
  const ownRecord = detail.sourceExecId === detail.execId;
  const versions =
    detail.flowVersion === undefined ? "" : `, recorded by flow version ${detail.recordedFlowVersion ?? "(unknown)"}, run by ${detail.flowVersion}`;
  const head = ownRecord
    ? `Execution '${detail.execId}' diverged from its own record at '${detail.invocationId}' (${rule}${versions}).`
    : `Replay diverged at '${detail.invocationId}' (${rule}${versions}).`;
  const advice = !ownRecord
    ? "The flow must issue reused checkpoints in the recorded order with the same inputs; replay from an earlier checkpoint or restore the flow code."
    : detail.replayCommand !== undefined
      ? `Run it on code of the recorded flow version, or continue the work on this code with a replay: ${detail.replayCommand}`
      : "Run it on code of the recorded flow version, or restore the flow code.";
  const metadata: Record<string, string> = { execId: detail.execId, sourceExecId: detail.sourceExecId, invocationId: detail.invocationId, kind: detail.kind };
  if (detail.recordedFlowVersion !== undefined) metadata["recordedFlowVersion"] = detail.recordedFlowVersion;
  if (detail.flowVersion !== undefined) metadata["flowVersion"] = detail.flowVersion;
  if (detail.replayCommand !== undefined) metadata["replayCommand"] = detail.replayCommand;
  return new KitaruDivergenceError(`${head} Recorded: ${detail.recorded}. This run: ${detail.seen}. ${advice}`, { execId: detail.execId, detail, metadata });
}

/** The failure record of the error a run ended with. */
export function failureOf(error: unknown): FailureRecord {
  if (error instanceof KitaruDivergenceError) {
    return {
      origin: "divergence",
      message: error.message,
      exceptionType: "KitaruDivergenceError",
      invocationId: error.detail.invocationId,
      divergence: error.detail,
    };
  }
  const invocationId = error !== null && typeof error === "object" ? (failingCall.get(error) ?? "") : "";
  if (error instanceof StoreDataLossError) {
    // Not the user's code, whatever it was doing: data the runner wrote is gone.
    return { origin: "backend", invocationId, ...thrownRecord(error), message: `Stored data is missing or unreadable: ${error.message}` };
  }
  const origin = KitaruError.isKitaruError(error) && invocationId === "" ? "runtime" : "user_code";
  return { origin, invocationId, ...thrownRecord(error) };
}

/** What a thrown value says about itself: message, class name and stack trace. */
export function thrownRecord(error: unknown): ThrownRecord {
  return { message: messageOf(error), exceptionType: typeName(error), traceback: tracebackOf(error) };
}

/** The stack trace of an Error (with its causes), cut to a bounded size; undefined for other thrown values. */
function tracebackOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || typeof error.stack !== "string") return undefined;
  let trace = error.stack;
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && typeof cause.stack === "string" && depth < 5; depth++) {
    trace += `\nCaused by: ${cause.stack}`;
    cause = cause.cause;
  }
  return trace.length > TRACEBACK_LIMIT ? `${trace.slice(0, TRACEBACK_LIMIT)}\n… (stack trace cut at ${TRACEBACK_LIMIT} characters)` : trace;
}

/** Wraps an error as a runtime (context) error with a prefix. */
export function asRuntimeError(error: unknown, prefix: string): KitaruContextError {
  return new KitaruContextError(`${prefix}: ${messageOf(error)}`, { cause: error });
}

/** The message of any thrown value. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The class name of any thrown value. */
function typeName(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== "Error" ? error.name : (error.constructor?.name ?? "Error");
  return typeof error;
}

/** The store could not be reached or failed (the store's typed error): give the run up for another attempt. */
export function isBackendError(error: unknown): boolean {
  return error instanceof StoreUnavailableError;
}
