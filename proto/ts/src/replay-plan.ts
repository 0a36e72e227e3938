/**
 * The calls and overrides a replay plan names, one shape for the planner's
 * core (which computes them), the plan's wire encoder and the client (which
 * reads them back), with their protobuf form.
 *
 * @module
 */
import type { PlannedCall as PlannedCallMessage } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { JsonValue } from "./json-value.ts";

/** One call of the source execution, named in a plan. */
export interface PlannedCall {
  readonly invocationId: string;
  readonly callId: string;
  readonly name: string;
  /** Issue order in the source execution. */
  readonly sequence: number;
}

/**
 * One `checkpoint.<selector>` override. Its value replaces the target's output
 * at every direct consumer; the target itself is not forced to re-execute.
 */
export interface PlannedOverride {
  /** The key as given, e.g. `checkpoint.research`. */
  readonly key: string;
  /** The selector part of the key, trimmed. */
  readonly selector: string;
  /** The call the selector resolved to. */
  readonly target: PlannedCall;
  /** The value the new execution sees instead of the recorded output. */
  readonly value: JsonValue;
  /** Invocation IDs of the target's direct consumers, in issue order (all are replay roots). */
  readonly consumerInvocationIds: readonly string[];
}

/**
 * The message itself (every field set, as `create` sets them), so that
 * `create` passes the thousands of a plan through without copying each.
 */
export function plannedCallToProto(call: PlannedCall): PlannedCallMessage {
  return { $typeName: "kitaru.runner.v1.PlannedCall", invocationId: call.invocationId, callId: call.callId, name: call.name, sequence: BigInt(call.sequence) };
}

/** The plain {@link PlannedCall} of a message; an unset one (never sent by the planner) reads as proto3 defaults. */
export function plannedCallFromProto(call: PlannedCallMessage | undefined): PlannedCall {
  return { invocationId: call?.invocationId ?? "", callId: call?.callId ?? "", name: call?.name ?? "", sequence: Number(call?.sequence ?? 0n) };
}
