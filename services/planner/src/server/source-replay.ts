import type { JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { type ExecutionStatus, planReplay, type JsonValue, type ReplayPlan } from "../core/index.ts";
import { type PlanFlowVersions, planHeadToProto, planToProto } from "./convert.ts";
import type { RunnerCallOptions, RunnerClient } from "./runner-client.ts";

/** One source's replay as a request asks for it (a single replay, or one source of a job). */
export interface SourceReplayRequest {
  readonly execId: string;
  readonly from: string;
  readonly args?: ProtoJsonObject | undefined;
  readonly overrides?: ProtoJsonObject | undefined;
  readonly allowOverrideTypeChange: boolean;
  /** Wait names the replay answers from its source's recorded answer (a job passes its own for every source). */
  readonly answerWaitsFromSource?: readonly string[] | undefined;
}

/** The source's call graph read from the runner and planned by the pure core. */
export async function planSourceReplay(
  runner: RunnerClient,
  request: SourceReplayRequest,
  call: RunnerCallOptions,
): Promise<{ replayPlan: ReplayPlan; versions: PlanFlowVersions; sourceStatus: ExecutionStatus }> {
  const { source, versions } = await runner.sourceExecution(request.execId, call);
  const replayPlan = planReplay(source, {
    from: request.from,
    args: request.args,
    overrides: request.overrides as Record<string, JsonValue> | undefined,
    answerWaitsFromSource: request.answerWaitsFromSource,
  });
  return { replayPlan, versions, sourceStatus: source.status };
}

/** Plans and has the runner validate the plan and the new input, creating nothing: the errors a replay would give. */
export async function checkSourceReplay(runner: RunnerClient, request: SourceReplayRequest, call: RunnerCallOptions) {
  const { replayPlan, versions } = await planSourceReplay(runner, request, call);
  await runner.startReplay(planHeadToProto(replayPlan, versions), { validateOnly: true, allowOverrideTypeChange: request.allowOverrideTypeChange }, call);
  return planToProto(replayPlan, versions);
}

/**
 * Plans the replay and has the runner create it under `requestId` (the same
 * ID never creates a second execution); with the source's status, as read
 * for the plan.
 */
export async function startSourceReplay(
  runner: RunnerClient,
  request: SourceReplayRequest,
  requestId: string,
  call: RunnerCallOptions,
): Promise<{ execution: Execution; sourceStatus: ExecutionStatus }> {
  const { replayPlan, versions, sourceStatus } = await planSourceReplay(runner, request, call);
  // The runner reuses what `reuse` lists and runs everything else: `reexecute` would only be sent back and forth.
  const execution = await runner.startReplayOnce({ ...planToProto(replayPlan, versions), reexecute: [] }, requestId, call, {
    allowOverrideTypeChange: request.allowOverrideTypeChange,
  });
  return { execution, sourceStatus };
}
