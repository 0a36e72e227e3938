/**
 * `client.flows`: start executions of registered flows.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { executionEventFromProto } from "./convert/event.ts";
import { executionFromProto, type Execution } from "./convert/execution.ts";
import { KitaruInternalError } from "#contract/errors/kitaru-error.ts";
import type { ExecutionsClient } from "./executions.ts";
import { fillOmittedEventValue } from "./execution-values.ts";
import { retryUnderRequestId } from "./retry-backend.ts";
import { callRpc, streamRpc } from "./rpc-error.ts";

/** Options of {@link FlowsClient.run}. */
export interface RunFlowOptions {
  /** The same request ID returns the same execution instead of starting another. */
  readonly requestId?: string | undefined;
}

/** A flow a runner serves. */
export interface FlowInfo {
  readonly name: string;
  /** JSON Schema of the flow's input; `undefined` when its zod schema has no JSON Schema form. */
  readonly inputSchema: JsonObject | undefined;
  /** The flow version of the code the runner serves it with (`--flow-version`, or a digest of its flows module). */
  readonly flowVersion: string;
}

/** The flows API of a {@link KitaruClient}: `client.flows`. */
export class FlowsClient {
  readonly #runner: Client<typeof RunnerService>;
  readonly #executions: ExecutionsClient;

  /** @private Created by `KitaruClient`. */
  constructor(runner: Client<typeof RunnerService>, executions: ExecutionsClient) {
    this.#runner = runner;
    this.#executions = executions;
  }

  /** The flows the runner serves, sorted by name, with their input JSON schemas. */
  async list(): Promise<FlowInfo[]> {
    const response = await callRpc(() => this.#runner.listFlows({}));
    return response.flows.map((flow) => ({ name: flow.flowName, inputSchema: flow.inputSchema, flowVersion: response.flowVersion }));
  }

  /**
   * Starts an execution of a registered flow and returns it (usually `running`).
   *
   * The input is validated by the flow's schema: invalid → `KitaruUsageError`
   * with field violations; unknown flow → `KitaruNotFoundError`. Always
   * idempotent: without a `requestId` one is generated, and a
   * `KitaruBackendError` is retried with the same ID (never two executions).
   * When the retries fail too, the error's `requestId` metadata names the ID
   * to repeat the request with.
   */
  async run(flowName: string, input: JsonObject = {}, options: RunFlowOptions = {}): Promise<Execution> {
    const requestId = options.requestId ?? randomUUID();
    const response = await retryUnderRequestId(requestId, () => callRpc(() => this.#runner.startExecution({ flowName, input, requestId })));
    if (response.execution === undefined) {
      throw new KitaruInternalError("The server answered StartExecution without an execution.", {
        metadata: { method: "StartExecution" },
      });
    }
    return executionFromProto(response.execution);
  }

  /**
   * Runs a flow to its end and resolves to its result, in one call where
   * `run()` + `handle.wait()` make two: the execution is started as
   * {@link run} starts it (validated, idempotent, a `KitaruBackendError`
   * retried under the same request ID, which starts nothing new and follows
   * the same execution) and its status comes back on the same stream
   * (`StartAndWatchExecution`).
   *
   * Rejects as `ExecutionHandle.wait()` does: `KitaruDivergenceError`,
   * `KitaruUserCodeError` or `KitaruExecutionError` for an execution that
   * failed or was cancelled, `KitaruPendingWaitError` for one that stopped at
   * a wait (answer it, then `client.executions.handle(execId).wait()`).
   */
  async execute<TResult = JsonValue>(flowName: string, input: JsonObject = {}, options: RunFlowOptions = {}): Promise<TResult> {
    const requestId = options.requestId ?? randomUUID();
    const outcome = await retryUnderRequestId(requestId, () => this.#startAndFollow(flowName, input, requestId));
    if (outcome.completed) return (outcome.result ?? null) as TResult;
    // Failed, cancelled, waiting, or a stream that ended first: the handle reads the
    // execution (following it on if it still runs) and raises what its end means.
    return this.#executions.handle<TResult>(outcome.execId).wait();
  }

  async #startAndFollow(
    flowName: string,
    input: JsonObject,
    requestId: string,
  ): Promise<{ completed: true; result: JsonValue | undefined } | { completed: false; execId: string }> {
    let execId: string | undefined;
    for await (const response of streamRpc(() => this.#runner.startAndWatchExecution({ flowName, input, requestId }))) {
      const kind = response.kind;
      if (kind.case === "execution") execId = kind.value.execId;
      if (kind.case !== "event") continue;
      await fillOmittedEventValue(this.#runner, kind.value);
      const event = executionEventFromProto(kind.value);
      if (event?.kind !== "statusChanged" || event.status === "running") continue;
      if (event.status === "completed") return { completed: true, result: event.result };
      break;
    }
    if (execId === undefined) {
      throw new KitaruInternalError("The server ended StartAndWatchExecution without an execution.", { metadata: { method: "StartAndWatchExecution" } });
    }
    return { completed: false, execId };
  }
}
