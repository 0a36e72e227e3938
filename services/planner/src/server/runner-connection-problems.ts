/**
 * The planner's words for a runner it cannot use at its URL: nothing
 * answers, another service answers (the planner's own address given as the
 * runner's), `https://` against a plaintext runner or the reverse, an
 * untrusted certificate. Each becomes a `KitaruBackendError` (UNAVAILABLE:
 * the planner's caller cannot fix it; the planner's operator can) naming the
 * URL and the planner setting that fixes it, and is reported to the
 * planner's log once per distinct problem a minute.
 *
 * @module
 */
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { describeConnectionFailure, diagnoseConnectionFailure, identifyService, type ConnectionFailure } from "#contract/connection-failure.ts";
import { KitaruBackendError } from "#contract/errors/index.ts";

const SETTINGS = { urlSetting: "--runner-url / KITARU_RUNNER_URL", caSetting: "--runner-ca / KITARU_RUNNER_CA", caller: "planner" } as const;

/** How often the same problem is logged again while it lasts. */
const REPORT_EVERY_MS = 60_000;

/** Explains (and reports) the problems of the planner's connection to the runner at one URL. */
export class RunnerConnectionProblems {
  readonly #url: string;
  readonly #probe: Transport;
  readonly #report: ((message: string) => void) | undefined;
  readonly #reportAnswers: ((message: string) => void) | undefined;
  #lastReported = { message: "", at: 0 };
  /** A problem was found and the runner has not answered since. */
  #troubled = false;

  /**
   * `probe`: a transport to the runner's URL with the planner's credentials,
   * for the probes; `report` hears of each problem, `reportAnswers` of the
   * runner answering again after one.
   */
  constructor(url: string, probe: Transport, report?: (message: string) => void, reportAnswers?: (message: string) => void) {
    this.#url = url;
    this.#probe = probe;
    this.#report = report;
    this.#reportAnswers = reportAnswers;
  }

  /** The runner answered (a call or a health check): said once after a problem, as the docs promise. */
  answered(): void {
    if (!this.#troubled) return;
    this.#troubled = false;
    this.#lastReported = { message: "", at: 0 };
    this.#reportAnswers?.(`the runner at ${this.#url} answers`);
  }

  /** The error to answer instead of `error` (a failed call to the runner), or undefined when the connection is not the problem. */
  async explain(error: unknown, signal?: AbortSignal): Promise<KitaruBackendError | undefined> {
    const failure = await diagnoseConnectionFailure(error, { url: this.#url, expected: "runner", probe: this.#probe, signal });
    return failure && this.#failed(failure, error);
  }

  /** The runner's health (see `RunnerClient.checkRunner`). */
  async checkHealth(timeoutMs: number): Promise<"SERVING" | "NOT_SERVING"> {
    try {
      return await this.#askHealth(timeoutMs);
    } catch (error) {
      // A gRPC server that does not serve RunnerService answers NOT_FOUND: which one is it?
      const options = { url: this.#url, expected: "runner" as const, probe: this.#probe };
      const notFound = ConnectError.from(error).code === Code.NotFound;
      const failure = notFound ? await identifyService(options) : await diagnoseConnectionFailure(error, options);
      if (failure) throw this.#failed(failure, error, false); // the caller logs it, in its own words
      throw new KitaruBackendError(
        `The planner cannot check the runner at ${this.#url} (${ConnectError.from(error).rawMessage}): check ${SETTINGS.urlSetting}.`,
        {
          metadata: { runnerUrl: this.#url },
          cause: error,
        },
      );
    }
  }

  /** True when the runner answers its health check with SERVING; false on any failure, which is left unreported. */
  async serves(timeoutMs: number): Promise<boolean> {
    return (await this.#askHealth(timeoutMs).catch(() => undefined)) === "SERVING";
  }

  /** The runner's answer to a health check of RunnerService; the call's error when there is none. */
  async #askHealth(timeoutMs: number): Promise<"SERVING" | "NOT_SERVING"> {
    const { status } = await createClient(Health, this.#probe).check({ service: RunnerService.typeName }, { timeoutMs });
    this.answered();
    return status === HealthCheckResponse_ServingStatus.SERVING ? "SERVING" : "NOT_SERVING";
  }

  /** The error for `failure`; reported unless `report` is false (the caller logs it: it counts as reported). */
  #failed(failure: ConnectionFailure, error: unknown, report = true): KitaruBackendError {
    this.#troubled = true;
    const message = describeConnectionFailure(failure, SETTINGS);
    const now = Date.now();
    if (message !== this.#lastReported.message || now - this.#lastReported.at >= REPORT_EVERY_MS) {
      this.#lastReported = { message, at: now };
      if (report) this.#report?.(message);
    }
    return new KitaruBackendError(message, { metadata: { runnerUrl: this.#url, problem: failure.kind }, cause: error });
  }
}
