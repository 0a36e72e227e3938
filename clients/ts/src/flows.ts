/**
 * `client.flows`: start executions of registered flows.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { JsonObject } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { executionFromProto, type Execution } from "./convert/execution.ts";
import { KitaruInternalError } from "#contract/errors/kitaru-error.ts";
import { retryUnderRequestId } from "./retry-backend.ts";
import { callRpc } from "./rpc-error.ts";

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

  /** @private Created by `KitaruClient`. */
  constructor(runner: Client<typeof RunnerService>) {
    this.#runner = runner;
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
}
