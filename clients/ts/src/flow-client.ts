/**
 * `flowClient()`: run and replay one flow by name, with handles.
 *
 * The authoring API's `flow()` objects delegate `.run()`/`.replay()` here.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { KitaruClient } from "./client.ts";
import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import type { ExecutionHandle } from "./execution-handle.ts";

/** Options of {@link flowClient}. */
export interface FlowClientOptions {
  /** The client to use; default one shared client configured from the environment. */
  readonly client?: KitaruClient | undefined;
}

/** What to replay, for {@link FlowClient.replay}. */
export interface FlowReplayOptions<TInput> {
  /** The source execution (of this flow). */
  readonly execId: string;
  /** Checkpoint selector: name, invocation ID or call ID. */
  readonly from: string;
  /** Input fields, shallow-merged onto the source execution's input. */
  readonly args?: Partial<TInput> | undefined;
  /** Output overrides keyed `checkpoint.<selector>`. */
  readonly overrides?: JsonObject | undefined;
  /** Accept override values of another type than the outputs they replace (see `PlanReplayOptions`). */
  readonly allowOverrideTypeChange?: boolean | undefined;
  /** Wait names answered from the source's recorded answers (see `PlanReplayOptions`). */
  readonly answerWaitsFromSource?: readonly string[] | undefined;
  /** Idempotency key. */
  readonly requestId?: string | undefined;
}

/** Runs and replays one flow, returning handles. */
export interface FlowClient<TInput = JsonObject, TResult = JsonValue> {
  readonly flowName: string;
  /** Starts an execution; `await handle.wait()` for the result. */
  run(input: TInput, options?: { readonly requestId?: string | undefined }): Promise<ExecutionHandle<TResult>>;
  /** Runs an execution to its end and resolves to its result, in one call (`client.flows.execute`); rejects as `handle.wait()` does. */
  execute(input: TInput, options?: { readonly requestId?: string | undefined }): Promise<TResult>;
  /** Replays an execution of this flow as a new one. An execution of another flow → `KitaruUsageError`. */
  replay(options: FlowReplayOptions<TInput>): Promise<ExecutionHandle<TResult>>;
}

let sharedClient: KitaruClient | undefined;

/**
 * The client shared by flow clients created without one, configured from the
 * environment. Its idle HTTP/2 sessions do not keep the process alive.
 */
function defaultClient(): KitaruClient {
  sharedClient ??= new KitaruClient();
  return sharedClient;
}

/**
 * A {@link FlowClient} for the flow registered as `flowName`.
 *
 * @example
 * ```ts
 * const pipeline = flowClient<{ topic: string }, string>("content_pipeline");
 * const handle = await pipeline.replay({ execId: "kr-a8f3c2", from: "write_draft", args: { topic: "New topic" } });
 * const result = await handle.wait();
 * ```
 */
export function flowClient<TInput = JsonObject, TResult = JsonValue>(flowName: string, options: FlowClientOptions = {}): FlowClient<TInput, TResult> {
  const client = (): KitaruClient => options.client ?? defaultClient();
  return {
    flowName,
    async run(input, runOptions = {}) {
      // Flow inputs are JSON objects by contract (zod-validated on the runner).
      const execution = await client().flows.run(flowName, input as unknown as JsonObject, runOptions);
      return client().executions.handle<TResult>(execution.execId);
    },
    execute(input, runOptions = {}) {
      return client().flows.execute<TResult>(flowName, input as unknown as JsonObject, runOptions);
    },
    async replay(replay) {
      const executions = client().executions;
      const source = await executions.get(replay.execId, { view: "basic" });
      if (source.flowName !== flowName) {
        throw new KitaruUsageError(
          `Execution '${replay.execId}' belongs to flow '${source.flowName}', not '${flowName}'. ` +
            `Replay it through that flow or with \`client.executions.replay(...)\`.`,
          { metadata: { execId: replay.execId, flowName, sourceFlowName: source.flowName } },
        );
      }
      const execution = await executions.replay(replay.execId, {
        from: replay.from,
        args: replay.args as JsonObject | undefined,
        overrides: replay.overrides,
        allowOverrideTypeChange: replay.allowOverrideTypeChange,
        answerWaitsFromSource: replay.answerWaitsFromSource,
        requestId: replay.requestId,
      });
      return executions.handle<TResult>(execution.execId);
    },
  };
}
