import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { errorFromConnectError } from "../../../../clients/ts/src/errors/index.ts";
import type { SourceExecution } from "../core/index.ts";
import { sourceFromCallGraph } from "./convert.ts";

/** Per-call limits for calls to the runner. */
export interface RunnerCallOptions {
  /** Aborts the call (the planner's own caller went away). */
  readonly signal?: AbortSignal;
  /** The planner caller's deadline; the runner call never outlives it. */
  readonly deadline?: Date | undefined;
}

/**
 * The planner's typed client of the runner (service to service, gRPC).
 *
 * Every call carries a deadline: the caller's, capped by `timeoutMs`, so a
 * runner that is down or hung yields UNAVAILABLE / DEADLINE_EXCEEDED (mapped
 * to `KitaruBackendError`) instead of a hang. Runner errors keep their kitaru
 * class and details on the way through.
 */
export class RunnerClient {
  readonly #session: Http2SessionManager;
  readonly #client: Client<typeof RunnerService>;
  readonly #timeoutMs: number;

  constructor(options: { runnerUrl: string; timeoutMs: number }) {
    this.#session = new Http2SessionManager(options.runnerUrl, { idleConnectionTimeoutMs: 60_000 });
    this.#client = createClient(
      RunnerService,
      createGrpcTransport({
        baseUrl: options.runnerUrl,
        sessionManager: this.#session,
        readMaxBytes: 256 * 1024 * 1024,
        writeMaxBytes: 256 * 1024 * 1024,
      }),
    );
    this.#timeoutMs = options.timeoutMs;
  }

  /** The source execution's call graph, ready for the planning core. */
  async sourceExecution(execId: string, options: RunnerCallOptions): Promise<SourceExecution> {
    const response = await this.#call(() => this.#client.getCallGraph({ execId }, this.#callOptions(options)));
    if (response.graph === undefined) throw new Error("runner returned no call graph");
    return sourceFromCallGraph(response.graph);
  }

  /** Asks the runner to create (or, with `validateOnly`, just validate) the replayed execution. */
  async startReplay(
    plan: MessageInitShape<typeof ReplayPlanSchema>,
    request: { requestId?: string; validateOnly?: boolean },
    options: RunnerCallOptions,
  ): Promise<Execution> {
    const response = await this.#call(() =>
      this.#client.startReplay({ plan, requestId: request.requestId ?? "", validateOnly: request.validateOnly ?? false }, this.#callOptions(options)),
    );
    if (response.execution === undefined) throw new Error("runner returned no execution");
    return response.execution;
  }

  /** Closes the HTTP/2 connection. */
  close(): void {
    this.#session.abort();
  }

  #callOptions(options: RunnerCallOptions) {
    const remaining = options.deadline ? options.deadline.getTime() - Date.now() : Number.POSITIVE_INFINITY;
    return { signal: options.signal, timeoutMs: Math.max(1, Math.min(this.#timeoutMs, remaining)) };
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw error instanceof ConnectError ? errorFromConnectError(error) : error;
    }
  }
}
