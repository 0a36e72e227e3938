import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import { ExecutionView as ViewOption } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import type { HandlerContext, ServiceHandlers } from "../../../transport/src/index.ts";
import type { ExecutionRef, RunnerEngine } from "../engine/runner-engine.ts";
import { eventToProto, executionToProto, logEntryToProto, statusChangeToProto, statusFromProto, waitToProto } from "./convert.ts";
import { comparisonToProto, familyToProto } from "./family-convert.ts";
import { verificationToProto } from "#contract/execution-verification.ts";
import { boundedExecutionPage, boundedExecutionResponse, boundedLogPage } from "./response-bounds.ts";

/** The most bytes of a value one `ReadExecutionValue` message carries. */
const VALUE_CHUNK_BYTES = 1024 * 1024;

/**
 * The RunnerService handlers: translate wire messages to engine calls and
 * back. No rules live here; errors thrown by the engine are mapped to
 * `google.rpc.Status` by the transport.
 */
export function runnerServiceHandlers(engine: RunnerEngine): ServiceHandlers<typeof RunnerService> {
  return {
    async startExecution(request, ctx) {
      return { execution: executionToProto(await engine.startExecution(startRequest(request, ctx))) };
    },

    async *startAndWatchExecution(request, ctx) {
      const started = await engine.startExecution(startRequest(request, ctx));
      yield { kind: { case: "execution", value: executionToProto(started) } };
      const watch = engine.watch(executionRef(started.execution, ctx), { followWaits: false, statusOnly: true, afterSequence: 0, signal: ctx.signal });
      for await (const { event, value, omitted } of watch) yield { kind: { case: "event", value: eventToProto(event, value, omitted) } };
    },

    async getExecution(request, ctx) {
      const full = request.view === ViewOption.FULL;
      const view = await engine.getExecution(executionRef(request, ctx), { full, checkpointsPageToken: full ? request.checkpointsPageToken : "" });
      return boundedExecutionResponse(view);
    },

    async listExecutions(request, ctx) {
      const page = await engine.listExecutions({
        namespace: ctx.principal.namespace,
        flowName: request.flowName,
        status: statusFromProto(request.status),
        pageSize: request.pageSize,
        pageToken: request.pageToken,
        signal: ctx.signal,
      });
      return boundedExecutionPage(page);
    },

    async listPendingWaits(request, ctx) {
      return { waits: (await engine.pendingWaits(executionRef(request, ctx))).map((wait) => waitToProto(wait)) };
    },

    async resolveWait(request, ctx) {
      const value = request.value === undefined ? null : (toJson(ValueSchema, request.value) as JsonValue);
      return { execution: executionToProto(await engine.resolveWait(executionRef(request, ctx), request.wait, value)) };
    },

    async abortWait(request, ctx) {
      return { execution: executionToProto(await engine.abortWait(executionRef(request, ctx), request.wait)) };
    },

    async retryExecution(request, ctx) {
      return { execution: executionToProto(await engine.retry(executionRef(request, ctx))) };
    },

    async cancelExecution(request, ctx) {
      return { execution: executionToProto(await engine.cancel(executionRef(request, ctx))) };
    },

    async *watchExecution(request, ctx) {
      for await (const { event, value, omitted } of engine.watch(executionRef(request, ctx), {
        followWaits: request.followWaits,
        statusOnly: request.statusOnly,
        afterSequence: request.afterSequence,
        signal: ctx.signal,
      })) {
        yield { event: eventToProto(event, value, omitted) };
      }
    },

    async listExecutionLogs(request, ctx) {
      const page = await engine.listLogs(executionRef(request, ctx), {
        checkpoint: request.checkpoint,
        pageSize: request.pageSize,
        pageToken: request.pageToken,
      });
      return boundedLogPage(page);
    },

    async *watchExecutionLogs(request, ctx) {
      for await (const item of engine.followLogs(executionRef(request, ctx), { checkpoint: request.checkpoint, signal: ctx.signal })) {
        yield item.kind === "entry"
          ? { kind: { case: "entry", value: logEntryToProto(item.entry) } }
          : { kind: { case: "statusChanged", value: statusChangeToProto(item.state, item.result, item.omitted) } };
      }
    },

    async *readExecutionValue(request, ctx) {
      const text = Buffer.from(await engine.readValue(executionRef(request, ctx), request.path), "utf8");
      const totalBytes = BigInt(text.length);
      let offset = 0;
      do {
        yield { chunk: text.subarray(offset, offset + VALUE_CHUNK_BYTES), totalBytes };
        offset += VALUE_CHUNK_BYTES;
      } while (offset < text.length);
    },

    async getExecutionLineage(request, ctx) {
      return { lineage: familyToProto(await engine.lineage(executionRef(request, ctx), request.maxNodes)) };
    },

    async compareExecutions(request, ctx) {
      const comparison = await engine.compare(executionRef({ execId: request.baseExecId }, ctx), executionRef({ execId: request.otherExecId }, ctx));
      return { comparison: comparisonToProto(comparison) };
    },

    async verifyExecutions(request, ctx) {
      const page = await engine.verify({
        namespace: ctx.principal.namespace,
        execIds: request.execIds,
        flowName: request.flowName,
        status: statusFromProto(request.status),
        pageSize: request.pageSize,
        pageToken: request.pageToken,
        signal: ctx.signal,
      });
      return { flowVersion: page.flowVersion, results: page.results.map(verificationToProto), nextPageToken: page.nextPageToken };
    },

    async listFlows() {
      return {
        flows: engine.describeFlows().map((flow) => ({ name: `flows/${flow.name}`, flowName: flow.name, inputSchema: flow.inputSchema })),
        flowVersion: engine.flowVersion,
      };
    },
  };
}

/** A start request (StartExecution, StartAndWatchExecution) as the engine takes it, in the caller's namespace. */
function startRequest(request: { flowName: string; input?: JsonObject | undefined; requestId: string }, ctx: HandlerContext) {
  return {
    namespace: ctx.principal.namespace,
    flowName: request.flowName,
    input: (request.input ?? {}) as JsonObject,
    requestId: request.requestId || ctx.requestId,
    signal: ctx.signal,
  };
}

/** The execution a request names, in the caller's namespace, with the call's signal. */
export function executionRef(request: { execId: string }, ctx: HandlerContext): ExecutionRef {
  return { execId: request.execId, namespace: ctx.principal.namespace, signal: ctx.signal };
}
