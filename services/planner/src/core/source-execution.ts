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
import type { ExecutionStatus } from "#contract/status.ts";

export type { JsonObject, JsonValue } from "#contract/json-value.ts";
export type { ExecutionStatus } from "#contract/status.ts";

/**
 * One recorded checkpoint call of the source execution.
 *
 * Dependencies name invocation IDs. A dependency that names no call issued
 * earlier in the same execution creates no lineage edge (see `lineage-graph.ts`).
 */
export interface RecordedCall {
  /** Deterministic within the execution: `research`, `research_2`, ... or an explicit id. */
  readonly invocationId: string;
  /** Globally unique ID of this call. */
  readonly callId: string;
  /** The checkpoint name. */
  readonly name: string;
  /** Issue order, from 1; strictly increasing along `SourceExecution.calls`. */
  readonly sequence: number;
  /** Invocation IDs whose output handles were passed to this call (data edges). */
  readonly dataDependencies: readonly string[];
  /**
   * Invocation IDs the flow body loaded (awaited) after the previous call was
   * issued and before this one: a delta. The full load set of a call is the
   * union of the deltas of that call and of every call issued before it.
   */
  readonly loadDependencies: readonly string[];
  /** Names of the outputs of a multi-output checkpoint; empty for a single output. */
  readonly outputNames: readonly string[];
  /**
   * How the call ended in the source execution. A `failed` or `cancelled`
   * call has no output to reuse: a replay always re-executes it.
   */
  readonly status: "completed" | "failed" | "reused" | "cancelled";
}

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
}
