/**
 * The planner's pure core: replay planning over a source execution's lineage.
 *
 * Nothing here does I/O, reads the clock or draws random numbers
 * (`test/planner/core/purity.test.ts` enforces it); the server layer loads the
 * source execution, calls {@link planReplay} and converts the plan to
 * `kitaru.runner.v1.ReplayPlan`.
 *
 * @example
 * ```ts
 * import { planReplay } from "./core/index.ts";
 *
 * const plan = planReplay(source, {
 *   from: "write_draft",
 *   args: { topic: "New topic" },
 *   overrides: { "checkpoint.research": "Edited notes" },
 * });
 * plan.roots.map((c) => c.invocationId);     // ["write_draft"]
 * plan.reexecute.map((c) => c.invocationId); // ["write_draft", "publish"]
 * plan.reuse.map((c) => c.invocationId);     // ["research"]
 * ```
 * @module
 */

// User-facing: the planning function and the data it reads and returns.
export { planReplay } from "./plan-replay.ts";
export type {
  ExecutionStatus,
  JsonObject,
  JsonValue,
  RecordedCall,
  ReplayRequest,
  SourceExecution,
} from "./source-execution.ts";
export type { ReplayPlan } from "./replay-plan.ts";

// Building blocks, for the server layer (e.g. validating keys before loading
// a source) and for tests.
export { parseOverrideKey, parseOverrides } from "./override-keys.ts";
export { createSelectorIndex, resolveSelector } from "./resolve-selector.ts";
export { buildLineageGraph, descendantsMask, directConsumers, producersOf } from "./lineage-graph.ts";

// Replay jobs: selection, per-source request IDs, comparison counts, totals.
export {
  checkSelection,
  countComparison,
  jobReplayRequestId,
  jobState,
  jobTotals,
  matchesSelection,
  MAX_JOB_SOURCES,
  olderThanWindow,
  replaySettled,
  resultChanged,
  selectedStatuses,
  sourceLimit,
} from "./replay-job.ts";
export type { JobSelection, SourceCandidate } from "./replay-job.ts";
