import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { PlanReplayResponseSchema, type PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import type { HandlerContext, ServiceHandlers } from "../../../transport/src/index.ts";
import { EncodedMessage } from "#contract/wire/encoded-message.ts";
import { planHeadToProto, planToProto } from "./convert.ts";
import { replayJobHandlers } from "./replay-job-handlers.ts";
import type { ReplayJobs } from "./replay-jobs.ts";
import type { RunnerClient } from "./runner-client.ts";
import { planSourceReplay, type SourceReplayRequest, startSourceReplay } from "./source-replay.ts";

/**
 * The PlannerService handlers. A plan is computed by the pure core over the
 * source's call graph (read from the runner), then the runner validates the
 * new input against the flow's schema (docs/replay-contract.md §2 item 8) — so a dry run
 * reports exactly the errors a real replay would.
 */
export function plannerServiceHandlers(runner: RunnerClient, jobs: ReplayJobs): ServiceHandlers<typeof PlannerService> {
  async function plan(request: SourceReplayRequest, ctx: HandlerContext) {
    const call = { signal: ctx.signal, deadline: ctx.deadline, namespace: ctx.principal.namespace };
    return { ...(await planSourceReplay(runner, request, call)), call };
  }

  return {
    async planReplay(request, ctx) {
      const { replayPlan, versions, call } = await plan(request, ctx);
      // The runner checks the source version and the new input: the call lists are not needed for that.
      const validated = runner.startReplay(
        planHeadToProto(replayPlan, versions),
        { validateOnly: true, allowOverrideTypeChange: request.allowOverrideTypeChange },
        call,
      );
      // Meanwhile the answer, encoded here rather than by the transport after the wait: the plan's thousands of
      // objects are garbage before the runner's work makes the collector run. By protobuf-es: a codec of its own
      // for the two call lists (on BinaryWriter) did not show a steady 5 % on PlanReplay as deployed (runner +
      // planner CPU without it, three runs at load 13-23: 10 000 calls +17, -7, +6 %; 100 000 calls +10, +3, -2 %).
      let response: EncodedMessage<typeof PlanReplayResponseSchema>;
      try {
        response = new EncodedMessage(
          PlanReplayResponseSchema,
          toBinary(PlanReplayResponseSchema, create(PlanReplayResponseSchema, { plan: planToProto(replayPlan, versions) })),
        );
      } catch (err) {
        await validated.catch(() => undefined);
        throw err;
      }
      await validated;
      return response;
    },

    async replayExecution(request, ctx) {
      const call = { signal: ctx.signal, deadline: ctx.deadline, namespace: ctx.principal.namespace };
      // Always under a request ID, so that the planner (and a caller told to) can safely ask again.
      const requestId = request.requestId || ctx.requestId || `planner-${randomUUID()}`;
      return { execution: (await startSourceReplay(runner, request, requestId, call)).execution };
    },

    ...replayJobHandlers(jobs),
  };
}
