/**
 * The error ↔ wire mapping: kitaru errors as `google.rpc.Status` and back.
 *
 * Servers call {@link errorToStatus} once, where a call ends; clients call
 * {@link errorFromStatus} (grpc-js, Python-style raw trailers) or
 * {@link errorFromConnectError} (connect clients). Every status carries a
 * `google.rpc.ErrorInfo` (domain `kitaru.dev`) whose `reason` picks the class;
 * typed details restore the class's fields. Messages are never parsed.
 *
 * Status codes (docs/replay-contract.md §9):
 *
 * ```
 * KitaruUsageError, KitaruWaitValidationError, KitaruContextError  INVALID_ARGUMENT
 * KitaruStateError                                                 FAILED_PRECONDITION
 * KitaruNotFoundError                                              NOT_FOUND
 * KitaruExecutionError, KitaruUserCodeError, KitaruDivergenceError FAILED_PRECONDITION
 * KitaruBackendError                                               UNAVAILABLE
 * KitaruAuthError                                                  UNAUTHENTICATED
 * KitaruPermissionError                                            PERMISSION_DENIED
 * KitaruInternalError, any other thrown value                      INTERNAL
 * ```
 *
 * Divergence is FAILED_PRECONDITION, not ABORTED: ABORTED invites a blind
 * retry, and re-running a diverged replay fails the same way.
 *
 * Pinned by `test/transport/error-wire.test.ts`.
 *
 * @module
 */
