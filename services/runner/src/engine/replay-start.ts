import { KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import type { JsonObject, JsonValue } from "../authoring/json-value.ts";
import type { ExecutionStore } from "../store/execution-store.ts";
import type { ExecutionRecord, ReplayRecord } from "../store/records.ts";
import type { ExecutionCommands } from "./execution-commands.ts";
import type { ExecutionEventBus } from "./execution-events.ts";
import type { FlowRegistry } from "./flow-registry.ts";
import { execIdForRequest, newExecId } from "./ids.ts";
import { checkSameRequest, requestFingerprint } from "./request-fingerprint.ts";
import { describeViolations, violationsOf } from "./schema-violations.ts";

/** The runner's view of a replay plan (computed by the planner). */
export interface ReplayPlanInput {
  readonly sourceExecId: string;
  readonly flowName: string;
  readonly from: string;
  readonly roots: readonly string[];
  readonly reuse: readonly { readonly invocationId: string; readonly callId: string }[];
  readonly overrides: readonly { readonly key: string; readonly invocationId: string; readonly value: JsonValue }[];
  readonly input: JsonObject;
}

/**
 * Creates the new execution of a replay plan: validates the merged input
 * with the flow's schema (contract §2 item 8) and that the plan still
 * matches the source, then inserts the execution with its replay record.
 * With a request ID the new execution ID is derived from it (idempotent).
 */
export async function startReplay(
  deps: { store: ExecutionStore; bus: ExecutionEventBus; flows: FlowRegistry; commands: ExecutionCommands },
  plan: ReplayPlanInput,
  options: { namespace: string; requestId?: string; validateOnly?: boolean },
): Promise<ExecutionRecord> {
  const { store, flows, commands } = deps;
  const { namespace } = options;
  // The source must be the caller's: a replay lives in the source's namespace.
  const source = await commands.require({ execId: plan.sourceExecId, namespace });
  if (source.state.status === "running") {
    throw new KitaruStateError(
      `Replay requires a non-running source execution. Execution '${source.execId}' is currently 'running'.`,
      { state: { execId: source.execId, status: "running", operation: "replay" }, metadata: { execId: source.execId, status: "running" } },
    );
  }
  const flow = flows.get(source.flowName);
  const parsed = flow.inputSchema.safeParse(plan.input);
  if (!parsed.success) {
    const violations = violationsOf(parsed.error);
    throw new KitaruUsageError(`Invalid replay input for flow '${flow.name}': ${describeViolations(violations)}.`, {
      violations,
      metadata: { flowName: flow.name, execId: source.execId },
    });
  }
  const recorded = new Map((await store.listCalls(source.execId)).filter((c) => c.status !== "failed").map((c) => [c.invocationId, c.callId]));
  const stale = plan.reuse.find((entry) => recorded.get(entry.invocationId) !== entry.callId);
  if (stale !== undefined) {
    throw new KitaruStateError(
      `The replay plan does not match execution '${source.execId}': call '${stale.invocationId}' (${stale.callId}) is not recorded there. Plan the replay again.`,
      { metadata: { execId: source.execId, invocationId: stale.invocationId, callId: stale.callId } },
    );
  }
  const execId = options.validateOnly ? "" : options.requestId ? execIdForRequest("replay", namespace, options.requestId) : newExecId();
  // What the caller asked for (not the plan's call IDs, which a re-plan of the same request reproduces anyway).
  const fingerprint = options.requestId
    ? requestFingerprint({ sourceExecId: source.execId, from: plan.from, overrides: plan.overrides.map((o) => [o.key, o.value]), input: plan.input })
    : undefined;
  const replay: ReplayRecord = {
    sourceExecId: source.execId,
    from: plan.from,
    roots: plan.roots,
    overrideKeys: plan.overrides.map((o) => o.key),
    reuse: plan.reuse,
    overrides: await Promise.all(
      plan.overrides.map(async (o) => ({ invocationId: o.invocationId, value: await store.storePayload(JSON.stringify(o.value)) })),
    ),
  };
  const draft = {
    execId,
    namespace,
    flowName: flow.name,
    input: await store.storePayload(JSON.stringify(plan.input)),
    createdAt: new Date(),
    requestId: options.requestId || undefined,
    originalExecId: source.execId,
    replay,
    requestFingerprint: fingerprint,
  };
  if (options.validateOnly) {
    return { ...draft, state: { seq: 0, kind: "created", status: "running", generation: 0, at: draft.createdAt } };
  }
  const inserted = await store.insertExecution(draft);
  const execution = await commands.require({ execId, namespace });
  if (!inserted && options.requestId && fingerprint) {
    checkSameRequest(execution, {
      requestId: options.requestId,
      fingerprint,
      what: "replay (source, from, overrides and input)",
      fallbackMatches: execution.originalExecId === source.execId,
    });
  }
  if (inserted) deps.bus.publish({ kind: "status_changed", execId, at: execution.state.at, state: execution.state });
  return execution;
}
