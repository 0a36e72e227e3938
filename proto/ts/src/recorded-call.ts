/**
 * One recorded checkpoint call's lineage: what a call graph carries of it and
 * what a replay plans over. One shape for the runner's lineage records, the
 * call graph's wire encoder and reader, and the planner's core.
 *
 * @module
 */
import type { CheckpointCallStatus } from "./status.ts";

/**
 * One recorded checkpoint call, outputs left out; `Status` is how its reader
 * names the status (the planner's core narrows it).
 *
 * Dependencies name invocation IDs. A dependency that names no call issued
 * earlier in the same execution creates no lineage edge (the planner's
 * `lineage-graph.ts`).
 */
export interface RecordedCall<Status = CheckpointCallStatus> {
  /** Deterministic within the execution: `research`, `research_2`, ... or an explicit id. */
  readonly invocationId: string;
  /** Globally unique ID of this call. */
  readonly callId: string;
  /** The checkpoint name. */
  readonly name: string;
  /** Issue order, from 1; strictly increasing along an execution's calls. */
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
  /** How the call ended. */
  readonly status: Status;
}