import { create, fromBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { Code } from "#gen/google/rpc/code_pb.ts";
import { BadRequestSchema, ErrorInfoSchema, ResourceInfoSchema } from "#gen/google/rpc/error_details_pb.ts";
import { StatusSchema, type Status } from "#gen/google/rpc/status_pb.ts";
import * as pb from "#gen/kitaru/errors/v1/errors_pb.ts";
import { FailureSchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
import {
  ERROR_DOMAIN,
  ErrorReason,
  KitaruAuthError,
  KitaruBackendError,
  KitaruContextError,
  KitaruDivergenceError,
  KitaruError,
  KitaruExecutionError,
  KitaruInternalError,
  KitaruNotFoundError,
  KitaruPermissionError,
  KitaruStateError,
  KitaruUsageError,
  KitaruUserCodeError,
  KitaruWaitValidationError,
  type DivergenceDetail,
  type ErrorReasonValue,
  type ExecutionFailure,
  type FieldViolation,
} from "./kitaru-error.ts";
import { divergenceDetailFromProto, divergenceDetailToProto, failureFromProto, failureToProto } from "../failure.ts";

/** The message sent for errors that are not kitaru errors; their text stays in the server log. */
export const INTERNAL_ERROR_MESSAGE = "internal error";

/**
 * A gRPC status ready to send: the status code, its message, and the
 * `google.rpc.Status` to serialize into the `grpc-status-details-bin` trailer.
 */
export interface WireStatus {
  readonly code: Code;
  readonly message: string;
  readonly details: Status;
}

/**
 * A status as a raw gRPC client sees it: the `grpc-status` code, the
 * `grpc-message` text and the `grpc-status-details-bin` bytes, if any.
 */
export interface RawStatus {
  readonly code: number;
  readonly message: string;
  readonly detailsBin?: Uint8Array | undefined;
}

// ---------------------------------------------------------------------------
// error → wire

const codeByReason: Readonly<Record<ErrorReasonValue, Code>> = {
  [ErrorReason.usage]: Code.INVALID_ARGUMENT,
  [ErrorReason.waitValidation]: Code.INVALID_ARGUMENT,
  [ErrorReason.context]: Code.INVALID_ARGUMENT,
  [ErrorReason.state]: Code.FAILED_PRECONDITION,
  [ErrorReason.notFound]: Code.NOT_FOUND,
  [ErrorReason.execution]: Code.FAILED_PRECONDITION,
  [ErrorReason.userCode]: Code.FAILED_PRECONDITION,
  [ErrorReason.divergence]: Code.FAILED_PRECONDITION,
  [ErrorReason.backend]: Code.UNAVAILABLE,
  [ErrorReason.unauthenticated]: Code.UNAUTHENTICATED,
  [ErrorReason.permissionDenied]: Code.PERMISSION_DENIED,
  [ErrorReason.internal]: Code.INTERNAL,
};

/**
 * Maps any thrown value to the status a server sends.
 *
 * Kitaru errors keep their message; a `ConnectError` from a downstream kitaru
 * service is decoded first, so its class survives the hop; anything else
 * becomes INTERNAL with {@link INTERNAL_ERROR_MESSAGE} (the caller logs the cause).
 */
export function errorToStatus(err: unknown): WireStatus {
  const e = asKitaruError(err);
  // `??` covers an error from a newer copy of this package with a reason we do not know.
  const code = codeByReason[e.reason] ?? Code.INTERNAL;
  // Bounded, whatever the error holds: a status travels in HTTP/2 trailers, and one
  // huge trailer can stall every call on the connection (test: "bounds ... an error").
  const message = cut(e.message, STATUS_LIMITS.messageChars);
  const metadata = Object.fromEntries(
    Object.entries(e.metadata)
      .slice(0, STATUS_LIMITS.metadataEntries)
      .map(([key, value]) => [cut(key, STATUS_LIMITS.metadataChars), cut(value, STATUS_LIMITS.metadataChars)]),
  );
  const errorInfo = create(ErrorInfoSchema, { reason: e.reason, domain: ERROR_DOMAIN, metadata });
  const details = [anyPack(ErrorInfoSchema, errorInfo), ...typedDetails(e)];
  return { code, message, details: create(StatusSchema, { code, message, details }) };
}

/** How much of an error goes on the wire; the rest is cut (strings end with "…"). */
const STATUS_LIMITS = {
  messageChars: 4096,
  metadataChars: 1024,
  metadataEntries: 32,
  /** Entries of each list in a typed detail (candidates, names, violations). */
  listEntries: 50,
} as const;

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

function firstOf<T>(list: readonly T[]): T[] {
  return list.slice(0, STATUS_LIMITS.listEntries);
}

function asKitaruError(err: unknown): KitaruError {
  return err instanceof ConnectError ? errorFromConnectError(err) : KitaruError.from(err, INTERNAL_ERROR_MESSAGE);
}

/** The typed details of one error, most specific last; ErrorInfo is added by the caller. */
function typedDetails(e: KitaruError): Any[] {
  const out: Any[] = [];
  if (e instanceof KitaruUsageError && e.violations.length > 0) {
    // BadRequest as well as WaitValidation: generic gRPC tooling understands it.
    out.push(anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: firstOf(e.violations).map((v) => ({ ...v })) })));
  }
  if (e instanceof KitaruWaitValidationError) {
    const { execId, waitName, waitId, violations } = e;
    out.push(pack(pb.WaitValidationSchema, { execId, waitName, waitId, violations: firstOf(violations).map((v) => ({ ...v })) }));
  }
  if (e instanceof KitaruStateError) {
    if (e.selector) {
      const { candidates, availableNames, ...rest } = e.selector;
      out.push(pack(pb.SelectorResolutionSchema, { ...rest, candidates: firstOf(candidates).map((c) => ({ ...c })), availableNames: firstOf(availableNames) }));
    }
    if (e.state) out.push(pack(pb.ExecutionStateDetailSchema, { ...e.state }));
    if (e.waitSelection) {
      const w = e.waitSelection;
      out.push(pack(pb.WaitSelectionSchema, { ...w, availableWaitNames: firstOf(w.availableWaitNames), matchingWaitIds: firstOf(w.matchingWaitIds) }));
    }
  }
  if (e instanceof KitaruNotFoundError) {
    out.push(pack(ResourceInfoSchema, { resourceType: e.resourceType, resourceName: e.resourceName, description: e.message }));
  }
  if (e instanceof KitaruExecutionError) {
    // ExecutionStateDetail carries execId and status; `operation` stays empty.
    out.push(pack(pb.ExecutionStateDetailSchema, { execId: e.execId, status: e.status }));
    // Without the traceback: a status travels in trailers, which stay small.
    if (e.failure) out.push(anyPack(FailureSchema, failureToProto({ ...e.failure, traceback: undefined })));
  }
  if (e instanceof KitaruDivergenceError) out.push(anyPack(pb.DivergenceDetailSchema, divergenceDetailToProto(e.detail)));
  return out;
}

