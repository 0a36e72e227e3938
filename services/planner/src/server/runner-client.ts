import { ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { errorFromConnectError, KitaruBackendError } from "#contract/errors/index.ts";
import { NAMESPACE_HEADER } from "../../../transport/src/auth.ts";
import type { SourceExecution } from "../core/index.ts";
import { callGraphBytes, GET_CALL_GRAPH_BYTES } from "#contract/wire/call-graph-decoder.ts";
import { createHttp2GrpcTransport } from "#contract/wire/grpc-http2-transport.ts";
import { type PlanFlowVersions, sourceFromCallGraphBytes } from "./convert.ts";
import { RunnerConnectionProblems } from "./runner-connection-problems.ts";

/** Attempts of StartReplay in all, while the caller's deadline leaves time. */
const START_REPLAY_ATTEMPTS = 4;

/** How the planner reaches the runner. */
export interface RunnerConnectionOptions {
  readonly runnerUrl: string;
  /** Upper bound of every call, in milliseconds. */
  readonly timeoutMs: number;
  /** The planner's own credential: a service token the runner accepts (`*=<token>` there). */
  readonly token?: string | undefined;
  /** PEM: the CA that signed the runner's certificate (https:// URLs); default the system's. */
  readonly ca?: string | undefined;
  /** PEM: the planner's client certificate and key, when the runner requires them (mTLS). */
  readonly clientCert?: string | undefined;
  readonly clientKey?: string | undefined;
  /** Told (once per distinct problem, see runner-connection-problems.ts) when the runner cannot be used at its URL. */
  readonly onConnectionProblem?: ((message: string) => void) | undefined;
  /** Told once when the runner answers again after a connection problem was found (at start or on a call). */
  readonly onRunnerAnswers?: ((message: string) => void) | undefined;
}

/** The runner's two services, as {@link RunnerClient.call} hands them out. */
export interface RunnerServices {
  readonly internal: Client<typeof RunnerInternalService>;
  readonly public: Client<typeof RunnerService>;
}

/** What {@link RunnerClient.call} passes to each RPC: signal, timeout and the namespace header. */
export interface RunnerRpcOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
  readonly headers: Record<string, string>;
}

/** Per-call limits for calls to the runner. */
export interface RunnerCallOptions {
  /** Aborts the call (the planner's own caller went away). */
  readonly signal?: AbortSignal;
  /** The planner caller's deadline; the runner call never outlives it. */
  readonly deadline?: Date | undefined;
  /** The namespace of the planner's caller: the runner acts in it. */
  readonly namespace?: string | undefined;
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
  readonly #client: Client<typeof RunnerInternalService>;
  readonly #services: RunnerServices;
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #problems: RunnerConnectionProblems;

