/**
 * Plans a replay: validates the request against the source execution and
 * decides which calls are re-executed and which are reused.
 *
 * Pure: no I/O, no clock, no randomness. The same source and request always
 * give the same plan or the same error.
 *
 * @module
 */
import { formatViolations, KitaruStateError, KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import { describeJsonType, isPlainObject, jsonViolations } from "#contract/json-value.ts";
import { buildLineageGraph, descendantsMask } from "./lineage-graph.ts";
import type { LineageGraph } from "./lineage-graph.ts";
import { parseOverrides } from "./override-keys.ts";
import type { ParsedOverride } from "./override-keys.ts";
import { replayRoots } from "./replay-roots.ts";
import { parseSourceWaitAnswers } from "./source-wait-answers.ts";
import type { PlannedCall, PlannedOverride, ReplayPlan } from "./replay-plan.ts";
import { createSelectorIndex, resolveSelector } from "./resolve-selector.ts";
import type { SelectorIndex } from "./resolve-selector.ts";
import type { JsonObject, RecordedCall, ReplayRequest, SourceExecution } from "./source-execution.ts";

/**
 * Plans a replay of `source` as asked by `request`.
 *
 * Validation follows docs/replay-contract.md §2 items 2-8, in order, and throws the first
 * failure: a {@link KitaruStateError} (source running, no history, selector
 * matching no call or several calls, override without consumer) or a
 * {@link KitaruUsageError} (blank `from`, bad override key or value,
 * multi-output override target, two overrides of one call, `args` not a JSON
 * object, blank wait name in `answerWaitsFromSource`). Item 1 (unknown execution) is the caller's, and the merged input
 * is validated against the flow's schema later, by the runner.
 *
 * Runs in time linear in calls + lineage edges (plus the size of the plan).
 *
 * @example
 * ```ts
 * const plan = planReplay(source, {
 *   from: "write_draft",
 *   args: { topic: "New topic" },
 *   overrides: { "checkpoint.research": "Edited notes" },
 * });
 * plan.reexecute.map((c) => c.invocationId); // ["write_draft", "publish"]
 * ```
 */
export function planReplay(source: SourceExecution, request: ReplayRequest): ReplayPlan {
  const { execId } = source;
  // 2. The source must not be running (a run in flight has no final lineage).
  if (source.status === "running") {
    throw new KitaruStateError(`Replay requires a non-running source execution. Execution '${execId}' is currently 'running'.`, {
      metadata: { execId, status: source.status, operation: "replay" },
      state: { execId, status: source.status, operation: "replay" },
    });
  }
  // 3. Something to replay.
  if (source.calls.length === 0) {
    throw new KitaruStateError(`Execution '${execId}' has no checkpoint history to replay.`, {
      metadata: { execId, status: source.status, operation: "replay" },
      state: { execId, status: source.status, operation: "replay" },
    });
  }
  // 4. A non-blank `from` (matched untrimmed in step 6).
  const { from } = request;
  if (typeof from !== "string" || from.trim() === "") {
    const given = typeof from === "string" ? from : "";
    throw new KitaruUsageError(
      `Replay of execution '${execId}' needs a \`from\` checkpoint selector (a checkpoint name, invocation ID or call ID). Received: '${given}'.`,
      { metadata: { execId, from: given } },
    );
  }
  // 5. Override keys and values, in the order given.
  const parsed = parseOverrides(request.overrides);
  // 5b. The waits to answer from the source: names only (whether the source answered them is seen when reached).
  const answerWaitsFromSource = parseSourceWaitAnswers(execId, request.answerWaitsFromSource);
  // 6. Resolve `from`.
  const index = createSelectorIndex(execId, source.calls);
  const fromIndex = resolveSelector(index, { selector: from, source: "from" });
  // 7. Resolve and check each override.
  const graph = buildLineageGraph(source.calls);
  const targets = resolveOverrideTargets(index, graph, parsed);
  // 8. The new input.
  const input = mergeInput(source, request.args);

  const { roots, consumersByTarget } = replayRoots(graph, fromIndex, targets);
  // A call that failed or was cancelled in the source has no output to reuse: it runs again, and so
  // does everything downstream of it (without being a root: it is not where the user asked to start).
  const unfinished: number[] = [];
  source.calls.forEach((call, i) => {
    if (call.status === "failed" || call.status === "cancelled") unfinished.push(i);
  });
  const reexecuted = descendantsMask(graph, [...roots, ...unfinished]);
  const planned = source.calls.map(toPlannedCall);
  const at = (i: number): PlannedCall => planned[i] as PlannedCall;
  // One pass over the calls for both lists.
  const reexecute: PlannedCall[] = [];
  const reuse: PlannedCall[] = [];
  for (let i = 0; i < planned.length; i++) (reexecuted[i] ? reexecute : reuse).push(at(i));
  const overrides: PlannedOverride[] = parsed.map((o, k) => {
    const target = targets[k] as number;
    const consumers = consumersByTarget.get(target) ?? [];
    return {
      key: o.key,
      selector: o.selector,
      target: at(target),
      value: o.value,
      consumerInvocationIds: consumers.map((i) => at(i).invocationId),
    };
  });
  return {
    sourceExecId: execId,
    flowName: source.flowName,
    from,
    fromCall: at(fromIndex),
    roots: roots.map(at),
    reexecute,
    reuse,
    overrides,
    input,
    answerWaitsFromSource,
    ...(source.version === undefined ? {} : { sourceVersion: source.version }),
  };
}

/**
 * Step 7, per override in the order given: resolve the selector, then require
 * a single output, then at least one direct consumer, then a call no earlier
 * override already targets (two values for one output would be ambiguous).
 */
function resolveOverrideTargets(index: SelectorIndex, graph: LineageGraph, overrides: readonly ParsedOverride[]): number[] {
  const { execId } = index;
  const keyByTarget = new Map<number, string>();
  return overrides.map(({ key, selector }) => {
    const target = resolveSelector(index, { selector, source: key });
    const call = graph.calls[target] as RecordedCall;
    const { name, invocationId, callId } = call;
    const described = `checkpoint '${name}' (invocation ID '${invocationId}', call ID '${callId}')`;
    if (call.outputNames.length > 0) {
      const outputNames = call.outputNames.join(", ");
      throw new KitaruUsageError(
        `Override '${key}' targets ${described} in execution '${execId}', which has multiple outputs (${outputNames}). ` +
          "Only a checkpoint with a single output can be overridden.",
        { metadata: { execId, key, selector, name, invocationId, callId, outputNames: call.outputNames.join(",") } },
      );
    }
    if (!graph.hasConsumer[target]) {
      throw new KitaruStateError(
        `Override '${key}' cannot take effect: ${described} has no downstream consumer in this execution: ${name}. ` +
          `No later call of execution '${execId}' received or loaded its output.`,
        {
          metadata: { execId, key, selector, name, invocationId, callId },
          selector: { selector, source: key, candidates: [{ name, invocationId, callId }], availableNames: [] },
        },
      );
    }
    const earlierKey = keyByTarget.get(target);
    if (earlierKey !== undefined) {
      throw new KitaruUsageError(
        `Overrides '${earlierKey}' and '${key}' both target ${described} in execution '${execId}'. Give at most one override per checkpoint call.`,
        { metadata: { execId, key, earlierKey, selector, name, invocationId, callId } },
      );
    }
    keyByTarget.set(target, key);
    return target;
  });
}

/** Step 8: `args` must be a JSON object; it is shallow-merged over the source input. */
function mergeInput(source: SourceExecution, args: unknown): JsonObject {
  if (args === undefined) return { ...source.input };
  const { execId } = source;
  if (!isPlainObject(args)) {
    const receivedType = describeJsonType(args);
    throw new KitaruUsageError(`Replay args for execution '${execId}' must be a JSON object of flow input fields; received ${receivedType}.`, {
      metadata: { execId, receivedType },
    });
  }
  const violations = jsonViolations(args);
  if (violations.length > 0) {
    throw new KitaruUsageError(`Replay args for execution '${execId}' must hold JSON values: ${formatViolations(violations)}.`, {
      metadata: { execId, fields: violations.map((v) => v.field).join(",") },
      violations,
    });
  }
  return { ...source.input, ...(args as JsonObject) };
}

function toPlannedCall({ invocationId, callId, name, sequence }: RecordedCall): PlannedCall {
  return { invocationId, callId, name, sequence };
}
