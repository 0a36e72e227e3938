import { KitaruStateError } from "#contract/errors/index.ts";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import { recordedFlowVersion, type ExecutionRecord, type ReplayRecord } from "../store/records.ts";
import type { EngineContext } from "./engine-context.ts";
import type { ExecutionCommands } from "./execution-commands.ts";
import { execIdForRequest, newExecId } from "./ids.ts";
import { checkSameRequest, requestFingerprint } from "./request-fingerprint.ts";
import { checkFlowInput } from "./flow-input.ts";
import { checkOverridesFit } from "./override-fit.ts";
import { jsonEqual } from "./json-diff.ts";

/** The runner's view of a replay plan (computed by the planner). */
export interface ReplayPlanInput {
  readonly sourceExecId: string;
  readonly flowName: string;
  readonly from: string;
  readonly roots: readonly string[];
  readonly reuse: readonly { readonly invocationId: string; readonly callId: string }[];
  readonly overrides: readonly { readonly key: string; readonly invocationId: string; readonly value: JsonValue }[];
  readonly input: JsonObject;
  /** The source's state version the plan was made from; 0 when unknown (the plan is then checked against the recorded calls). */
  readonly sourceVersion: number;
  /** Wait names the replay answers from the source's recorded answers; none (every wait asks again) when absent or empty. */
  readonly answerWaitsFromSource?: readonly string[] | undefined;
}

/** What a replay that was only validated would create (AIP-163 `validate_only`): nothing is stored. */
export interface ReplayDraft {
  readonly flowName: string;
  readonly namespace: string;
  readonly input: JsonObject;
  readonly originalExecId: string;
  readonly replay: Pick<ReplayRecord, "sourceExecId" | "sourceFlowVersion" | "from" | "roots" | "overrideKeys" | "answerWaitsFromSource">;
  readonly createdAt: Date;
  /** The flow version the replay would run on: this runner's. */
  readonly flowVersion: string;
}

/** The outcome of {@link startReplay}: the new execution, or with `validateOnly` the draft. */
export type ReplayStart = { readonly kind: "created"; readonly execution: ExecutionRecord } | { readonly kind: "validated"; readonly draft: ReplayDraft };

/**
 * Creates the new execution of a replay plan: validates the merged input
 * with the flow's schema (docs/replay-contract.md §2 item 8) and that the plan still
 * matches the source, then inserts the execution with its replay record.
 * With a request ID the new execution ID is derived from it (idempotent).
 * With `validateOnly`, checks the same and stores nothing.
 */