function pack<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Any {
  return anyPack(schema, create(schema, init));
}

// ---------------------------------------------------------------------------
// wire → error

/** Finds the first detail of a type in a status, or undefined. */
type DetailLookup = <D extends DescMessage>(schema: D) => MessageShape<D> | undefined;

/** Builds one class from its message, its ErrorInfo metadata (plus cause) and its details. */
type Decoder = (message: string, base: { metadata: Record<string, string>; cause?: unknown }, find: DetailLookup) => KitaruError;

const decoders: Readonly<Record<ErrorReasonValue, Decoder>> = {
  [ErrorReason.usage]: (m, base, find) => new KitaruUsageError(m, { ...base, violations: violationsFrom(find) }),
  [ErrorReason.context]: (m, base, find) => new KitaruContextError(m, { ...base, violations: violationsFrom(find) }),
  [ErrorReason.waitValidation]: (m, base, find) => {
    const w = find(pb.WaitValidationSchema);
    return new KitaruWaitValidationError(m, {
      ...base,
      execId: w?.execId ?? "",
      waitName: w?.waitName ?? "",
      waitId: w?.waitId ?? "",
      violations: w ? w.violations.map(({ field, description }) => ({ field, description })) : violationsFrom(find),
    });
  },
  [ErrorReason.state]: (m, base, find) => new KitaruStateError(m, { ...base, ...stateFieldsFrom(find) }),
  [ErrorReason.notFound]: (m, base, find) => {
    const r = find(ResourceInfoSchema);
    return new KitaruNotFoundError(m, {
      ...base,
      ...stateFieldsFrom(find),
      resourceType: r?.resourceType ?? "",
      resourceName: r?.resourceName ?? "",
    });
  },
  [ErrorReason.execution]: (m, base, find) => new KitaruExecutionError(m, { ...base, ...executionFieldsFrom(find) }),
  [ErrorReason.userCode]: (m, base, find) => new KitaruUserCodeError(m, { ...base, ...executionFieldsFrom(find) }),
  [ErrorReason.divergence]: (m, base, find) => {
    const d = find(pb.DivergenceDetailSchema);
    const fields = executionFieldsFrom(find);
    return new KitaruDivergenceError(m, { ...base, ...fields, detail: d ? divergenceDetailFromProto(d) : emptyDivergence(fields.execId) });
  },
  [ErrorReason.backend]: (m, base) => new KitaruBackendError(m, base),
  [ErrorReason.unauthenticated]: (m, base) => new KitaruAuthError(m, base),
  [ErrorReason.permissionDenied]: (m, base) => new KitaruPermissionError(m, base),
  [ErrorReason.internal]: (m, base) => new KitaruInternalError(m, base),
};

/**
 * Rebuilds the kitaru error a server sent, from a `google.rpc.Status` or
 * from the raw code, message and `grpc-status-details-bin` bytes.
 *
 * The class comes from `ErrorInfo.reason` alone; statuses without a kitaru
 * ErrorInfo (other servers, proxies) map by code, see {@link errorFromDetails}.
 */
export function errorFromStatus(status: Status | RawStatus): KitaruError {
  const s = "$typeName" in status ? status : statusFromRaw(status);
  const find: DetailLookup = (schema) => {
    for (const any of s.details) {
      try {
        const found = anyUnpack(any, schema);
        if (found) return found;
      } catch {
        // A malformed detail is ignored, like a missing one.
      }
    }
    return undefined;
  };
  return errorFromDetails(s.code, s.message, find);
}

function statusFromRaw(raw: RawStatus): Status {
  let details: Any[] = [];
  if (raw.detailsBin && raw.detailsBin.length > 0) {
    try {
      details = fromBinary(StatusSchema, raw.detailsBin).details;
    } catch {
      // Unreadable details: fall back to the code alone.
    }
  }
  // The grpc-status code and grpc-message are authoritative; the trailer only adds details.
  return create(StatusSchema, { code: raw.code, message: raw.message, details });
}

/**
 * Rebuilds the kitaru error behind a `ConnectError` from a connect client.
 *
 * Same rules as {@link errorFromStatus}; the ConnectError becomes the `cause`.
 * Connection failures (no details) map by code: unreachable server → KitaruBackendError.
 */
