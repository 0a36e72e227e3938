/**
 * Why an execution failed, and the evidence of a divergence: the plain shapes
 * the runner records, the error classes carry and the clients return, and
 * their protobuf form both ways.
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import { DivergenceDetailSchema, DivergenceKind as DivergenceKindPb, type DivergenceDetail as DivergenceDetailPb } from "#gen/kitaru/errors/v1/errors_pb.ts";
import { FailureOrigin as FailureOriginPb, FailureSchema, type Failure as FailurePb } from "#gen/kitaru/runner/v1/execution_pb.ts";

/** Where an execution failure came from. */
export type FailureOrigin = "user_code" | "runtime" | "backend" | "divergence" | "unknown";

/** Which durable-sequence rule a run broke. */
export type DivergenceKind = "dependencies_changed" | "depends_on_changed_call" | "order_changed" | "name_changed" | "call_replaced" | "wait_changed";

/** The evidence for a divergence. */
export interface DivergenceDetail {
  readonly execId: string;
  readonly sourceExecId: string;
  readonly invocationId: string;
  readonly kind: DivergenceKind;
  readonly recorded: string;
  readonly seen: string;
  readonly recordedDependencies: readonly string[];
  readonly seenDependencies: readonly string[];
  /** The flow version that recorded the calls compared against; absent when unknown. */
  readonly recordedFlowVersion?: string | undefined;
  /** The flow version of the code that diverged; absent when unknown. */
  readonly flowVersion?: string | undefined;
  /** On a resume by code of another version: the replay that would continue the work on that code. */
  readonly replayCommand?: string | undefined;
  /** The `from` of that replay (an invocation ID of the execution). */
  readonly replayFrom?: string | undefined;
}

/** Failure metadata of a failed execution. */
export interface ExecutionFailure {
  readonly origin: FailureOrigin;
  readonly message: string;
  readonly exceptionType: string;
  readonly invocationId: string;
  readonly divergence?: DivergenceDetail | undefined;
  /** The stack trace of the thrown error as the runner printed it; `""` or unset when there is none. */
  readonly traceback?: string | undefined;
}

const originByPb: Record<FailureOriginPb, FailureOrigin> = {
  [FailureOriginPb.UNSPECIFIED]: "unknown",
  [FailureOriginPb.USER_CODE]: "user_code",
  [FailureOriginPb.RUNTIME]: "runtime",
  [FailureOriginPb.BACKEND]: "backend",
  [FailureOriginPb.DIVERGENCE]: "divergence",
  [FailureOriginPb.UNKNOWN]: "unknown",
};

const originToPb: Record<FailureOrigin, FailureOriginPb> = {
  user_code: FailureOriginPb.USER_CODE,
  runtime: FailureOriginPb.RUNTIME,
  backend: FailureOriginPb.BACKEND,
  divergence: FailureOriginPb.DIVERGENCE,
  unknown: FailureOriginPb.UNKNOWN,
};

const kindByPb: Record<DivergenceKindPb, DivergenceKind> = {
  // The runner always sets a kind (docs/replay-contract.md §4). An unset kind can only
  // come from a newer server; "dependencies_changed" is the most general rule.
  [DivergenceKindPb.UNSPECIFIED]: "dependencies_changed",
  [DivergenceKindPb.DEPENDENCIES_CHANGED]: "dependencies_changed",
  [DivergenceKindPb.DEPENDS_ON_CHANGED_CALL]: "depends_on_changed_call",
  [DivergenceKindPb.ORDER_CHANGED]: "order_changed",
  [DivergenceKindPb.NAME_CHANGED]: "name_changed",
  [DivergenceKindPb.CALL_REPLACED]: "call_replaced",
  [DivergenceKindPb.WAIT_CHANGED]: "wait_changed",
};

const kindToPb: Record<DivergenceKind, DivergenceKindPb> = {
  dependencies_changed: DivergenceKindPb.DEPENDENCIES_CHANGED,
  depends_on_changed_call: DivergenceKindPb.DEPENDS_ON_CHANGED_CALL,
  order_changed: DivergenceKindPb.ORDER_CHANGED,
  name_changed: DivergenceKindPb.NAME_CHANGED,
  call_replaced: DivergenceKindPb.CALL_REPLACED,
  wait_changed: DivergenceKindPb.WAIT_CHANGED,
};

/** The public name of a `FailureOrigin` enum value (unset and unknown values read as `unknown`). */
function failureOriginFromProto(origin: FailureOriginPb): FailureOrigin {
  return originByPb[origin] ?? "unknown";
}

/** The plain divergence evidence of a `kitaru.errors.v1.DivergenceDetail`. */
export function divergenceDetailFromProto(detail: DivergenceDetailPb): DivergenceDetail {
  return {
    execId: detail.execId,
    sourceExecId: detail.sourceExecId,
    invocationId: detail.invocationId,
    kind: kindByPb[detail.kind] ?? "dependencies_changed",
    recorded: detail.recorded,
    seen: detail.seen,
    recordedDependencies: [...detail.recordedDependencies],
    seenDependencies: [...detail.seenDependencies],
    ...(detail.recordedFlowVersion === "" ? {} : { recordedFlowVersion: detail.recordedFlowVersion }),
    ...(detail.flowVersion === "" ? {} : { flowVersion: detail.flowVersion }),
    ...(detail.replayCommand === "" ? {} : { replayCommand: detail.replayCommand }),
    ...(detail.replayFrom === "" ? {} : { replayFrom: detail.replayFrom }),
  };
}

/** The `kitaru.errors.v1.DivergenceDetail` of divergence evidence. */
export function divergenceDetailToProto(detail: DivergenceDetail): DivergenceDetailPb {
  return create(DivergenceDetailSchema, {
    execId: detail.execId,
    sourceExecId: detail.sourceExecId,
    invocationId: detail.invocationId,
    kind: kindToPb[detail.kind],
    recorded: detail.recorded,
    seen: detail.seen,
    recordedDependencies: [...detail.recordedDependencies],
    seenDependencies: [...detail.seenDependencies],
    recordedFlowVersion: detail.recordedFlowVersion ?? "",
    flowVersion: detail.flowVersion ?? "",
    replayCommand: detail.replayCommand ?? "",
    replayFrom: detail.replayFrom ?? "",
  });
}

/** The plain failure metadata of a `kitaru.runner.v1.Failure`; `undefined` when unset. */
export function failureFromProto(failure: FailurePb | undefined): ExecutionFailure | undefined {
  if (failure === undefined) return undefined;
  const plain: ExecutionFailure = {
    origin: failureOriginFromProto(failure.origin),
    message: failure.message,
    exceptionType: failure.exceptionType,
    invocationId: failure.invocationId,
    ...(failure.traceback === "" ? {} : { traceback: failure.traceback }),
  };
  return failure.divergence === undefined ? plain : { ...plain, divergence: divergenceDetailFromProto(failure.divergence) };
}

/** The `kitaru.runner.v1.Failure` of failure metadata. */
export function failureToProto(failure: ExecutionFailure): FailurePb {
  return create(FailureSchema, {
    origin: originToPb[failure.origin],
    message: failure.message,
    exceptionType: failure.exceptionType,
    invocationId: failure.invocationId,
    divergence: failure.divergence ? divergenceDetailToProto(failure.divergence) : undefined,
    traceback: failure.traceback ?? "",
  });
}
