/**
 * The plain `ReplayPlan` model (a replay dry run) and its conversion from protobuf.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type {
  CheckpointOverride as CheckpointOverridePb,
  PlannedCall as PlannedCallPb,
  ReplayPlan as ReplayPlanPb,
} from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { jsonFromValue, objectFromStruct } from "./json.ts";

/** One call of the source execution, as named in a plan. */
export interface PlannedCall {
  readonly invocationId: string;
  readonly callId: string;
  readonly name: string;
  /** Issue order in the source execution. */
  readonly sequence: number;
}

/** One `checkpoint.<selector>` override: the call it targets and the consumers that receive the value. */
export interface PlannedOverride {
  /** The key as given, e.g. `checkpoint.research`. */
  readonly key: string;
  /** The selector part of the key, trimmed. */
  readonly selector: string;
  /** The call the selector resolved to. */
  readonly target: PlannedCall | undefined;
  /** The value the new execution sees instead of the recorded output. */
  readonly value: JsonValue;
  /** Invocation IDs of the direct consumers (they are replay roots). */
  readonly consumers: readonly string[];
}

/**
 * What a replay would re-execute and reuse, computed without creating anything.
 *
 * `reexecute` holds the roots and all their descendants; every other recorded
 * call is in `reuse`. Both are in issue order.
 */
export interface ReplayPlan {
  readonly sourceExecId: string;
  readonly flowName: string;
  /** The `from` selector as given. */
  readonly from: string;
  /** The call `from` resolved to. */
  readonly fromCall: PlannedCall | undefined;
  readonly roots: readonly PlannedCall[];
  readonly reexecute: readonly PlannedCall[];
  readonly reuse: readonly PlannedCall[];
  /** The overrides, in the order given. */
  readonly overrides: readonly PlannedOverride[];
  /** The new execution's input: the source input shallow-merged with `args`. */
  readonly input: JsonObject;
  /** The flow version that last ran the source; `""` when unknown. */
  readonly sourceFlowVersion: string;
  /** The flow version the replay would run on (the runner's). */
  readonly flowVersion: string;
}

function plannedCallFromProto(call: PlannedCallPb): PlannedCall {
  return { invocationId: call.invocationId, callId: call.callId, name: call.name, sequence: Number(call.sequence) };
}

function plannedOverrideFromProto(override: CheckpointOverridePb): PlannedOverride {
  return {
    key: override.key,
    selector: override.selector,
    target: override.target === undefined ? undefined : plannedCallFromProto(override.target),
    value: jsonFromValue(override.value) ?? null,
    consumers: [...override.consumerInvocationIds],
  };
}

/** The plain {@link ReplayPlan} of a `kitaru.runner.v1.ReplayPlan`. */
export function replayPlanFromProto(plan: ReplayPlanPb): ReplayPlan {
  return {
    sourceExecId: plan.sourceExecId,
    flowName: plan.flowName,
    from: plan.from,
    fromCall: plan.fromCall === undefined ? undefined : plannedCallFromProto(plan.fromCall),
    roots: plan.roots.map(plannedCallFromProto),
    reexecute: plan.reexecute.map(plannedCallFromProto),
    reuse: plan.reuse.map(plannedCallFromProto),
    overrides: plan.overrides.map(plannedOverrideFromProto),
    input: objectFromStruct(plan.input),
    sourceFlowVersion: plan.sourceFlowVersion,
    flowVersion: plan.flowVersion,
  };
}
