/**
 * The lineage graph of one execution's checkpoint calls, and the two walks a
 * replay plan needs over it: direct consumers and descendants.
 *
 * Call B depends on call A through a *data edge* (A's output handle was
 * passed to B) or a *load edge* (the flow body loaded A's output before B was
 * issued). Edges always point from an earlier call to a later one, so both
 * walks are single forward passes: linear in calls + edges.
 *
 * Load dependencies are recorded as deltas. Once A is loaded, every later
 * call depends on it; so the direct load consumers of A are exactly the calls
 * from A's *first load point* on, and a call is tainted by a re-executed load
 * as soon as the cumulative load set has absorbed any re-executed call.
 *
 * @module
 */
import { KitaruInternalError } from "#contract/errors/kitaru-error.ts";
import type { RecordedCall } from "./source-execution.ts";

/** Call indices (positions in `calls`) instead of invocation IDs, resolved once. */
export interface LineageGraph {
  readonly calls: readonly RecordedCall[];
  /** Per call: indices of earlier calls it has a data edge from (deduplicated). */
  readonly dataProducers: readonly (readonly number[])[];
  /** Per call: indices of earlier calls first loaded just before it (the recorded delta). */
  readonly loadedBefore: readonly (readonly number[])[];
  /** Per call: whether any later call has an edge from it. */
  readonly hasConsumer: readonly boolean[];
}

/**
 * Builds the lineage graph in one pass.
 *
 * A dependency naming no call issued earlier (an unknown invocation ID, the
 * call itself, or a later call) creates no edge: it can only come from a call
 * that was still in flight when the source stopped, which the replayed run
 * issues as a new call. Throws {@link KitaruInternalError} when the calls are
 * not in strictly increasing `sequence` order (the store must return them so).
 */
export function buildLineageGraph(calls: readonly RecordedCall[]): LineageGraph {
  const byInvocationId = new Map<string, number>();
  const dataProducers: (readonly number[])[] = new Array<readonly number[]>(calls.length);
  const loadedBefore: (readonly number[])[] = new Array<readonly number[]>(calls.length);
  const hasConsumer: boolean[] = new Array<boolean>(calls.length).fill(false);
  const loaded = new Set<number>();
  let previousSequence = -Infinity;
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i] as RecordedCall;
    if (!(call.sequence > previousSequence)) {
      throw new KitaruInternalError(
        `Checkpoint calls must be listed in issue order: call '${call.callId}' has sequence ${call.sequence} after ${previousSequence}.`,
        { metadata: { callId: call.callId, sequence: String(call.sequence), previousSequence: String(previousSequence) } },
      );
    }
    previousSequence = call.sequence;
    const data = resolveEarlier(call.dataDependencies, byInvocationId);
    let load: number[] | undefined;
    for (const producer of resolveEarlier(call.loadDependencies, byInvocationId)) {
      if (loaded.has(producer)) continue; // already in the cumulative load set
      loaded.add(producer);
      if (load === undefined) load = [producer];
      else load.push(producer);
    }
    for (const producer of data) hasConsumer[producer] = true;
    if (load !== undefined) for (const producer of load) hasConsumer[producer] = true;
    dataProducers[i] = data;
    loadedBefore[i] = load ?? NONE;
    byInvocationId.set(call.invocationId, i);
  }
  return { calls, dataProducers, loadedBefore, hasConsumer };
}

/** The one empty index list, shared by every call without edges of a kind (nothing writes to the lists). */
const NONE: readonly number[] = Object.freeze([]);

/** The distinct indices of the IDs that name earlier calls, in the order first named. */
function resolveEarlier(invocationIds: readonly string[], byInvocationId: ReadonlyMap<string, number>): readonly number[] {
  if (invocationIds.length === 0) return NONE;
  if (invocationIds.length === 1) {
    const index = byInvocationId.get(invocationIds[0] as string);
    return index === undefined ? NONE : [index];
  }
  const out = new Set<number>();
  for (const id of invocationIds) {
    const index = byInvocationId.get(id);
    if (index !== undefined) out.add(index);
  }
  return out.size === 0 ? NONE : [...out];
}

/**
 * Returns, for each producer, the indices of its direct consumers in issue order.
 *
 * One pass over the edges, plus the size of the answer: a loaded producer is
 * consumed by every call from its first load point on.
 */
export function directConsumers(graph: LineageGraph, producers: Iterable<number>): Map<number, number[]> {
  const wanted = new Set(producers);
  const dataConsumers = new Map<number, number[]>();
  const firstLoad = new Map<number, number>();
  for (const p of wanted) dataConsumers.set(p, []);
  graph.calls.forEach((_, i) => {
    for (const p of graph.dataProducers[i] ?? []) dataConsumers.get(p)?.push(i);
    for (const p of graph.loadedBefore[i] ?? []) if (wanted.has(p)) firstLoad.set(p, i);
  });
  const result = new Map<number, number[]>();
  for (const p of wanted) {
    const start = firstLoad.get(p) ?? graph.calls.length;
    const consumers = (dataConsumers.get(p) ?? []).filter((i) => i < start);
    for (let i = start; i < graph.calls.length; i++) consumers.push(i);
    result.set(p, consumers);
  }
  return result;
}

/**
 * Marks the roots and all their descendants (data and load edges).
 *
 * One forward pass: a call is re-executed when it is a root, when a data
 * producer is re-executed, or when the cumulative load set already holds a
 * re-executed call.
 */
export function descendantsMask(graph: LineageGraph, roots: Iterable<number>): boolean[] {
  const mask: boolean[] = new Array<boolean>(graph.calls.length).fill(false);
  for (const r of roots) mask[r] = true;
  let loadedReexecuted = false;
  for (let i = 0; i < graph.calls.length; i++) {
    if (!loadedReexecuted) loadedReexecuted = anyMarked(graph.loadedBefore[i], mask);
    if (loadedReexecuted || anyMarked(graph.dataProducers[i], mask)) mask[i] = true;
  }
  return mask;
}

function anyMarked(indices: readonly number[] | undefined, mask: readonly boolean[]): boolean {
  if (indices === undefined) return false;
  for (const p of indices) if (mask[p]) return true;
  return false;
}
