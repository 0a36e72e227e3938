/**
 * The planner's view of a source execution: its status, input and the
 * lineage of its recorded checkpoint calls (outputs left out).
 *
 * These are the inputs of {@link planReplay}; the server layer fills them from
 * the store. Everything here is plain, readonly data.
 *
 * @module
 */

import type { JsonObject } from "#contract/json-value.ts";
import type { RecordedCall as RecordedCallOf } from "#contract/recorded-call.ts";
import type { ExecutionStatus } from "#contract/status.ts";

export type { JsonObject, JsonValue } from "#contract/json-value.ts";
export type { ExecutionStatus } from "#contract/status.ts";

/**
 * One recorded checkpoint call of the source execution (the contract's
 * shape). A `failed` or `cancelled` call has no output to reuse: a replay
 * always re-executes it.
 */
export type RecordedCall = RecordedCallOf<"completed" | "failed" | "reused" | "cancelled">;

/** The execution a replay starts from. */
export interface SourceExecution {
  readonly execId: string;
  readonly flowName: string;
  readonly status: ExecutionStatus;
  /** The validated input the source ran with; replay `args` are merged onto it. */
  readonly input: JsonObject;
  /** Every recorded call, in issue order. */
  readonly calls: readonly RecordedCall[];
  /** Its state version when read (the runner's `CallGraph.version`); a plan carries it. */
  readonly version?: number | undefined;
}

/**
 * What the caller asked to replay.
 *
 * `args` and the override values come straight from the wire or the CLI, so
 * they are checked here: `args` must be a JSON object, each value JSON.
 */
export interface ReplayRequest {
  /** A checkpoint name, invocation ID or call ID; matched exactly, not trimmed. */
  readonly from: string;
  /** Flow input fields shallow-merged over the source input. */
  readonly args?: unknown;
  /** `checkpoint.<selector>` keys mapped to the output value the new execution sees. */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Wait names the replay answers from the source's recorded answers; none by default. */
  readonly answerWaitsFromSource?: readonly unknown[];
}
