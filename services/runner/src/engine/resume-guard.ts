import type { DivergenceDetail } from "#contract/failure.ts";
import type { ReusableCall } from "../store/execution-store.ts";
import { hasOutput } from "../store/records.ts";
import { replayCommand } from "./replay-command.ts";
import { ReplayGuard, versionFields, type GuardVersions } from "./replay-guard.ts";

/** What a resumed body issued: one checkpoint call. */
export interface ResumeIssue {
  readonly invocationId: string;
  readonly name: string;
  /** Its place in issue order in this run, from 1. */
  readonly sequence: number;
  readonly dataDependencies: readonly string[];
}

/** What a {@link ResumeGuard} checks a body against. */
export interface ResumeGuardInit {
  readonly execId: string;
  /** Every recorded call of the execution (any status), as the store lists them. */
  readonly journal: readonly ReusableCall[];
  /** The waits the execution reached, in the order reached. */
  readonly waits: readonly { readonly name: string }[];
  /** The flow versions: the one that recorded the journal (last ran the body) and the one running now. */
  readonly versions: GuardVersions;
}

/**
 * Checks a body resumed by code of another flow version than the one that
 * recorded its journal (after a wait, a crash or a retry) against that
 * journal (docs/replay-contract.md §7, docs/upgrades.md): the new code must
 * issue the recorded calls the recorded way, and may only add work where the
 * record holds none.
 *
 * - A recorded call (one with an output) is checked as a replay checks a
 *   reused call: same checkpoint name, same data dependencies, the same
 *   outputs loaded before it, in the recorded relative order.
 * - A call the record does not hold is refused when the record holds another
 *   call at its place in issue order that has not been issued (a renamed or
 *   inserted checkpoint): the new code never runs a checkpoint where the old
 *   one recorded a different one. Past the end of the record it is new work.
 * - A wait the record does not hold is refused while recorded waits have not
 *   been reached: their answers would be lost.
 *
 * A divergence names the first call that differs, both versions, and the
 * replay that continues the work on the new code.
 */
export class ResumeGuard {
  readonly #execId: string;
  readonly #versions: GuardVersions;
  readonly #recorded: ReplayGuard;
  readonly #withOutput = new Set<string>();
  /** The recorded invocation at each place in issue order (outcome and failed-attempt records share one). */
  readonly #bySequence = new Map<number, ReusableCall>();
  /** Recorded calls in issue order, for the replay a divergence suggests. */
  readonly #inOrder: ReusableCall[];
  readonly #issued = new Set<string>();
  readonly #waitNames: readonly string[];
  readonly #reachedWaits = new Set<string>();

  constructor(init: ResumeGuardInit) {
    this.#execId = init.execId;
    this.#versions = init.versions;
    const outputs = init.journal.filter(hasOutput);
    for (const call of outputs) this.#withOutput.add(call.invocationId);
    for (const call of init.journal) if (!this.#bySequence.has(call.sequence)) this.#bySequence.set(call.sequence, call);
    this.#inOrder = [...this.#bySequence.values()].sort((a, b) => a.sequence - b.sequence);
    this.#recorded = new ReplayGuard(
      init.execId,
      {
        sourceExecId: init.execId,
        from: "",
        roots: [],
        overrideKeys: [],
        reuse: outputs.map((call) => ({ invocationId: call.invocationId, callId: call.callId })),
        overrides: [],
      },
      outputs,
      init.versions,
    );
    this.#waitNames = init.waits.map((wait) => wait.name);
  }

  /** Feeds a load the resumed body made (first time only). */
  noteLoad(invocationId: string): void {
    this.#recorded.noteLoad(invocationId);
  }

  /** Checks one issued call, synchronously at issue time and in issue order; the divergence, if any. */
  checkCall(issue: ResumeIssue): DivergenceDetail | undefined {
    this.#issued.add(issue.invocationId);
    if (this.#withOutput.has(issue.invocationId)) {
      const checked = this.#recorded.checkReuse(issue);
      return "divergence" in checked ? this.#withReplay(checked.divergence, issue.invocationId) : undefined;
    }
    const there = this.#bySequence.get(issue.sequence);
    if (there === undefined || there.invocationId === issue.invocationId || this.#issued.has(there.invocationId)) return undefined;
    return this.#withReplay(
      {
        execId: this.#execId,
        sourceExecId: this.#execId,
        invocationId: there.invocationId,
        kind: "call_replaced",
        recorded: `checkpoint '${there.name}' (invocation '${there.invocationId}') as call ${issue.sequence}`,
        seen: `checkpoint '${issue.name}' (invocation '${issue.invocationId}'), which the record does not hold, as call ${issue.sequence}`,
        recordedDependencies: [],
        seenDependencies: [],
        ...versionFields(this.#versions),
      },
      there.invocationId,
    );
  }

  /**
   * Checks a wait the resumed body reached, after `callsIssued` calls; the
   * divergence, if any.
   */
  checkWait(name: string, callsIssued: number): DivergenceDetail | undefined {
    if (this.#waitNames.includes(name)) {
      this.#reachedWaits.add(name);
      return undefined;
    }
    const unreached = this.#waitNames.find((recorded) => !this.#reachedWaits.has(recorded));
    if (unreached === undefined) return undefined;
    const next = this.#inOrder.find((call) => call.sequence > callsIssued);
    return this.#withReplay(
      {
        execId: this.#execId,
        sourceExecId: this.#execId,
        invocationId: name,
        kind: "wait_changed",
        recorded: `wait '${unreached}', not reached yet`,
        seen: `wait '${name}', which the record does not hold`,
        recordedDependencies: [],
        seenDependencies: [],
        ...versionFields(this.#versions),
      },
      next?.invocationId,
    );
  }

  /** `detail` with the replay that continues the work on the new code: from `from`, when there is such a call. */
  #withReplay(detail: DivergenceDetail, from: string | undefined): DivergenceDetail {
    if (from === undefined) return detail;
    return { ...detail, replayFrom: from, replayCommand: replayCommand(this.#execId, from) };
  }
}
