import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import type { RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import type { ServiceHandlers } from "../../../transport/src/index.ts";
import type { RunnerEngine } from "../engine/runner-engine.ts";
import { encodeCallGraphResponse } from "#contract/wire/call-graph-encoder.ts";
import { callGraphHeadToProto, callGraphResponseToProto, callGraphVersions, draftToProto, executionToProto } from "./convert.ts";
import { executionRef } from "./runner-service.ts";

/**
 * The RunnerInternalService handlers: what the planner calls to plan and
 * start a replay. Translation only, like the public service's.
 */
export function runnerInternalServiceHandlers(engine: RunnerEngine): ServiceHandlers<typeof RunnerInternalService> {
  return {
    async getCallGraph(request, ctx) {
      const graph = { ...(await engine.callGraph(executionRef(request, ctx))), flowVersion: engine.flowVersion };
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
  };
}
