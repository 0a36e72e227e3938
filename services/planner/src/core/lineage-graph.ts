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

/**
 * Call indices (positions in `calls`) instead of invocation IDs, resolved once.
 *
 * The edges of all calls are in two flat lists, each call's in one range
 * (`dataProducers[dataStart[i] .. dataStart[i + 1])`): no list per call, which
 * for an execution of 100 000 calls is that many small arrays for the
 * collector to copy (see {@link producersOf}).
 */
export interface LineageGraph {
  readonly calls: readonly RecordedCall[];
  /** Per call (and one past the last): where its range starts in `dataProducers` / `loadedBefore`. */
  readonly dataStart: Int32Array;
  readonly loadStart: Int32Array;
  /** Indices of earlier calls each call has a data edge from (deduplicated, in the order first named). */
  readonly dataProducers: readonly number[];
  /** Indices of earlier calls first loaded just before each call (the recorded delta). */
  readonly loadedBefore: readonly number[];
  /** Per call: 1 when any later call has an edge from it. */
  readonly hasConsumer: Uint8Array;
}

/** The indices in call `i`'s range of an edge list of `graph` (`dataProducers` with `dataStart`, or `loadedBefore` with `loadStart`). */
export function producersOf(edges: readonly number[], start: Int32Array, i: number): number[] {
  return edges.slice(start[i], start[i + 1]);
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
  const n = calls.length;
  const ids = new EarlierCalls(calls);
  const dataStart = new Int32Array(n + 1);
  const loadStart = new Int32Array(n + 1);
  const dataProducers: number[] = [];
  const loadedBefore: number[] = [];
  const hasConsumer = new Uint8Array(n);
  const loaded = new Set<number>();
  let previousSequence = -Infinity;
  for (let i = 0; i < n; i++) {
    const call = calls[i] as RecordedCall;
    if (!(call.sequence > previousSequence)) {
      throw new KitaruInternalError(
        `Checkpoint calls must be listed in issue order: call '${call.callId}' has sequence ${call.sequence} after ${previousSequence}.`,
        { metadata: { callId: call.callId, sequence: String(call.sequence), previousSequence: String(previousSequence) } },
      );
    }
    previousSequence = call.sequence;
    const from = dataProducers.length;
    dataStart[i] = from;
    const data = call.dataDependencies;
    // Deduplicated by a scan of the few so far, or for a call on many others a set.
    const distinct = data.length > MANY ? new Set<number>() : undefined;
    for (let k = 0; k < data.length; k++) {
      const producer = ids.indexBefore(i, data[k] as string);
      if (producer === undefined) continue;
      if (distinct === undefined ? includesFrom(dataProducers, from, producer) : distinct.has(producer)) continue;
      distinct?.add(producer);
      dataProducers.push(producer);
      hasConsumer[producer] = 1;
    }
    loadStart[i] = loadedBefore.length;
    const load = call.loadDependencies;
    for (let k = 0; k < load.length; k++) {
      const producer = ids.indexBefore(i, load[k] as string);
      if (producer === undefined || loaded.has(producer)) continue; // unknown, or already in the cumulative load set
      loaded.add(producer);
      loadedBefore.push(producer);
      hasConsumer[producer] = 1;
    }
  }
  dataStart[n] = dataProducers.length;
  loadStart[n] = loadedBefore.length;
  return { calls, dataStart, loadStart, dataProducers, loadedBefore, hasConsumer };
}

/** Above this many data dependencies, a call's producers are deduplicated with a set. */
const MANY = 16;

/** Whether `list[from..]` holds `value` (a call's few producers so far). */
function includesFrom(list: readonly number[], from: number, value: number): boolean {
  for (let k = from; k < list.length; k++) if (list[k] === value) return true;
  return false;
}

/**
 * The index of the latest call before call `i` with a given invocation ID.
 * A dependency on the call just before is answered without a map (a chain of
 * calls, each on the one before, needs none); the map of every earlier call is
 * built at the first other dependency, and kept up to date from there on.
 */
class EarlierCalls {
  readonly #calls: readonly RecordedCall[];
  #byInvocationId: Map<string, number> | undefined;
  /** The calls before this index are in the map. */
  #mapped = 0;

  constructor(calls: readonly RecordedCall[]) {
    this.#calls = calls;
  }

  indexBefore(i: number, invocationId: string): number | undefined {
    if (i > 0 && this.#calls[i - 1]?.invocationId === invocationId) return i - 1;
    let map = this.#byInvocationId;
    if (map === undefined) {
      map = new Map<string, number>();
      this.#byInvocationId = map;
    }
    for (; this.#mapped < i; this.#mapped++) map.set((this.#calls[this.#mapped] as RecordedCall).invocationId, this.#mapped);
    return map.get(invocationId);
  }
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
  const { dataStart, dataProducers, loadStart, loadedBefore } = graph;
  for (let i = 0; i < graph.calls.length; i++) {
    for (let k = dataStart[i] ?? 0; k < (dataStart[i + 1] ?? 0); k++) dataConsumers.get(dataProducers[k] as number)?.push(i);
    for (let k = loadStart[i] ?? 0; k < (loadStart[i + 1] ?? 0); k++) {
      const p = loadedBefore[k] as number;
      if (wanted.has(p)) firstLoad.set(p, i);
    }
  }
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
  const { dataStart, dataProducers, loadStart, loadedBefore } = graph;
  let loadedReexecuted = false;
  for (let i = 0; i < graph.calls.length; i++) {
    if (!loadedReexecuted) loadedReexecuted = anyMarked(loadedBefore, loadStart[i] ?? 0, loadStart[i + 1] ?? 0, mask);
    if (loadedReexecuted || anyMarked(dataProducers, dataStart[i] ?? 0, dataStart[i + 1] ?? 0, mask)) mask[i] = true;
  }
  return mask;
}

function anyMarked(indices: readonly number[], from: number, to: number, mask: readonly boolean[]): boolean {
  for (let k = from; k < to; k++) if (mask[indices[k] as number]) return true;
  return false;
}
