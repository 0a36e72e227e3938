import { timestampMs } from "@bufbuild/protobuf/wkt";
import { KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import { executionStatusFromProto, executionStatusToProto } from "#contract/status.ts";
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ReplayJobSelection } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import {
  checkSelection,
  type JobSelection,
  type JsonValue,
  MAX_JOB_SOURCES,
  matchesSelection,
  olderThanWindow,
  selectedStatuses,
  type SourceCandidate,
  sourceLimit,
} from "../core/index.ts";
import type { RunnerCallOptions, RunnerClient } from "./runner-client.ts";

/** Executions per list page while selecting (the runner's maximum). */
const LIST_PAGE_SIZE = 200;

/** The core's selection from the wire's (times as epoch milliseconds). */
export function selectionFromProto(selection: ReplayJobSelection | undefined): JobSelection {
  return {
    flowName: selection?.flowName ?? "",
    statuses: (selection?.statuses ?? []).map(executionStatusFromProto),
    sinceMs: selection?.since ? timestampMs(selection.since) : undefined,
    untilMs: selection?.until ? timestampMs(selection.until) : undefined,
    labels: { ...(selection?.labels ?? {}) },
    execIds: [...(selection?.execIds ?? [])],
    limit: selection?.limit ?? 0,
  };
}

function candidate(execution: Execution): SourceCandidate {
  return {
    execId: execution.execId,
    flowName: execution.flowName,
    status: executionStatusFromProto(execution.status),
    createdMs: execution.createTime ? timestampMs(execution.createTime) : 0,
    metadata: execution.metadata as Record<string, JsonValue> | undefined,
  };
}

/**
 * The source execution IDs a selection picks, read from the runner now: the
 * job stores them, so they never change afterwards.
 *
 * By ID: the IDs in the order given, leaving out those that exist and do not
 * match the other fields (an unknown ID stays: its replay reports NOT_FOUND).
 * By flow: newest first, up to the limit; without a limit, a selection
 * matching more than the job maximum is refused (`KitaruUsageError`).
 */
export async function selectSources(runner: RunnerClient, selection: JobSelection, call: RunnerCallOptions): Promise<string[]> {
  checkSelection(selection);
  if (selection.execIds.length > 0) return await selectByIds(runner, selection, call);
  const statuses = selectedStatuses(selection);
  const status = statuses.length === 1 && statuses[0] !== undefined ? executionStatusToProto(statuses[0]) : undefined;
  const limit = sourceLimit(selection);
  const chosen: string[] = [];
  let pageToken = "";
  for (;;) {
    const page = await runner.call((s, o) => s.public.listExecutions({ flowName: selection.flowName, status, pageSize: LIST_PAGE_SIZE, pageToken }, o), call);
    for (const execution of page.executions) {
      const found = candidate(execution);
      if (olderThanWindow(found, selection)) return chosen;
      if (!matchesSelection(found, selection)) continue;
      if (chosen.length === limit) {
        if (selection.limit > 0) return chosen;
        throw new KitaruUsageError(`The selection matches more than ${MAX_JOB_SOURCES} executions: narrow it or give a limit.`, {
          metadata: { flowName: selection.flowName, max: String(MAX_JOB_SOURCES) },
        });
      }
      chosen.push(found.execId);
    }
    if (!page.nextPageToken) return chosen;
    pageToken = page.nextPageToken;
  }
}

async function selectByIds(runner: RunnerClient, selection: JobSelection, call: RunnerCallOptions): Promise<string[]> {
  // Statuses not given: every status, so that a running source is reported with its error rather than left out.
  const byIds = selection.statuses.length === 0 ? { ...selection, statuses: ["running", "waiting", "completed", "failed", "cancelled"] as const } : selection;
  const chosen: string[] = [];
  for (const execId of selection.execIds) {
    if (chosen.length === sourceLimit(selection)) break;
    try {
      const response = await runner.call((s, o) => s.public.getExecution({ execId }, o), call);
      if (response.execution && !matchesSelection(candidate(response.execution), byIds)) continue;
    } catch (error) {
      if (!(error instanceof KitaruNotFoundError)) throw error;
    }
    chosen.push(execId);
  }
  return chosen;
}
