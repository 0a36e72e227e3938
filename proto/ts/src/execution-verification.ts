/**
 * Checking recorded executions against flow code (`executions verify`): the
 * history a check reads, the result it gives, and their protobuf forms. The
 * runner checks against its own code (`VerifyExecutions`); the CLI checks
 * against a flows module it is given, reading histories through the public
 * API. Both use these shapes.
 *
 * @module
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  type Execution as ExecutionPb,
  type ExecutionVerification as ExecutionVerificationPb,
  type ExecutionVerificationSchema,
  VerificationVerdict as VerdictPb,
  WaitStatus as WaitStatusPb,
} from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type DivergenceDetail, divergenceDetailFromProto, divergenceDetailToProto } from "./failure.ts";
import type { JsonValue } from "./json-value.ts";
import { type CheckpointCallStatus, callStatusFromProto, type ExecutionStatus, executionStatusFromProto, executionStatusToProto } from "./status.ts";

/** One recorded checkpoint call, as a check answers the body from it. */
export interface HistoryCall {
  readonly invocationId: string;
  readonly callId: string;
  readonly name: string;
  readonly status: Exclude<CheckpointCallStatus, "running">;
  readonly sequence: number;
  readonly dataDependencies: readonly string[];
  readonly loadDependencies: readonly string[];
  readonly outputNames: readonly string[];
  /** The output the flow body saw (the override, when the call was overridden); absent without an output. */
  readonly seen?: JsonValue | undefined;
}

/** One wait the body reached, with its answer when it has one. */
export interface HistoryWait {
  readonly name: string;
  readonly resolution?: { readonly kind: "value"; readonly value: JsonValue } | { readonly kind: "abort" } | undefined;
}

/** A recorded execution: what a check runs its flow body against. */
export interface ExecutionHistory {
  readonly execId: string;
  readonly flowName: string;
  readonly status: ExecutionStatus;
  /** The flow version that last ran the body; absent when unknown. */
  readonly flowVersion?: string | undefined;
  readonly input: JsonValue;
  /** Every recorded call (outcomes; a failed call's last record), in issue order. */
  readonly calls: readonly HistoryCall[];
  /** Every wait reached, in the order reached. */
  readonly waits: readonly HistoryWait[];
}

/** What checking one execution found. */
export type VerificationVerdict = "compatible" | "diverged" | "failed" | "skipped";

/** The result of checking one recorded execution against flow code. */
export interface ExecutionVerification {
  readonly execId: string;
  readonly flowName: string;
  readonly status: ExecutionStatus;
  /** The flow version that last ran the body; absent when unknown. */
  readonly recordedFlowVersion?: string | undefined;
  readonly verdict: VerificationVerdict;
  /** The evidence, when diverged. */
  readonly divergence?: DivergenceDetail | undefined;
  /** Where the check stopped, in words ("would wait at 'approve'", ...). */
  readonly outcome: string;
  /** Recorded calls the code issued the recorded way. */
  readonly matchedCalls: number;
  /** Recorded calls of the execution. */
  readonly recordedCalls: number;
}

const verdictToPb: Record<VerificationVerdict, VerdictPb> = {
  compatible: VerdictPb.COMPATIBLE,
  diverged: VerdictPb.DIVERGED,
  failed: VerdictPb.FAILED,
  skipped: VerdictPb.SKIPPED,
};

const verdictByPb: Record<VerdictPb, VerificationVerdict> = {
  // Never sent; a newer server's verdict this client does not know reads as skipped (not checked here).
  [VerdictPb.UNSPECIFIED]: "skipped",
  [VerdictPb.COMPATIBLE]: "compatible",
  [VerdictPb.DIVERGED]: "diverged",
  [VerdictPb.FAILED]: "failed",
  [VerdictPb.SKIPPED]: "skipped",
};

/** The wire form of a verification result. */
export function verificationToProto(result: ExecutionVerification): MessageInitShape<typeof ExecutionVerificationSchema> {
  return {
    execId: result.execId,
    flowName: result.flowName,
    status: executionStatusToProto(result.status),
    recordedFlowVersion: result.recordedFlowVersion ?? "",
    verdict: verdictToPb[result.verdict],
    divergence: result.divergence === undefined ? undefined : divergenceDetailToProto(result.divergence),
    outcome: result.outcome,
    matchedCalls: result.matchedCalls,
    recordedCalls: result.recordedCalls,
  };
}

/** The plain verification result of its wire form. */
export function verificationFromProto(result: ExecutionVerificationPb): ExecutionVerification {
  return {
    execId: result.execId,
    flowName: result.flowName,
    status: executionStatusFromProto(result.status),
    ...(result.recordedFlowVersion === "" ? {} : { recordedFlowVersion: result.recordedFlowVersion }),
    verdict: verdictByPb[result.verdict] ?? "skipped",
    ...(result.divergence === undefined ? {} : { divergence: divergenceDetailFromProto(result.divergence) }),
    outcome: result.outcome,
    matchedCalls: result.matchedCalls,
    recordedCalls: result.recordedCalls,
  };
}

/**
 * The history of an execution read in the full view with every omitted value
 * filled in (a value still left out reads as absent).
 */
export function executionHistoryFromProto(execution: ExecutionPb): ExecutionHistory {
  const lastRun = execution.flowVersionRuns.at(-1)?.flowVersion ?? execution.flowVersion;
  return {
    execId: execution.execId,
    flowName: execution.flowName,
    status: executionStatusFromProto(execution.status),
    ...(lastRun === "" ? {} : { flowVersion: lastRun }),
    input: execution.input === undefined ? {} : (execution.input as JsonValue),
    calls: execution.checkpoints.map((call) => {
      const seen = call.overridden && call.overrideValue !== undefined ? call.overrideValue : call.output;
      return {
        invocationId: call.invocationId,
        callId: call.callId,
        name: call.name,
        status: callStatusFromProto(call.status) as HistoryCall["status"],
        sequence: Number(call.sequence),
        dataDependencies: [...call.dataDependencies],
        loadDependencies: [...call.loadDependencies],
        outputNames: [...call.outputNames],
        ...(seen === undefined ? {} : { seen: toJson(ValueSchema, seen) as JsonValue }),
      };
    }),
    waits: execution.waits.map((wait) => ({
      name: wait.name,
      ...(wait.status === WaitStatusPb.ABORTED
        ? { resolution: { kind: "abort" as const } }
        : wait.status === WaitStatusPb.RESOLVED
          ? { resolution: { kind: "value" as const, value: wait.value === undefined ? null : (toJson(ValueSchema, wait.value) as JsonValue) } }
          : {}),
    })),
  };
}
