/**
 * The kitaru error hierarchy: one base class and a closed set of subclasses.
 *
 * The same classes are thrown by the services and raised by the typed client;
 * `wire.ts` maps each to a `google.rpc.Status` and back. Callers branch on the
 * class (or on `reason`), never on the message text.
 *
 * ```
 * KitaruError
 * ├── KitaruUsageError            invalid input: fix the request
 * │   ├── KitaruWaitValidationError   wait input rejected by its schema
 * │   └── KitaruContextError          authoring API used outside a flow
 * ├── KitaruStateError            the execution's state forbids the operation
 * │   └── KitaruNotFoundError         no such execution (or flow)
 * ├── KitaruExecutionError        an execution ended unsuccessfully
 * │   ├── KitaruUserCodeError         ... because user code threw
 * │   └── KitaruDivergenceError       ... because the durable call sequence diverged
 * ├── KitaruBackendError          a backend (database, runner) is unavailable
 * ├── KitaruAuthError             no valid credential (UNAUTHENTICATED)
 * ├── KitaruPermissionError       the credential does not allow it (PERMISSION_DENIED)
 * └── KitaruInternalError         a bug in kitaru
 * ```
 *
 * @module
 */
import type { DivergenceDetail, ExecutionFailure } from "../failure.ts";

export type { DivergenceDetail, DivergenceKind, ExecutionFailure, FailureOrigin } from "../failure.ts";

/** The `google.rpc.ErrorInfo.reason` values kitaru sends. */
export const ErrorReason = {
  usage: "KITARU_USAGE_ERROR",
  waitValidation: "KITARU_WAIT_VALIDATION_ERROR",
  /** Own reason so that a client can rebuild a {@link KitaruContextError} from the details alone. */
  context: "KITARU_CONTEXT_ERROR",
  state: "KITARU_STATE_ERROR",
  notFound: "KITARU_NOT_FOUND",
  execution: "KITARU_EXECUTION_ERROR",
  userCode: "KITARU_USER_CODE_ERROR",
  divergence: "KITARU_DIVERGENCE_ERROR",
  backend: "KITARU_BACKEND_ERROR",
  unauthenticated: "KITARU_UNAUTHENTICATED",
  permissionDenied: "KITARU_PERMISSION_DENIED",
  internal: "KITARU_INTERNAL_ERROR",
} as const;

/** One of the {@link ErrorReason} values. */
export type ErrorReasonValue = (typeof ErrorReason)[keyof typeof ErrorReason];

/** The `google.rpc.ErrorInfo.domain` of every kitaru error. */
export const ERROR_DOMAIN = "kitaru.dev";

/** A problem with one field of a JSON value; `field` is a dotted path ("" for the root). */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** Violations as one line of a message: `topic: must be …; items.0: must be …` (a violation of the root: its description alone). */
export function formatViolations(violations: readonly FieldViolation[]): string {
  // "topic is required (string)" reads as a sentence; other descriptions follow the field after a colon.
  return violations.map((v) => (v.field === "" ? v.description : `${v.field}${v.description.startsWith("is ") ? " " : ": "}${v.description}`)).join("; ");
}

/** One recorded checkpoint call, named in selector errors. */
export interface CallCandidate {
  readonly name: string;
  readonly invocationId: string;
  readonly callId: string;
}

/** Why a checkpoint selector matched nothing, or several calls. */
export interface SelectorResolution {
  readonly selector: string;
  /** `from` or the override key, e.g. `checkpoint.research`. */
  readonly source: string;
  readonly candidates: readonly CallCandidate[];
  readonly availableNames: readonly string[];
}

/** The execution and status that forbade an operation. */
export interface ExecutionStateDetail {
  readonly execId: string;
  readonly status: string;
  readonly operation: string;
}

/** Why a wait selector matched no pending wait, or several. */
export interface WaitSelection {
  readonly execId: string;
  readonly selector: string;
  readonly availableWaitNames: readonly string[];
  readonly matchingWaitIds: readonly string[];
}

