/**
 * The plain `ReplayPlan` model (a replay dry run) and its conversion from protobuf.
 *
 * @module
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { plannedCallFromProto, type PlannedCall, type PlannedOverride } from "#contract/replay-plan.ts";
import type { CheckpointOverride as CheckpointOverridePb, ReplayPlan as ReplayPlanPb } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { jsonFromValue, objectFromStruct } from "./json.ts";

export type { PlannedCall, PlannedOverride } from "#contract/replay-plan.ts";

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
  /** Wait names the replay would answer from the source's recorded answers; empty when every wait asks again. */
  readonly answerWaitsFromSource: readonly string[];
}

function plannedOverrideFromProto(override: CheckpointOverridePb): PlannedOverride {
  return {
    key: override.key,
    selector: override.selector,
    target: plannedCallFromProto(override.target),
    value: jsonFromValue(override.value) ?? null,
    consumerInvocationIds: [...override.consumerInvocationIds],
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
    answerWaitsFromSource: [...plan.answerWaitsFromSource],
  };
}
