/**
 * Resolves a checkpoint selector (a call ID, invocation ID or name) to one
 * recorded call.
 *
 * Contract §2 item 6: the selector is matched exactly (not trimmed), most
 * specific first: the call whose call ID equals it, else the call whose
 * invocation ID equals it (both are unique within an execution), else the
 * calls whose checkpoint name equals it. So a checkpoint called three times
 * (invocation IDs `branch`, `branch_2`, `branch_3`) is selected by `branch`
 * (the first call); a name is ambiguous only when no invocation ID equals it,
 * e.g. calls given explicit IDs `write-a` and `write-b`. None, or several by
 * name, is a {@link KitaruStateError} carrying a `SelectorResolution`.
 *
 * @module
 */
import { KitaruStateError } from "#contract/errors/kitaru-error.ts";
import type { CallCandidate } from "#contract/errors/kitaru-error.ts";
import type { RecordedCall } from "./source-execution.ts";

/**
 * The calls of one execution, looked up by call ID, invocation ID and name.
 *
 * A plan resolves `from` and one selector per override: the first few are
 * found by scanning the calls (a plan of 10,000 calls would spend more on
 * building maps than on a scan); after {@link SCANS_BEFORE_MAPS} the index
 * builds its maps once, so resolving k selectors stays O(calls + k).
 */
export interface SelectorIndex {
  readonly execId: string;
  readonly calls: readonly RecordedCall[];
  /** The first call with this call ID, else the first with this invocation ID. */
  exact(selector: string): number | undefined;
  /** Every call of a name, in issue order. */
  named(name: string): readonly number[];
  /** The checkpoint names, each once, in first-issue order. */
  names(): string[];
}

const SCANS_BEFORE_MAPS = 4;

/** Where a selector came from, for messages: `from` or the override key. */
export interface SelectorSource {
  readonly selector: string;
  /** `from` or the override key, e.g. `checkpoint.research`. */
  readonly source: string;
}

/** The calls of one execution, to resolve selectors against. */
export function createSelectorIndex(execId: string, calls: readonly RecordedCall[]): SelectorIndex {
  let scans = 0;
  let maps: { byCallId: Map<string, number>; byInvocationId: Map<string, number>; byName: Map<string, number[]> } | undefined;
  const built = () => {
    if (maps === undefined && ++scans > SCANS_BEFORE_MAPS) {
      const index = { byCallId: new Map<string, number>(), byInvocationId: new Map<string, number>(), byName: new Map<string, number[]>() };
      for (const [position, call] of calls.entries()) {
        if (!index.byCallId.has(call.callId)) index.byCallId.set(call.callId, position);
        if (!index.byInvocationId.has(call.invocationId)) index.byInvocationId.set(call.invocationId, position);
        const named = index.byName.get(call.name);
        if (named === undefined) index.byName.set(call.name, [position]);
        else named.push(position);
      }
      maps = index;
    }
    return maps;
  };
  const firstWhere = (matches: (call: RecordedCall) => boolean): number | undefined => {
    const index = calls.findIndex(matches);
    return index < 0 ? undefined : index;
  };
  return {
    execId,
    calls,
    exact(selector) {
      const m = built();
      if (m !== undefined) return m.byCallId.get(selector) ?? m.byInvocationId.get(selector);
      return firstWhere((call) => call.callId === selector) ?? firstWhere((call) => call.invocationId === selector);
    },
    named(name) {
      const m = built();
      if (m !== undefined) return m.byName.get(name) ?? [];
      const found: number[] = [];
      calls.forEach((call, index) => {
        if (call.name === name) found.push(index);
      });
      return found;
    },
    names() {
      return [...new Set(calls.map((call) => call.name))];
    },
  };
}

/**
 * Returns the index of the one call the selector names: by call ID, else by
 * invocation ID, else by name when exactly one call has that name.
 *
 * Throws {@link KitaruStateError} when no call matches (listing the available
 * checkpoint names, sorted and unique) or when several calls share the name
 * and none has it as invocation ID (listing their invocation IDs and call IDs,
 * each of which selects one call, in `selector.candidates`).
 */
export function resolveSelector(index: SelectorIndex, { selector, source }: SelectorSource): number {
  const exact = index.exact(selector);
  if (exact !== undefined) return exact;
  const named = index.named(selector);
  const [only] = named;
  if (named.length === 1 && only !== undefined) return only;
  const given = describeSource(selector, source);
  const { execId } = index;
  if (named.length === 0) {
    const availableNames = index.names().sort();
    throw new KitaruStateError(
      `No checkpoint call in execution '${execId}' matches ${given}. ` +
        `Available checkpoint names: ${availableNames.join(", ")}. ` +
        "A selector is a checkpoint name, invocation ID or call ID, matched exactly.",
      {
        metadata: { execId, selector, source, availableNames: availableNames.join(",") },
        selector: { selector, source, candidates: [], availableNames },
      },
    );
  }
  const candidates: CallCandidate[] = named.map((i) => {
    const { name, invocationId, callId } = index.calls[i] as RecordedCall;
    return { name, invocationId, callId };
  });
  const invocationIds = candidates.map((c) => c.invocationId);
  const callIds = candidates.map((c) => c.callId);
  throw new KitaruStateError(
    `The checkpoint selector ${given} is ambiguous in execution '${execId}': ${candidates.length} calls of checkpoint ` +
      `'${selector}' were recorded, and none has it as invocation ID. ` +
      `Select one by invocation ID (${invocationIds.map((id) => `'${id}'`).join(", ")}) ` +
      `or by call ID (${callIds.map((id) => `'${id}'`).join(", ")}).`,
    {
      metadata: {
        execId,
        selector,
        source,
        matchCount: String(candidates.length),
        invocationIds: invocationIds.join(","),
        callIds: callIds.join(","),
      },
      selector: { selector, source, candidates, availableNames: [] },
    },
  );
}

function describeSource(selector: string, source: string): string {
  return source === "from" ? `'${selector}' (given as \`from\`)` : `'${selector}' (from override '${source}')`;
}
