/**
 * Replay roots (docs/replay-contract.md §3): the `from` call plus the direct consumers of
 * every overridden call.
 *
 * The overridden call itself is not a root: its consumers receive the
 * override value, so they are where the new execution starts to differ. It is
 * re-executed only when it is itself a descendant of a root.
 *
 * @module
 */
import { directConsumers } from "./lineage-graph.ts";
import type { LineageGraph } from "./lineage-graph.ts";

/** Roots of a replay, as call indices. */
export interface ReplayRoots {
  /** `from` and every override consumer, deduplicated, in issue order. */
  readonly roots: readonly number[];
  /** For each overridden call, its direct consumers in issue order. */
  readonly consumersByTarget: ReadonlyMap<number, readonly number[]>;
}

/** Computes the replay roots in one pass over the graph (plus the size of the answer). */
export function replayRoots(graph: LineageGraph, fromIndex: number, overrideTargets: Iterable<number>): ReplayRoots {
  const consumersByTarget = directConsumers(graph, overrideTargets);
  const isRoot: boolean[] = new Array<boolean>(graph.calls.length).fill(false);
  isRoot[fromIndex] = true;
  for (const consumers of consumersByTarget.values()) for (const c of consumers) isRoot[c] = true;
  const roots: number[] = [];
  isRoot.forEach((root, i) => {
    if (root) roots.push(i);
  });
  return { roots, consumersByTarget };
}
