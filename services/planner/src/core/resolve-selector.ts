/**
 * Resolves a checkpoint selector (a name, invocation ID or call ID) to one
 * recorded call.
 *
 * Contract §2 item 6: the selector is matched exactly against all three
 * fields of every call. One matching call resolves; none or several is a
 * {@link KitaruStateError} carrying a {@link SelectorResolution}. A name
 * called twice is ambiguous; its invocation IDs and call IDs are not.
 *
 * @module
 */
import { KitaruStateError } from "../../../../clients/ts/src/errors/kitaru-error.ts";
import type { CallCandidate } from "../../../../clients/ts/src/errors/kitaru-error.ts";
import type { RecordedCall } from "./source-execution.ts";

/**
 * Maps every name, invocation ID and call ID to the indices of the calls
 * carrying it (each call listed once per key, in issue order).
 *
 * Built once per plan so that resolving k selectors costs O(calls + k), not O(calls * k).
 */
export interface SelectorIndex {
  readonly execId: string;
  readonly calls: readonly RecordedCall[];
  readonly matches: ReadonlyMap<string, readonly number[]>;
}

/** Where a selector came from, for messages: `from` or the override key. */
export interface SelectorSource {
  readonly selector: string;
  /** `from` or the override key, e.g. `checkpoint.research`. */
  readonly source: string;
}

/** Indexes the calls of one execution by name, invocation ID and call ID. */
export function createSelectorIndex(execId: string, calls: readonly RecordedCall[]): SelectorIndex {
  const matches = new Map<string, number[]>();
  calls.forEach((call, index) => {
    for (const key of [call.name, call.invocationId, call.callId]) {
      const list = matches.get(key);
      if (list === undefined) matches.set(key, [index]);
      else if (list[list.length - 1] !== index) list.push(index);
    }
  });
  return { execId, calls, matches };
}

/**
 * Returns the index of the one call the selector names.
 *
 * Throws {@link KitaruStateError} when no call matches (listing the available
 * checkpoint names, sorted and unique) or when several do (listing their
 * invocation IDs and call IDs, and filling `selector.candidates`).
 */
export function resolveSelector(index: SelectorIndex, { selector, source }: SelectorSource): number {
  const found = index.matches.get(selector) ?? [];
  const [only] = found;
  if (found.length === 1 && only !== undefined) return only;
  const given = describeSource(selector, source);
  const { execId } = index;
  if (found.length === 0) {
    const availableNames = [...new Set(index.calls.map((c) => c.name))].sort();
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
  const candidates: CallCandidate[] = found.map((i) => {
    const { name, invocationId, callId } = index.calls[i] as RecordedCall;
    return { name, invocationId, callId };
  });
  const invocationIds = candidates.map((c) => c.invocationId);
  const callIds = candidates.map((c) => c.callId);
  throw new KitaruStateError(
    `The checkpoint selector ${given} is ambiguous in execution '${execId}': it matches ${candidates.length} ` +
      `checkpoint calls (invocation IDs: ${invocationIds.join(", ")}; call IDs: ${callIds.join(", ")}). ` +
      "Select one of them by its invocation ID or call ID.",
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
