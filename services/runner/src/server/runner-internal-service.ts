import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import type { RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceHandlers } from "../../../transport/src/index.ts";
import type { RunnerEngine } from "../engine/runner-engine.ts";
import { encodeCallGraphResponse } from "#contract/wire/call-graph-encoder.ts";
import { callGraphHeadToProto, callGraphResponseToProto, callGraphVersions, draftToProto, executionToProto } from "./convert.ts";
import { replayJobItemRecordFromProto, replayJobItemToProto, replayJobRecordFromProto, replayJobToProto } from "./replay-job-convert.ts";
import { executionRef } from "./runner-service.ts";

function caller(ctx: HandlerContext) {
  return { namespace: ctx.principal.namespace, signal: ctx.signal };
}

/**
 * The RunnerInternalService handlers: what the planner calls to plan and
 * start a replay. Translation only, like the public service's.
 */
export function runnerInternalServiceHandlers(engine: RunnerEngine): ServiceHandlers<typeof RunnerInternalService> {
  return {
    async getCallGraph(request, ctx) {
      const graph = { ...(await engine.encodedCallGraph(executionRef(request, ctx))), flowVersion: engine.flowVersion };
      // Thousands of calls: written from the records (the same bytes), else the generic way.
      return encodeCallGraphResponse(callGraphHeadToProto(graph), graph.calls, callGraphVersions(graph)) ?? callGraphResponseToProto(graph);
    },

    async startReplay(request, ctx) {
      const plan = request.plan;
      const outcome = await engine.startReplay(
        {
          sourceExecId: plan?.sourceExecId ?? "",
          flowName: plan?.flowName ?? "",
          from: plan?.from ?? "",
          roots: (plan?.roots ?? []).map((call) => call.invocationId),
          reuse: (plan?.reuse ?? []).map((call) => ({ invocationId: call.invocationId, callId: call.callId })),
          overrides: (plan?.overrides ?? []).map((o) => ({
            key: o.key,
            invocationId: o.target?.invocationId ?? "",
            value: o.value === undefined ? null : (toJson(ValueSchema, o.value) as JsonValue),
          })),
          input: (plan?.input ?? {}) as JsonObject,
          sourceVersion: Number(plan?.sourceVersion ?? 0n),
          answerWaitsFromSource: plan?.answerWaitsFromSource ?? [],
        },
        {
          namespace: ctx.principal.namespace,
          requestId: request.requestId || ctx.requestId,
          validateOnly: request.validateOnly,
          allowOverrideTypeChange: request.allowOverrideTypeChange,
          signal: ctx.signal,
        },
      );
      return { execution: outcome.kind === "created" ? executionToProto(outcome.view) : draftToProto(outcome.draft) };
    },

    async storeReplayJob(request, ctx) {
      const stored = await engine.replayJobs.store(replayJobRecordFromProto(request.job), caller(ctx));
      return { job: replayJobToProto(stored.job), created: stored.created };
    },

    async readReplayJob(request, ctx) {
      return { job: replayJobToProto(await engine.replayJobs.get(request.jobId, caller(ctx))) };
    },

    async listStoredReplayJobs(request, ctx) {
      const page = await engine.replayJobs.list(request, caller(ctx));
      return { jobs: page.jobs.map(replayJobToProto), nextPageToken: page.nextPageToken };
    },

    async markReplayJob(request, ctx) {
      const marks = {
        cancelledAt: request.cancelTime ? timestampDate(request.cancelTime) : undefined,
        endedAt: request.endTime ? timestampDate(request.endTime) : undefined,
      };
      return { job: replayJobToProto(await engine.replayJobs.mark(request.jobId, marks, caller(ctx))) };
    },

    async storeReplayJobItems(request, ctx) {
      await engine.replayJobs.putItems(request.jobId, request.items.map(replayJobItemRecordFromProto), caller(ctx));
      return {};
    },

    async readReplayJobItems(request, ctx) {
      const records = await engine.replayJobs.items(request.jobId, { fromIndex: request.fromIndex, limit: request.limit }, caller(ctx));
      return { items: records.map(replayJobItemToProto) };
    },
  };
}
