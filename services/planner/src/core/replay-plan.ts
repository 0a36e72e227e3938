/**
 * The replay plan: which calls of the source a replay re-executes and which
 * it reuses. Plain data, converted to `kitaru.runner.v1.ReplayPlan` by the
 * server layer.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "./source-execution.ts";

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
 * A replay plan. Every list is in issue order; `reexecute` and `reuse`
 * partition the source calls, and no reused call depends on a re-executed one.
 */
export interface ReplayPlan {
  readonly sourceExecId: string;
  readonly flowName: string;
  /** The `from` selector as given. */
  readonly from: string;
  /** The call `from` resolved to. */
  readonly fromCall: PlannedCall;
  /** `fromCall` and the direct consumers of every override, without duplicates. */
  readonly roots: readonly PlannedCall[];
  /** The roots and all their descendants (data and load edges). */
  readonly reexecute: readonly PlannedCall[];
  /** Every other call: not executed, its recorded output returned. */
  readonly reuse: readonly PlannedCall[];
  /** The overrides, in the order given. */
  readonly overrides: readonly PlannedOverride[];
  /** The new execution's input: the source input shallow-merged with `args`. */
  readonly input: JsonObject;
  /** The source's state version the plan was made from (absent when the source had none). */
  readonly sourceVersion?: number | undefined;
}