  constructor(options: RunnerConnectionOptions) {
    const tls = { ...(options.ca ? { ca: options.ca } : {}), ...(options.clientCert ? { cert: options.clientCert, key: options.clientKey } : {}) };
    this.#session = new Http2SessionManager(options.runnerUrl, { idleConnectionTimeoutMs: 60_000 }, tls);
    const token = options.token;
    const auth: Interceptor[] =
      token === undefined
        ? []
        : [
            (next) => async (request) => {
              request.header.set("authorization", `Bearer ${token}`);
              return next(request);
            },
          ];
    this.#transport = createHttp2GrpcTransport({
      baseUrl: options.runnerUrl,
      sessionManager: this.#session,
      readMaxBytes: 256 * 1024 * 1024,
      writeMaxBytes: 256 * 1024 * 1024,
      interceptors: auth,
    });
    this.#client = createClient(RunnerInternalService, this.#transport);
    this.#services = { internal: this.#client, public: createClient(RunnerService, this.#transport) };
    const probe = createGrpcTransport({ baseUrl: options.runnerUrl, sessionManager: this.#session, interceptors: auth });
    this.#problems = new RunnerConnectionProblems(options.runnerUrl, probe, options.onConnectionProblem, options.onRunnerAnswers);
    this.#timeoutMs = options.timeoutMs;
  }

  /**
   * Asks the runner's health: "SERVING" or "NOT_SERVING" (its database is
   * down); a `KitaruBackendError` naming the URL and `--runner-url` when no
   * runner answers there. For the planner's start (it may start first).
   */
  async checkRunner(): Promise<"SERVING" | "NOT_SERVING"> {
    return await this.#problems.checkHealth(Math.min(this.#timeoutMs, 3000));
  }

  /**
   * True once the runner serves: for work waiting in the background for it
   * (unfinished replay jobs). Its failures are neither logged nor taken as
   * logged, so the next failed call still says what is wrong.
   */
  async runnerServes(): Promise<boolean> {
    return await this.#problems.serves(Math.min(this.#timeoutMs, 3000));
  }

  /** The source execution's call graph, ready for the planning core, with the flow versions a plan shows. */
  async sourceExecution(execId: string, options: RunnerCallOptions): Promise<{ source: SourceExecution; versions: PlanFlowVersions }> {
    // GetCallGraph with the graph left as bytes, decoded straight into the core's records.
    const response = await this.#call(() => {
      const { signal, timeoutMs, headers } = this.#callOptions(options);
      return this.#transport.unary(GET_CALL_GRAPH_BYTES, signal, timeoutMs, headers, { execId });
    }, options.signal);
    const graph = callGraphBytes(response.message);
    if (graph === undefined) throw new Error("runner returned no call graph");
    const { sourceFlowVersion, flowVersion } = response.message;
    return { source: sourceFromCallGraphBytes(graph), versions: { sourceFlowVersion, flowVersion } };
  }

  /**
   * Asks the runner to create the replayed execution under `requestId`, and
   * asks again with the same ID while the runner does not answer (UNAVAILABLE,
   * DEADLINE_EXCEEDED) and the caller's deadline leaves time: the ID makes the
   * repeats create one execution at most. When no attempt is confirmed, the
   * `KitaruBackendError` says the replay may exist and names the request ID
   * that fetches it.
   */
  async startReplayOnce(
    plan: MessageInitShape<typeof ReplayPlanSchema>,
    requestId: string,
    options: RunnerCallOptions,
    replay: { allowOverrideTypeChange?: boolean } = {},
  ): Promise<Execution> {
    let attempts = 0;
    let delayMs = 100;
    for (;;) {
      attempts += 1;
      try {
        return await this.startReplay(plan, { ...replay, requestId }, options);
      } catch (error) {
        if (!(error instanceof KitaruBackendError)) throw error;
        const remaining = options.deadline ? options.deadline.getTime() - Date.now() : Number.POSITIVE_INFINITY;
        const more = attempts < START_REPLAY_ATTEMPTS && remaining > delayMs + 50 && !options.signal?.aborted;
        if (!more) {
          throw new KitaruBackendError(
            `The runner did not confirm the replay of execution '${plan.sourceExecId ?? ""}' (${attempts} attempt${attempts === 1 ? "" : "s"}: ${error.message}). ` +
              `It may have been created: repeat the request with request ID '${requestId}' to get it; the same ID never creates a second execution.`,
            { metadata: { ...error.metadata, requestId, attempts: String(attempts), sourceExecId: plan.sourceExecId ?? "" }, cause: error },
          );
        }
      }
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 2000);
    }
  }

  /** Asks the runner to create (or, with `validateOnly`, just validate) the replayed execution. */
  async startReplay(
    plan: MessageInitShape<typeof ReplayPlanSchema>,
    request: { requestId?: string; validateOnly?: boolean; allowOverrideTypeChange?: boolean },
    options: RunnerCallOptions,
  ): Promise<Execution> {
    const message = {
      plan,
      requestId: request.requestId ?? "",
      validateOnly: request.validateOnly ?? false,
      allowOverrideTypeChange: request.allowOverrideTypeChange ?? false,
    };
    const response = await this.#call(() => this.#client.startReplay(message, this.#callOptions(options)), options.signal);
    if (response.execution === undefined) throw new Error("runner returned no execution");
    return response.execution;
  }

  /**
   * Calls one RPC of the runner's public or internal service with this
   * client's limits (the caller's deadline capped by `timeoutMs`, or
   * `timeoutMs` given here for a long watch) and error mapping (failures are
   * `KitaruError`s, a connection problem names `--runner-url`).
   */
  async call<T>(rpc: (services: RunnerServices, options: RunnerRpcOptions) => Promise<T>, options: RunnerCallOptions & { timeoutMs?: number }): Promise<T> {
    const callOptions = this.#callOptions(options);
    const rpcOptions = options.timeoutMs === undefined ? callOptions : { ...callOptions, timeoutMs: options.timeoutMs };
    return await this.#call(() => rpc(this.#services, rpcOptions), options.signal);
  }

  /** Closes the HTTP/2 connection. */
  close(): void {
    this.#session.abort();
  }

  #callOptions(options: RunnerCallOptions): RunnerRpcOptions {
    const remaining = options.deadline ? options.deadline.getTime() - Date.now() : Number.POSITIVE_INFINITY;
    return {
      signal: options.signal,
      timeoutMs: Math.max(1, Math.min(this.#timeoutMs, remaining)),
      headers: options.namespace === undefined ? {} : ({ [NAMESPACE_HEADER]: options.namespace } as Record<string, string>),
    };
  }

  async #call<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      const answer = await call();
      this.#problems.answered();
      return answer;
    } catch (error) {
      // A connection problem (nothing there, another service, http/https) names the URL and --runner-url.
      throw (await this.#problems.explain(error, signal)) ?? (error instanceof ConnectError ? errorFromConnectError(error) : error);
    }
  }
}
