import { randomUUID } from "node:crypto";
import type { JsonObject as ProtoJsonObject } from "@bufbuild/protobuf";
import type { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import type { HandlerContext, ServiceHandlers } from "../../../transport/src/index.ts";
import { planReplay, type JsonValue } from "../core/index.ts";
import { planHeadToProto, planToProto } from "./convert.ts";
import { encodePlanReplayResponse } from "./plan-wire.ts";
import type { RunnerClient } from "./runner-client.ts";

interface ReplayRequestMessage {
  readonly execId: string;
  readonly from: string;
  readonly args?: ProtoJsonObject | undefined;
  readonly overrides?: ProtoJsonObject | undefined;
  readonly allowOverrideTypeChange: boolean;
}

/**
 * The PlannerService handlers. A plan is computed by the pure core over the
 * source's call graph (read from the runner), then the runner validates the
 * new input against the flow's schema (docs/replay-contract.md §2 item 8) — so a dry run
 * reports exactly the errors a real replay would.
 */
export function plannerServiceHandlers(runner: RunnerClient): ServiceHandlers<typeof PlannerService> {
  async function plan(request: ReplayRequestMessage, ctx: HandlerContext) {
    const call = { signal: ctx.signal, deadline: ctx.deadline, namespace: ctx.principal.namespace };
    const source = await runner.sourceExecution(request.execId, call);
    const replayPlan = planReplay(source, {
      from: request.from,
      args: request.args,
      overrides: request.overrides as Record<string, JsonValue> | undefined,
    });
    return { replayPlan, call };
  }

  return {
    async planReplay(request, ctx) {
      const { replayPlan, call } = await plan(request, ctx);
      // The runner checks the source version and the new input: the call lists are not needed for that.
      const validated = runner.startReplay(planHeadToProto(replayPlan), { validateOnly: true, allowOverrideTypeChange: request.allowOverrideTypeChange }, call);
      // Meanwhile the answer: thousands of calls, encoded directly from the plan (the same bytes), else the generic way.
      // Encoded before the wait, the plan's objects are garbage before the runner's work makes the collector run.
      let response: ReturnType<typeof encodePlanReplayResponse> | { plan: ReturnType<typeof planToProto> };
      try {
        response = encodePlanReplayResponse(replayPlan) ?? { plan: planToProto(replayPlan) };
      } catch (err) {
        await validated.catch(() => undefined);
        throw err;
      }
      await validated;
      return response;
    },

    async replayExecution(request, ctx) {
      const { replayPlan, call } = await plan(request, ctx);
      // Always under a request ID, so that the planner (and a caller told to) can safely ask again.
      const requestId = request.requestId || ctx.requestId || `planner-${randomUUID()}`;
      // The runner reuses what `reuse` lists and runs everything else: `reexecute` would only be sent back and forth.
      const execution = await runner.startReplayOnce({ ...planToProto(replayPlan), reexecute: [] }, requestId, call, {
        allowOverrideTypeChange: request.allowOverrideTypeChange,
      });
      return { execution };
    },
  };
}
