import type { DivergenceDetail } from "#contract/failure.ts";
import type { ReusableCall } from "../store/execution-store.ts";
import { hasOutput, seenOutput, type Payload, type ReplayRecord } from "../store/records.ts";

/** What the replayed run issued at one invocation ID planned for reuse. */
export interface ReuseIssue {
  readonly invocationId: string;
  readonly name: string;
  readonly dataDependencies: readonly string[];
}

/** Where a reused call's output comes from. */
export interface ReusedOutput {
  /** The output the source's flow body saw at this call (its override, if it had one). */
  readonly payload: Payload;
  /** This replay's override of the call, which the flow body sees instead. */
  readonly override: Payload | undefined;
  readonly sourceCallId: string;
  readonly source: ReusableCall;
}

/**
 * Checks durable call sequence compatibility while a replayed execution runs
 * (docs/replay-contract.md §4): a call planned for reuse must be issued in the recorded
 * relative order of reused calls, under the same checkpoint name, with the
 * same data dependencies and the same set of loaded outputs as recorded, and
 * must not depend on a call that was re-executed, overridden or is new.
 *
 * The load sets are compared incrementally (a running count of the symmetric
 * difference between the recorded and the observed cumulative load sets), so
 * a replay with n reused calls costs O(n + edges), not O(n²).
 */
export class ReplayGuard {
  readonly #execId: string;
  readonly #versions: GuardVersions;
  readonly #replay: ReplayRecord;
  readonly #sourceByInvocation = new Map<string, ReusableCall>();
  readonly #sourceInOrder: ReusableCall[];
  readonly #reused = new Set<string>();
  readonly #overrides = new Map<string, Payload>();
  // Incremental comparison of cumulative load sets.
  readonly #recordedLoads = new Set<string>();
  readonly #seenLoads = new Set<string>();
  #onlyRecorded = 0;
  #onlySeen = 0;
  #sourceCursor = 0;
  #lastReusedSequence = 0;
  #lastReusedInvocation = "";

  constructor(execId: string, replay: ReplayRecord, sourceCalls: readonly ReusableCall[], versions: GuardVersions = {}) {
    this.#execId = execId;
    this.#versions = versions;
    this.#replay = replay;
    this.#sourceInOrder = sourceCalls.filter(hasOutput).sort((a, b) => a.sequence - b.sequence);
    for (const call of this.#sourceInOrder) this.#sourceByInvocation.set(call.invocationId, call);
    for (const entry of replay.reuse) this.#reused.add(entry.invocationId);
    for (const entry of replay.overrides) this.#overrides.set(entry.invocationId, entry.value);
  }

  /** The source execution. */
  get sourceExecId(): string {
    return this.#replay.sourceExecId;
  }

  /** True when the plan reuses `invocationId`. */
  isReused(invocationId: string): boolean {
    return this.#reused.has(invocationId) && this.#sourceByInvocation.has(invocationId);
  }

  /** True when an override replaces the output of `invocationId`. */
  isOverridden(invocationId: string): boolean {
    return this.#overrides.has(invocationId);
  }

  /** The override payload for `invocationId`, if any. */
  overrideFor(invocationId: string): Payload | undefined {
    return this.#overrides.get(invocationId);
  }

  /** Feeds a load the replayed run made (first time only). */
  noteLoad(invocationId: string): void {
    this.#seenLoads.add(invocationId);
    if (this.#recordedLoads.has(invocationId)) this.#onlyRecorded -= 1;
    else this.#onlySeen += 1;
  }

  /**
   * Checks one issued call planned for reuse; returns the divergence, or the
   * output to reuse. Call it synchronously at issue time, in issue order.
   */
  checkReuse(issue: ReuseIssue): { divergence: DivergenceDetail } | { output: ReusedOutput } {
    const source = this.#sourceByInvocation.get(issue.invocationId);
    if (source === undefined) throw new Error(`ReplayGuard: '${issue.invocationId}' is not planned for reuse.`);
    if (source.name !== issue.name) {
      return this.#diverge(source, issue, "name_changed", `checkpoint '${source.name}'`, `checkpoint '${issue.name}'`);
    }
    if (source.sequence < this.#lastReusedSequence) {
      return this.#diverge(
        source,
        issue,
        "order_changed",
        `issued after '${this.#lastReusedInvocation}' was issued before it (sequence ${source.sequence} < ${this.#lastReusedSequence})`,
        `issued after '${this.#lastReusedInvocation}'`,
      );
    }
    // Recorded cumulative loads up to and including this call.
    for (let next = this.#sourceInOrder[this.#sourceCursor]; next !== undefined; next = this.#sourceInOrder[this.#sourceCursor]) {
      if (next.sequence > source.sequence) break;
      for (const loaded of next.loadDependencies) this.#addRecordedLoad(loaded);
      this.#sourceCursor += 1;
    }
    const recordedData = source.dataDependencies;
    let changed: string | undefined; // the first in sorted order
    for (const dep of issue.dataDependencies) {
      if ((!this.isReused(dep) || this.isOverridden(dep)) && (changed === undefined || dep < changed)) changed = dep;
    }
    if (changed !== undefined && !recordedData.includes(changed)) {
      return this.#diverge(
        source,
        issue,
        "depends_on_changed_call",
        describe([...recordedData].sort()),
        `depends on '${changed}', which is re-executed, overridden or new in this replay`,
      );
    }
    if (!sameMembers(recordedData, issue.dataDependencies) || this.#onlyRecorded !== 0 || this.#onlySeen !== 0) {
      const recorded = this.#fullDependencies(recordedData, this.#recordedLoads);
      const seen = this.#fullDependencies(issue.dataDependencies, this.#seenLoads);
      const kind = seen.some((dep) => !this.isReused(dep) || this.isOverridden(dep)) ? "depends_on_changed_call" : "dependencies_changed";
      return this.#diverge(source, issue, kind, describe(recorded), describe(seen), { recorded, seen });
    }
    this.#lastReusedSequence = source.sequence;
    this.#lastReusedInvocation = issue.invocationId;
    return {
      output: {
        payload: seenOutput(source) ?? { kind: "inline", json: "null" },
        override: this.#overrides.get(issue.invocationId),
        sourceCallId: source.callId,
        source,
      },
    };
  }

