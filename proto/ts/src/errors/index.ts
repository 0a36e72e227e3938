/**
 * Kitaru's typed errors, shared by the services and the client.
 *
 * @example
 * ```ts
 * import { KitaruStateError } from "kitaru/errors";
 * try { await client.executions.replay("kr-a8f3c2", { from: "write_draft" }); }
 * catch (e) { if (e instanceof KitaruStateError) console.error(e.selector?.availableNames); }
 * ```
 * @module
 */
export {
  KitaruError,
  KitaruUsageError,
  KitaruWaitValidationError,
  KitaruContextError,
  KitaruStateError,
  KitaruNotFoundError,
  KitaruExecutionError,
  KitaruUserCodeError,
  KitaruDivergenceError,
  KitaruBackendError,
  KitaruAuthError,
  KitaruPermissionError,
  KitaruInternalError,
  ErrorReason,
  ERROR_DOMAIN,
  kitaruError,
} from "./kitaru-error.ts";
export type {
  ErrorReasonValue,
  FieldViolation,
  CallCandidate,
  SelectorResolution,
  ExecutionStateDetail,
  WaitSelection,
  DivergenceKind,
  DivergenceDetail,
  FailureOrigin,
  ExecutionFailure,
  KitaruErrorOptions,
} from "./kitaru-error.ts";

// Library-facing: the error <-> gRPC status mapping used by services and clients.
export { errorToStatus, errorFromStatus, errorFromConnectError, INTERNAL_ERROR_MESSAGE } from "./wire.ts";
export type { WireStatus, RawStatus } from "./wire.ts";