/** Options every kitaru error accepts. */
export interface KitaruErrorOptions {
  /** Values the message mentions, as strings; sent as `ErrorInfo.metadata`. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

const brand = Symbol.for("kitaru.error");

/** What {@link KitaruError.from} makes of a value that is no kitaru error. */
const UNKNOWN_ERROR_MESSAGE = "internal error";

/**
 * Base class of every kitaru error.
 *
 * Never thrown itself. Each subclass is declared with {@link kitaruError},
 * which gives it its name, its `reason` and an `instanceof` that works across
 * copies of this package (a global symbol brand and the class names).
 */
export abstract class KitaruError extends Error {
  /** The `ErrorInfo.reason` sent on the wire (set per class by {@link kitaruError}). */
  declare readonly reason: ErrorReasonValue;
  /** Values the message mentions (lowerCamel keys, string values). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly [brand] = true;

  constructor(message: string, options: KitaruErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.metadata = { ...(options.metadata ?? {}) };
  }

  /** True for any kitaru error, even one created by another copy of this package. */
  static isKitaruError(value: unknown): value is KitaruError {
    return typeof value === "object" && value !== null && (value as { [brand]?: boolean })[brand] === true;
  }

  /**
   * `reason` as a kitaru error: a kitaru error is returned as it is; anything
   * else becomes a {@link KitaruInternalError} with `message` (by default a
   * generic one, so nothing internal reaches a caller) and the original as its
   * `cause`, kept for logs.
   */
  static from(reason: unknown, message: string = UNKNOWN_ERROR_MESSAGE): KitaruError {
    if (KitaruError.isKitaruError(reason)) return reason;
    return new KitaruInternalError(message, { cause: reason });
  }
}

/** Names of each class and its ancestors, used by the cross-copy `instanceof`. */
function lineage(value: unknown): string[] {
  if (!KitaruError.isKitaruError(value)) return [];
  const names: string[] = [];
  let proto = Object.getPrototypeOf(value) as { constructor?: { className?: string } } | null;
  while (proto) {
    const name = proto.constructor?.className;
    if (name) names.push(name);
    proto = Object.getPrototypeOf(proto) as typeof proto;
  }
  return names;
}

/**
 * Declares a class of the hierarchy: `@kitaruError(ErrorReason.backend)` gives
 * it its `name` (the class name), its `reason`, and an `instanceof` that
 * recognises instances made by another copy of this package.
 */
export function kitaruError(reason: ErrorReasonValue) {
  return <C extends abstract new (...args: never[]) => KitaruError>(target: C, context: ClassDecoratorContext<C>): void => {
    const name = String(context.name);
    Object.defineProperty(target, "className", { value: name });
    Object.defineProperty(target, Symbol.hasInstance, { value: (value: unknown) => lineage(value).includes(name) });
    Object.defineProperty(target.prototype, "name", { value: name, writable: true, configurable: true });
    Object.defineProperty(target.prototype, "reason", { value: reason });
  };
}

/**
 * The request is invalid: a bad argument, override key or input.
 *
 * Thrown by the services (INVALID_ARGUMENT) and by the authoring API. Fix the
 * request; retrying it unchanged fails the same way.
 */
@kitaruError(ErrorReason.usage)
export class KitaruUsageError extends KitaruError {
  /** Field problems, when the input failed a schema. */
  readonly violations: readonly FieldViolation[];

  constructor(message: string, options: KitaruErrorOptions & { violations?: readonly FieldViolation[] } = {}) {
    super(message, options);
    this.violations = options.violations ?? [];
  }
}

/**
 * A wait input was rejected by the wait's schema. The execution is still
 * waiting and nothing was recorded: send a corrected value.
 */
@kitaruError(ErrorReason.waitValidation)
export class KitaruWaitValidationError extends KitaruUsageError {
  readonly execId: string;
  readonly waitName: string;
  readonly waitId: string;