  /** The divergence of `issue` from `source`, with both sides' dependencies (data and loads so far) unless given. */
  #diverge(
    source: ReusableCall,
    issue: ReuseIssue,
    kind: DivergenceDetail["kind"],
    recorded: string,
    seen: string,
    dependencies?: { recorded: string[]; seen: string[] },
  ): { divergence: DivergenceDetail } {
    return {
      divergence: {
        execId: this.#execId,
        sourceExecId: this.#replay.sourceExecId,
        invocationId: issue.invocationId,
        kind,
        recorded,
        seen,
        recordedDependencies: dependencies?.recorded ?? this.#fullDependencies(source.dataDependencies, this.#recordedLoads),
        seenDependencies: dependencies?.seen ?? this.#fullDependencies(issue.dataDependencies, this.#seenLoads),
        ...versionFields(this.#versions),
      },
    };
  }

  #addRecordedLoad(invocationId: string): void {
    if (this.#recordedLoads.has(invocationId)) return;
    this.#recordedLoads.add(invocationId);
    if (this.#seenLoads.has(invocationId)) this.#onlySeen -= 1;
    else this.#onlyRecorded += 1;
  }

  #fullDependencies(data: readonly string[], loads: ReadonlySet<string>): string[] {
    return sortedUnique([...data, ...loads]);
  }
}

/** The flow versions a guard names in its divergences: the record's and the running code's. */
export interface GuardVersions {
  /** The flow version that recorded the calls compared against. */
  readonly recorded?: string | undefined;
  /** The flow version of the code running now. */
  readonly current?: string | undefined;
}

/** The version fields of a divergence detail: both versions when they differ (or the record's is unknown), none when they are the same. */
export function versionFields(versions: GuardVersions): Pick<DivergenceDetail, "recordedFlowVersion" | "flowVersion"> {
  if (versions.current === undefined || versions.recorded === versions.current) return {};
  return versions.recorded === undefined ? { flowVersion: versions.current } : { recordedFlowVersion: versions.recorded, flowVersion: versions.current };
}

/** The distinct members of `names`, sorted. */
function sortedUnique(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

/**
 * True when the recorded data dependencies are the distinct `seen` ones, in
 * any order; without allocating when they are equal in order (the usual case).
 */
function sameMembers(recorded: readonly string[], seen: readonly string[]): boolean {
  if (recorded.length === seen.length && recorded.every((name, i) => name === seen[i])) return true;
  return [...recorded].sort().join("\u0000") === sortedUnique(seen).join("\u0000");
}

function describe(dependencies: readonly string[]): string {
  return dependencies.length === 0 ? "no dependencies" : `depends on ${dependencies.map((d) => `'${d}'`).join(", ")}`;
}