export function errorFromConnectError(e: ConnectError): KitaruError {
  return errorFromDetails(e.code, e.rawMessage, (schema) => e.findDetails(schema)[0], e);
}

/**
 * Rebuilds a kitaru error from a status code, a message and a detail lookup.
 *
 * Without a known kitaru `ErrorInfo.reason` the code decides (documented choice):
 * UNAVAILABLE, DEADLINE_EXCEEDED → KitaruBackendError; INVALID_ARGUMENT and
 * RESOURCE_EXHAUSTED (a request larger than the transport accepts) →
 * KitaruUsageError; UNAUTHENTICATED → KitaruAuthError; PERMISSION_DENIED →
 * KitaruPermissionError; NOT_FOUND → KitaruNotFoundError; FAILED_PRECONDITION →
 * KitaruStateError; INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED →
 * KitaruInternalError (a bug or mismatched deployment: retrying will not help);
 * every other code → KitaruBackendError (the server refused or dropped the
 * call; it may succeed later). Such errors get metadata `grpcCode` (e.g.
 * "PERMISSION_DENIED") next to any ErrorInfo metadata.
 */
function errorFromDetails(code: number, message: string, find: DetailLookup, cause?: unknown): KitaruError {
  const info = find(ErrorInfoSchema);
  const metadata = { ...(info?.metadata ?? {}) };
  const base = cause === undefined ? { metadata } : { metadata, cause };
  const decoder = info?.domain === ERROR_DOMAIN ? decoders[info.reason as ErrorReasonValue] : undefined;
  if (decoder) return decoder(message, base, find);

  const fallback = { ...base, metadata: { ...metadata, grpcCode: Code[code] ?? String(code) } };
  switch (code) {
    case Code.INVALID_ARGUMENT:
    case Code.RESOURCE_EXHAUSTED:
      return new KitaruUsageError(message, { ...fallback, violations: violationsFrom(find) });
    case Code.UNAUTHENTICATED:
      return new KitaruAuthError(message, fallback);
    case Code.PERMISSION_DENIED:
      return new KitaruPermissionError(message, fallback);
    case Code.NOT_FOUND: {
      const r = find(ResourceInfoSchema);
      return new KitaruNotFoundError(message, { ...fallback, resourceType: r?.resourceType ?? "", resourceName: r?.resourceName ?? "" });
    }
    case Code.FAILED_PRECONDITION:
      return new KitaruStateError(message, fallback);
    case Code.INTERNAL:
    case Code.UNKNOWN:
    case Code.DATA_LOSS:
    case Code.UNIMPLEMENTED:
      return new KitaruInternalError(message, fallback);
    default:
      return new KitaruBackendError(message, fallback);
  }
}

function violationsFrom(find: DetailLookup): FieldViolation[] {
  return (find(BadRequestSchema)?.fieldViolations ?? []).map(({ field, description }) => ({ field, description }));
}

function stateFieldsFrom(find: DetailLookup) {
  const s = find(pb.SelectorResolutionSchema);
  const st = find(pb.ExecutionStateDetailSchema);
  const w = find(pb.WaitSelectionSchema);
  return {
    ...(s && {
      selector: {
        selector: s.selector,
        source: s.source,
        candidates: s.candidates.map(({ name, invocationId, callId }) => ({ name, invocationId, callId })),
        availableNames: [...s.availableNames],
      },
    }),
    ...(st && { state: { execId: st.execId, status: st.status, operation: st.operation } }),
    ...(w && {
      waitSelection: {
        execId: w.execId,
        selector: w.selector,
        availableWaitNames: [...w.availableWaitNames],
        matchingWaitIds: [...w.matchingWaitIds],
      },
    }),
  };
}

function executionFieldsFrom(find: DetailLookup): { execId: string; status: string; failure?: ExecutionFailure } {
  const st = find(pb.ExecutionStateDetailSchema);
  const failure = failureFromProto(find(FailureSchema));
  return { execId: st?.execId ?? "", status: st?.status ?? "", ...(failure && { failure }) };
}

function emptyDivergence(execId: string): DivergenceDetail {
  return divergenceDetailFromProto(create(pb.DivergenceDetailSchema, { execId }));
}
