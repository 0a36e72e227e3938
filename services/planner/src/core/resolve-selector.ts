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
 * The calls of one execution indexed by call ID, invocation ID and name.
 *
 * Built once per plan so that resolving k selectors costs O(calls + k), not O(calls * k).
 */
export interface SelectorIndex {
  readonly execId: string;
  readonly calls: readonly RecordedCall[];
  readonly byCallId: ReadonlyMap<string, number>;
  readonly byInvocationId: ReadonlyMap<string, number>;
  /** Every call of a name, in issue order. */
  readonly byName: ReadonlyMap<string, readonly number[]>;
}

/** Where a selector came from, for messages: `from` or the override key. */
export interface SelectorSource {
  readonly selector: string;
  /** `from` or the override key, e.g. `checkpoint.research`. */
  readonly source: string;
}

/** Indexes the calls of one execution by call ID, invocation ID and name. */
export function createSelectorIndex(execId: string, calls: readonly RecordedCall[]): SelectorIndex {
  const byCallId = new Map<string, number>();
  const byInvocationId = new Map<string, number>();
  const byName = new Map<string, number[]>();
  calls.forEach((call, index) => {
    if (!byCallId.has(call.callId)) byCallId.set(call.callId, index);
    if (!byInvocationId.has(call.invocationId)) byInvocationId.set(call.invocationId, index);
    const named = byName.get(call.name);
    if (named === undefined) byName.set(call.name, [index]);
    else named.push(index);
  });
  return { execId, calls, byCallId, byInvocationId, byName };
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
  const exact = index.byCallId.get(selector) ?? index.byInvocationId.get(selector);
  if (exact !== undefined) return exact;
  const named = index.byName.get(selector) ?? [];
  const [only] = named;
  if (named.length === 1 && only !== undefined) return only;
  const given = describeSource(selector, source);
  const { execId } = index;
  if (named.length === 0) {
    const availableNames = [...index.byName.keys()].sort();
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