export async function startReplay(
  context: EngineContext,
  commands: ExecutionCommands,
  plan: ReplayPlanInput,
  options: { namespace: string; requestId?: string; validateOnly?: boolean; allowOverrideTypeChange?: boolean; signal?: AbortSignal | undefined },
): Promise<ReplayStart> {
  const { store, flows, values } = context;
  const { namespace, signal } = options;
  // The source must be the caller's: a replay lives in the source's namespace.
  const source = await commands.require({ execId: plan.sourceExecId, namespace, signal });
  if (source.state.status === "running") {
    const hold = source.state.versionHold;
    const held =
      hold === undefined
        ? ""
        : ` It is held for a runner of flow version ${hold.requiredFlowVersion}: cancel it first (kitaru executions cancel ${source.execId}), then replay it.`;
    throw new KitaruStateError(`Replay requires a non-running source execution. Execution '${source.execId}' is currently 'running'.${held}`, {
      state: { execId: source.execId, status: "running", operation: "replay" },
      metadata: { execId: source.execId, status: "running" },
    });
  }
  const flow = flows.get(source.flowName);
  // §2 item 8: the merged input fits the flow's schema; a field the caller sent that the schema does not know is refused.
  const sourceInput = await values.load(source.input, { signal });
  checkFlowInput(flow, plan.input, {
    what: `Invalid replay input for flow '${flow.name}'`,
    metadata: { flowName: flow.name, execId: source.execId },
    sentByCaller: (key) => !Object.hasOwn(sourceInput as object, key) || !jsonEqual(plan.input[key], (sourceInput as JsonObject)[key]),
  });
  if (plan.sourceVersion > 0) {
    // Calls are recorded only while an execution runs, and every run changes its state:
    // the same version means the same calls as when the plan was made.
    if (source.state.seq !== plan.sourceVersion) {
      throw new KitaruStateError(
        `Execution '${source.execId}' changed since the replay was planned (version ${plan.sourceVersion}, now ${source.state.seq}). Plan the replay again.`,
        { metadata: { execId: source.execId, plannedVersion: String(plan.sourceVersion), version: String(source.state.seq) } },
      );
    }
  }
  // Read once for the checks below that need the recorded calls (never for a replay without overrides of a known version).
  const sourceCalls = plan.sourceVersion > 0 && plan.overrides.length === 0 ? [] : await store.listCalls(source.execId, { signal });
  if (plan.sourceVersion <= 0) {
    const recorded = new Map(sourceCalls.filter((c) => c.status !== "failed").map((c) => [c.invocationId, c.callId]));
    const stale = plan.reuse.find((entry) => recorded.get(entry.invocationId) !== entry.callId);
    if (stale !== undefined) {
      throw new KitaruStateError(
        `The replay plan does not match execution '${source.execId}': call '${stale.invocationId}' (${stale.callId}) is not recorded there. Plan the replay again.`,
        { metadata: { execId: source.execId, invocationId: stale.invocationId, callId: stale.callId } },
      );
    }
  }
  // §2 item 9: each override value fits what its consumers expect, unless the request allows a change of type.
  if (!options.allowOverrideTypeChange) await checkOverridesFit(plan.overrides, sourceCalls, values, { signal });
  // Checked (and serialized) before anything is written, in a dry run too.
  const input = values.encode(plan.input, "The replay input");
  const overrides = plan.overrides.map((o) => ({ invocationId: o.invocationId, value: values.encode(o.value, `The override '${o.key}'`) }));
  const origin = {
    sourceExecId: source.execId,
    sourceFlowVersion: recordedFlowVersion(source),
    from: plan.from,
    roots: plan.roots,
    overrideKeys: plan.overrides.map((o) => o.key),
    // Absent rather than empty, so that records (and fingerprints) of replays without it stay as they were.
    ...(plan.answerWaitsFromSource?.length ? { answerWaitsFromSource: [...plan.answerWaitsFromSource] } : {}),
  };
  if (options.validateOnly) {
    return {
      kind: "validated",
      draft: {
        flowName: flow.name,
        namespace,
        input: plan.input,
        originalExecId: source.execId,
        replay: origin,
        createdAt: new Date(),
        flowVersion: flows.version,
      },
    };
  }
  const execId = options.requestId ? execIdForRequest("replay", namespace, options.requestId) : newExecId();
  // What the caller asked for (not the plan's call IDs, which a re-plan of the same request reproduces anyway).
  const fingerprint = options.requestId
    ? requestFingerprint({
        sourceExecId: source.execId,
        from: plan.from,
        overrides: plan.overrides.map((o) => [o.key, o.value]),
        input: plan.input,
        ...(origin.answerWaitsFromSource === undefined ? {} : { answerWaitsFromSource: [...origin.answerWaitsFromSource] }),
      })
    : undefined;
  const replay: ReplayRecord = {
    ...origin,
    reuse: plan.reuse,
    overrides: await Promise.all(overrides.map(async (o) => ({ invocationId: o.invocationId, value: await values.store(o.value, { signal }) }))),
  };
  const created = await commands.create(
    {
      execId,
      namespace,
      flowName: flow.name,
      input: await values.store(input, { signal }),
      createdAt: new Date(),
      requestId: options.requestId || undefined,
      flowVersion: flows.version,
      originalExecId: source.execId,
      replay,
      requestFingerprint: fingerprint,
    },
    { signal },
  );
  if (created !== undefined) return { kind: "created", execution: created };
  const execution = await commands.require({ execId, namespace, signal });
  if (options.requestId && fingerprint) {
    checkSameRequest(execution, {
      requestId: options.requestId,
      fingerprint,
      what: "replay (source, from, overrides, input and waits answered from the source)",
      fallbackMatches: execution.originalExecId === source.execId,
    });
  }
  return { kind: "created", execution };
}
