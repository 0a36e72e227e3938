/**
 * Tracks load edges while a flow body runs.
 *
 * When the body loads (awaits) a call's output, every call issued afterwards
 * depends on it. Each call records only the loads since the previous call
 * (a delta), which keeps the journal linear in size; the full set is the
 * union of the deltas up to the call.
 */
export class LineageTracker {
  readonly #loaded = new Set<string>();
  #sinceLastCall: string[] = [];

  /** Records a load; returns true the first time `invocationId` is loaded. */
  noteLoad(invocationId: string): boolean {
    if (this.#loaded.has(invocationId)) return false;
    this.#loaded.add(invocationId);
    this.#sinceLastCall.push(invocationId);
    return true;
  }

  /** The loads since the previous call, for the call being issued now. */
  takeLoadDelta(): string[] {
    const delta = this.#sinceLastCall;
    this.#sinceLastCall = [];
    return delta;
  }

  /** Every output loaded so far. */
  get loaded(): ReadonlySet<string> {
    return this.#loaded;
  }
}
