/**
 * The replay plan: which calls of the source a replay re-executes and which
 * it reuses. Plain data, converted to `kitaru.runner.v1.ReplayPlan` by the
 * server layer.
 *
 * @module
 */
import type { PlannedCall, PlannedOverride } from "#contract/replay-plan.ts";
import type { JsonObject } from "./source-execution.ts";

// The calls and overrides a plan names are the contract's shapes, shared with the client.
export type { PlannedCall, PlannedOverride } from "#contract/replay-plan.ts";

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
  /** Wait names the replay answers from the source's recorded answers, each once; empty when every wait asks again. */
  readonly answerWaitsFromSource: readonly string[];
}
