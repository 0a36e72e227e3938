import { toJson } from "@bufbuild/protobuf";
import { executionStatusToProto } from "#contract/status.ts";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { ExecutionView as ViewOption } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import type { HandlerContext, ServiceHandlers } from "../../../transport/src/index.ts";
import type { ExecutionRef } from "../engine/execution-commands.ts";
import type { JsonObject, JsonValue } from "../authoring/json-value.ts";
import type { ExecutionEvent } from "../engine/execution-events.ts";
import { followExecutionLogs, listExecutionLogs } from "../engine/execution-logs.ts";
import { startReplay } from "../engine/replay-start.ts";
import type { RunnerEngine } from "../runner-engine.ts";
import {
  callToProto,
  eventToProto,
  executionToProto,
  logEntryToProto,
  statusChangeToProto,
  statusFromProto,
  waitToProto,
} from "./convert.ts";

/**
 * The RunnerService handlers: translate wire messages to engine calls and
 * back. No rules live here; errors thrown by the engine are mapped to
 * `google.rpc.Status` by the transport.
 */
export function runnerServiceHandlers(engine: RunnerEngine): Partial<ServiceHandlers<typeof RunnerService>> {
  const { commands, queries, store, bus } = engine;
  const basic = async (execution: Parameters<typeof queries.view>[0]) => executionToProto(await queries.view(execution, { full: false }));

  return {
    async startExecution(request, ctx) {
      const execution = await commands.start({
        namespace: ctx.principal.namespace,
        flowName: request.flowName,
        input: (request.input ?? {}) as JsonObject,
        requestId: request.requestId || ctx.requestId,
      });
      return { execution: await basic(execution) };
    },

    async getExecution(request, ctx) {
      const view = await queries.get(ref(request, ctx), { full: request.view === ViewOption.FULL });
      return { execution: executionToProto(view) };
    },

    async listExecutions(request, ctx) {
      const page = await queries.list({
        namespace: ctx.principal.namespace,
        flowName: request.flowName,
        status: statusFromProto(request.status),
        pageSize: request.pageSize,
        pageToken: request.pageToken,
      });
      return { executions: page.executions.map(executionToProto), nextPageToken: page.nextPageToken };
    },

    async listPendingWaits(request, ctx) {
      const view = await queries.get(ref(request, ctx), { full: false });
      return { waits: view.pendingWaits.map((wait) => waitToProto(wait)) };
    },

    async resolveWait(request, ctx) {
      const value = request.value === undefined ? null : (toJson(ValueSchema, request.value) as JsonValue);
      return { execution: await basic(await commands.resolveWait(ref(request, ctx), request.wait, value)) };
    },

    async abortWait(request, ctx) {
      return { execution: await basic(await commands.abortWait(ref(request, ctx), request.wait)) };
    },

    async retryExecution(request, ctx) {
      return { execution: await basic(await commands.retry(ref(request, ctx))) };
    },

    async cancelExecution(request, ctx) {
      return { execution: await basic(await commands.cancel(ref(request, ctx))) };
    },

    async *watchExecution(request, ctx) {
      const events = engine.feed.watch(ref(request, ctx), { followWaits: request.followWaits, signal: ctx.signal });
      for await (const event of events) {
        yield { event: eventToProto(event, await eventValue(engine, event)) };
      }
    },

    async listExecutionLogs(request, ctx) {
      const page = await listExecutionLogs({ store, bus, commands }, ref(request, ctx), {
        checkpoint: request.checkpoint,
        pageSize: request.pageSize,
        pageToken: request.pageToken,
      });
      return { entries: page.entries.map(logEntryToProto), nextPageToken: page.nextPageToken };
    },

    async *watchExecutionLogs(request, ctx) {
      const events = followExecutionLogs({ store, bus, commands }, ref(request, ctx), { checkpoint: request.checkpoint, signal: ctx.signal });
      for await (const event of events) {
        if (event.kind === "entry") {
          yield { kind: { case: "entry", value: logEntryToProto(event.entry) } };
        } else {
          const result = event.state.result ? (JSON.parse(await store.loadPayload(event.state.result)) as JsonValue) : undefined;
          yield { kind: { case: "statusChanged", value: statusChangeToProto(event.state, result) } };
        }
      }
    },

    async *readExecutionValue(request, ctx) {
      const text = Buffer.from(await queries.readValue(ref(request, ctx), request.path), "utf8");
      const totalBytes = BigInt(text.length);
      let offset = 0;
      do {
        yield { chunk: text.subarray(offset, offset + VALUE_CHUNK_BYTES), totalBytes };
        offset += VALUE_CHUNK_BYTES;
      } while (offset < text.length);
    },

    async listFlows() {
      return { flows: engine.flows.describe().map((flow) => ({ name: `flows/${flow.name}`, flowName: flow.name, inputSchema: flow.inputSchema })) };
    },

    async getCallGraph(request, ctx) {
      const graph = await queries.callGraph(ref(request, ctx));
      return {
        graph: {
          execId: graph.execution.execId,
          flowName: graph.execution.flowName,
          status: executionStatusToProto(graph.execution.state.status),
          input: graph.input as JsonObject,
          calls: graph.calls.map((call) => callToProto(call)),
        },
      };
    },

    async startReplay(request, ctx) {
      const plan = request.plan;
      const execution = await startReplay(
        { store, bus, flows: engine.flows, commands },
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
        },
        { namespace: ctx.principal.namespace, requestId: request.requestId || ctx.requestId, validateOnly: request.validateOnly },
      );
      return { execution: await basic(execution) };
    },
  };
}

/** The most bytes of a value one `ReadExecutionValue` message carries. */
const VALUE_CHUNK_BYTES = 1024 * 1024;

/** The execution a request names, in the caller's namespace. */
function ref(request: { execId: string }, ctx: HandlerContext): ExecutionRef {
  return { execId: request.execId, namespace: ctx.principal.namespace };
}

async function eventValue(engine: RunnerEngine, event: ExecutionEvent): Promise<JsonValue | undefined> {
  if (event.kind === "wait_resolved" && event.wait.resolution?.kind === "value") {
    return JSON.parse(await engine.store.loadPayload(event.wait.resolution.value)) as JsonValue;
  }
  if (event.kind === "status_changed" && event.state.result) {
    return JSON.parse(await engine.store.loadPayload(event.state.result)) as JsonValue;
  }
  return undefined;
}
