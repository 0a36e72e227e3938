/**
 * `VerifyExecutions`: checks recorded executions of a namespace against the
 * code this runner serves (execution-verification.ts), reading their
 * histories from the store. Reads only.
 *
 * @module
 */
import { KitaruUsageError } from "#contract/errors/index.ts";
import type { ExecutionHistory, ExecutionVerification } from "#contract/execution-verification.ts";
import { recordedFlowVersion, seenOutput, type ExecutionRecord, type ExecutionStatus } from "../store/records.ts";
import type { EngineContext } from "./engine-context.ts";
import type { ExecutionCommands, ExecutionRef } from "./execution-commands.ts";
import { latestCalls, type ExecutionQueries } from "./execution-queries.ts";
import { verifyExecution } from "./execution-verification.ts";

/** Executions checked by ID in one request at most. */
const MAX_IDS = 200;

/** Which executions to check: by ID, or a page of a filter. */
export interface VerificationSelection {
  readonly namespace: string;
  readonly execIds?: readonly string[] | undefined;
  readonly flowName?: string | undefined;
  readonly status?: ExecutionStatus | undefined;
  readonly pageSize?: number | undefined;
  readonly pageToken?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The results of one `verify`, with the next page of a filter. */
export interface VerificationPage {
  readonly flowVersion: string;
  readonly results: readonly ExecutionVerification[];
  readonly nextPageToken: string;
}

/** Checks the selected executions against the runner's flows, one at a time. */
export async function verifyExecutions(
  context: EngineContext,
  parts: { commands: ExecutionCommands; queries: ExecutionQueries },
  selection: VerificationSelection,
): Promise<VerificationPage> {
  const { namespace, signal } = selection;
  const ids = selection.execIds ?? [];
  let records: ExecutionRecord[];
  let nextPageToken = "";
  if (ids.length > 0) {
    if (ids.length > MAX_IDS)
      throw new KitaruUsageError(`At most ${MAX_IDS} execution IDs per request; got ${ids.length}.`, { metadata: { count: String(ids.length) } });
    if (selection.flowName || selection.status || selection.pageToken) {
      throw new KitaruUsageError("Give execution IDs or a filter (flow, status, page), not both.");
    }
    records = [];
    for (const execId of ids) records.push(await parts.commands.require({ execId, namespace, signal } satisfies ExecutionRef));
  } else {
    ({ records, nextPageToken } = await parts.queries.page(selection));
  }
  const results: ExecutionVerification[] = [];
  for (const execution of records) {
    signal?.throwIfAborted();
    results.push(await verifyExecution(context.flows, await historyOf(context, execution, signal)));
  }
  return { flowVersion: context.flows.version, results, nextPageToken };
}

/** The history of an execution as recorded in the store, with its values loaded. */
async function historyOf(context: EngineContext, execution: ExecutionRecord, signal: AbortSignal | undefined): Promise<ExecutionHistory> {
  const { store, values } = context;
  const [calls, waits] = await Promise.all([store.listCalls(execution.execId, { signal }), store.listWaits(execution.execId, { signal })]);
  const flowVersion = recordedFlowVersion(execution);
  return {
    execId: execution.execId,
    flowName: execution.flowName,
    status: execution.state.status,
    ...(flowVersion === undefined ? {} : { flowVersion }),
    input: await values.load(execution.input, { signal }),
    calls: await Promise.all(
      latestCalls(calls).map(async (call) => {
        const seen = await values.loadOptional(seenOutput(call), { signal });
        return {
          invocationId: call.invocationId,
          callId: call.callId,
          name: call.name,
          status: call.status,
          sequence: call.sequence,
          dataDependencies: call.dataDependencies,
          loadDependencies: call.loadDependencies,
          outputNames: call.outputNames,
          ...(seen === undefined ? {} : { seen }),
        };
      }),
    ),
    waits: await Promise.all(
      waits.map(async (wait) => {
        const resolution = wait.resolution;
        if (resolution === undefined) return { name: wait.name };
        if (resolution.kind === "abort") return { name: wait.name, resolution: { kind: "abort" as const } };
        return { name: wait.name, resolution: { kind: "value" as const, value: await values.load(resolution.value, { signal }) } };
      }),
    ),
  };
}
