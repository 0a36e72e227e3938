/**
 * Public status names for executions, checkpoint calls and waits, and their
 * protobuf enum values.
 *
 * @module
 */
import { CheckpointCallStatus as CallStatusPb, ExecutionStatus as ExecutionStatusPb, WaitStatus as WaitStatusPb } from "#gen/kitaru/runner/v1/execution_pb.ts";

/** Every public execution status, in lifecycle order. */
export const EXECUTION_STATUSES = ["running", "waiting", "completed", "failed", "cancelled"] as const;

/** The public status of an execution. */
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** The status of one checkpoint call. */
export type CheckpointCallStatus = "running" | "completed" | "failed" | "reused" | "cancelled";

/** The status of one wait. */
export type WaitStatus = "pending" | "resolved" | "aborted";

/** True for `completed`, `failed` and `cancelled`: the execution will not change again by itself. */
export function isTerminalStatus(status: ExecutionStatus): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}

/** True when `value` names a public execution status. */
export function isExecutionStatus(value: string): value is ExecutionStatus {
  return (EXECUTION_STATUSES as readonly string[]).includes(value);
}

const executionStatusByPb: Record<ExecutionStatusPb, ExecutionStatus> = {
  // The runner never returns UNSPECIFIED; reading it as running keeps waiting
  // clients polling instead of reporting an outcome that did not happen.
  [ExecutionStatusPb.UNSPECIFIED]: "running",
  [ExecutionStatusPb.RUNNING]: "running",
  [ExecutionStatusPb.WAITING]: "waiting",
  [ExecutionStatusPb.COMPLETED]: "completed",
  [ExecutionStatusPb.FAILED]: "failed",
  [ExecutionStatusPb.CANCELLED]: "cancelled",
};

const executionStatusToPb: Record<ExecutionStatus, ExecutionStatusPb> = {
  running: ExecutionStatusPb.RUNNING,
  waiting: ExecutionStatusPb.WAITING,
  completed: ExecutionStatusPb.COMPLETED,
  failed: ExecutionStatusPb.FAILED,
  cancelled: ExecutionStatusPb.CANCELLED,
};

/** The public name of an `ExecutionStatus` enum value. */
export function executionStatusFromProto(status: ExecutionStatusPb): ExecutionStatus {
  return executionStatusByPb[status] ?? "running";
}

/** The `ExecutionStatus` enum value of a public name. */
export function executionStatusToProto(status: ExecutionStatus): ExecutionStatusPb {
  return executionStatusToPb[status];
}

/** The public name of a `CheckpointCallStatus` enum value (unset reads as running). */
export function callStatusFromProto(status: CallStatusPb): CheckpointCallStatus {
  switch (status) {
    case CallStatusPb.COMPLETED:
      return "completed";
    case CallStatusPb.FAILED:
      return "failed";
    case CallStatusPb.REUSED:
      return "reused";
    case CallStatusPb.CANCELLED:
      return "cancelled";
    case CallStatusPb.RUNNING:
    case CallStatusPb.UNSPECIFIED:
      return "running";
  }
  return "running";
}

const callStatusToPb: Record<CheckpointCallStatus, CallStatusPb> = {
  running: CallStatusPb.RUNNING,
  completed: CallStatusPb.COMPLETED,
  failed: CallStatusPb.FAILED,
  reused: CallStatusPb.REUSED,
  cancelled: CallStatusPb.CANCELLED,
};

/** The `CheckpointCallStatus` enum value of a call status. */
export function callStatusToProto(status: CheckpointCallStatus): CallStatusPb {
  return callStatusToPb[status];
}

/** The public name of a `WaitStatus` enum value (unset reads as pending). */
export function waitStatusFromProto(status: WaitStatusPb): WaitStatus {
  switch (status) {
    case WaitStatusPb.RESOLVED:
      return "resolved";
    case WaitStatusPb.ABORTED:
      return "aborted";
    case WaitStatusPb.PENDING:
    case WaitStatusPb.UNSPECIFIED:
      return "pending";
  }
  return "pending";
}
