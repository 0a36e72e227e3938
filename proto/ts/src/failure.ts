/**
 * Failure metadata and divergence evidence, from protobuf to the plain shapes
 * the error classes carry.
 *
 * @module
 */
import type { DivergenceDetail, DivergenceKind, ExecutionFailure, FailureOrigin } from "./errors/kitaru-error.ts";
import {
  DivergenceKind as DivergenceKindPb,
  type DivergenceDetail as DivergenceDetailPb,
} from "#gen/kitaru/errors/v1/errors_pb.ts";
import { FailureOrigin as FailureOriginPb, type Failure as FailurePb } from "#gen/kitaru/runner/v1/execution_pb.ts";

const originByPb: Record<FailureOriginPb, FailureOrigin> = {
  [FailureOriginPb.UNSPECIFIED]: "unknown",
  [FailureOriginPb.USER_CODE]: "user_code",
  [FailureOriginPb.RUNTIME]: "runtime",
  [FailureOriginPb.BACKEND]: "backend",
  [FailureOriginPb.DIVERGENCE]: "divergence",
  [FailureOriginPb.UNKNOWN]: "unknown",
};

const kindByPb: Record<DivergenceKindPb, DivergenceKind> = {
  // The runner always sets a kind (replay-contract §4). An unset kind can only
  // come from a newer server; "dependencies_changed" is the most general rule.
  [DivergenceKindPb.UNSPECIFIED]: "dependencies_changed",
  [DivergenceKindPb.DEPENDENCIES_CHANGED]: "dependencies_changed",
  [DivergenceKindPb.DEPENDS_ON_CHANGED_CALL]: "depends_on_changed_call",
  [DivergenceKindPb.ORDER_CHANGED]: "order_changed",
  [DivergenceKindPb.NAME_CHANGED]: "name_changed",
};

/** The public name of a `FailureOrigin` enum value (unset and unknown values read as `unknown`). */
export function failureOriginFromProto(origin: FailureOriginPb): FailureOrigin {
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
  };
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
  return failure.divergence === undefined
    ? plain
    : { ...plain, divergence: divergenceDetailFromProto(failure.divergence) };
}