  constructor(message: string, options: KitaruErrorOptions & { execId: string; waitName: string; waitId: string; violations: readonly FieldViolation[] }) {
    super(message, options);
    this.execId = options.execId;
    this.waitName = options.waitName;
    this.waitId = options.waitId;
  }
}

/**
 * The authoring API was used where it cannot work: `checkpoint()` or `wait()`
 * outside a flow body, a checkpoint inside a checkpoint, a non-JSON value.
 * Thrown inside the runner process only.
 */
@kitaruError(ErrorReason.context)
export class KitaruContextError extends KitaruUsageError {}

/**
 * The execution's state forbids the operation: replaying a running execution,
 * an unknown or ambiguous selector, no pending wait, retrying a non-failed one.
 *
 * Sent as FAILED_PRECONDITION. Inspect the execution, then change the request.
 */
@kitaruError(ErrorReason.state)
export class KitaruStateError extends KitaruError {
  readonly selector: SelectorResolution | undefined;
  readonly state: ExecutionStateDetail | undefined;
  readonly waitSelection: WaitSelection | undefined;

  constructor(
    message: string,
    options: KitaruErrorOptions & {
      selector?: SelectorResolution;
      state?: ExecutionStateDetail;
      waitSelection?: WaitSelection;
    } = {},
  ) {
    super(message, options);
    this.selector = options.selector;
    this.state = options.state;
    this.waitSelection = options.waitSelection;
  }
}

/** No execution (or flow) has that ID or name. Sent as NOT_FOUND. */
@kitaruError(ErrorReason.notFound)
export class KitaruNotFoundError extends KitaruStateError {
  /** "execution" or "flow". */
  readonly resourceType: string;
  readonly resourceName: string;

  constructor(message: string, options: KitaruErrorOptions & { resourceType: string; resourceName: string }) {
    super(message, options);
    this.resourceType = options.resourceType;
    this.resourceName = options.resourceName;
  }
}

/**
 * An execution ended failed or cancelled. Raised by the client when waiting on
 * an execution; `failure` says why. Subclasses narrow the origin.
 */
@kitaruError(ErrorReason.execution)
export class KitaruExecutionError extends KitaruError {
  readonly execId: string;
  /** Public status: failed or cancelled. */
  readonly status: string;
  readonly failure: ExecutionFailure | undefined;

  constructor(message: string, options: KitaruErrorOptions & { execId: string; status: string; failure?: ExecutionFailure | undefined }) {
    super(message, options);
    this.execId = options.execId;
    this.status = options.status;
    this.failure = options.failure;
  }
}

/** An execution failed because the flow body or a checkpoint threw. */
@kitaruError(ErrorReason.userCode)
export class KitaruUserCodeError extends KitaruExecutionError {}

/**
 * A replayed (or recovered) run broke durable call sequence compatibility: a
 * call planned for reuse was issued with other dependencies, depended on a
 * changed call, or came out of the recorded order.
 *
 * `detail` says which invocation ID, what was recorded and what was seen.
 * Check that the flow code still issues reused checkpoints in the same order
 * with the same inputs, or replay from an earlier checkpoint.
 */
@kitaruError(ErrorReason.divergence)
export class KitaruDivergenceError extends KitaruExecutionError {
  readonly detail: DivergenceDetail;

  constructor(message: string, options: KitaruErrorOptions & { execId: string; status?: string; failure?: ExecutionFailure; detail: DivergenceDetail }) {
    super(message, { ...options, status: options.status ?? "failed" });
    this.detail = options.detail;
  }
}

/**
 * A backend the operation needs (the database, the runner) is unavailable.
 * Sent as UNAVAILABLE; retrying later may succeed.
 */
@kitaruError(ErrorReason.backend)
export class KitaruBackendError extends KitaruError {}

/**
 * The call carried no credential the service accepts (missing, malformed or
 * unknown bearer token). Sent as UNAUTHENTICATED; set `KITARU_TOKEN` (or the
 * client's `token` option) to a token the service was started with.
 */
@kitaruError(ErrorReason.unauthenticated)
export class KitaruAuthError extends KitaruError {}

/**
 * The credential is valid but does not allow the call (e.g. a namespace token
 * asking to act for another namespace). Sent as PERMISSION_DENIED.
 */
@kitaruError(ErrorReason.permissionDenied)
export class KitaruPermissionError extends KitaruError {}

/**
 * A bug in kitaru. The wire message is generic; the cause is logged by the
 * service that failed.
 */
@kitaruError(ErrorReason.internal)
export class KitaruInternalError extends KitaruError {}
