/**
 * The standard gRPC health service (grpc.health.v1.Health: Check, Watch, List)
 * and the status table its owner updates.
 *
 * @example
 * ```ts
 * const health = new HealthStatus();           // "" (overall) starts SERVING
 * health.set("kitaru.runner.v1.RunnerService", "SERVING");
 * await startGrpcServer({ services: [createHealthService(health), ...] });
 * // on shutdown: health.setAll("NOT_SERVING"), then host.shutdown()
 * ```
 *
 * @module
 */
import { Health, HealthCheckResponse_ServingStatus as ServingStatusPb } from "#gen/grpc/health/v1/health_pb.ts";
import { KitaruNotFoundError } from "#contract/errors/index.ts";
import { defineService, type ServiceRegistration } from "./service-handlers.ts";

/** The status a service owner can report. */
export type ServingStatus = "SERVING" | "NOT_SERVING";

/**
 * The health of each service name ("" = the server overall), as reported by
 * the health service. Changes reach `Watch` streams immediately.
 */
export class HealthStatus {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #listeners = new Set<() => void>();

  /** Starts from `initial`; by default only the overall status "" is known, as SERVING. */
  constructor(initial: Readonly<Record<string, ServingStatus>> = { "": "SERVING" }) {
    for (const [service, status] of Object.entries(initial)) this.#statuses.set(service, status);
  }

  /** Sets the status of `service` ("" for overall), making it known to Check. */
  set(service: string, status: ServingStatus): void {
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    for (const listener of this.#listeners) listener();
  }

  /** Sets every known service to `status`, e.g. NOT_SERVING while draining. */
  setAll(status: ServingStatus): void {
    for (const service of [...this.#statuses.keys()]) this.set(service, status);
  }

  /** The status of `service`, or undefined when it was never set. */
  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /** A snapshot of every known service and its status. */
  entries(): ReadonlyMap<string, ServingStatus> {
    return new Map(this.#statuses);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

const toPb: Readonly<Record<ServingStatus, ServingStatusPb>> = {
  SERVING: ServingStatusPb.SERVING,
  NOT_SERVING: ServingStatusPb.NOT_SERVING,
};

/**
 * Creates the grpc.health.v1.Health service answering from `health`.
 *
 * Check on an unknown name answers NOT_FOUND (as the health protocol asks);
 * Watch sends SERVICE_UNKNOWN for it and keeps the stream open.
 */
export function createHealthService(health: HealthStatus): ServiceRegistration {
  return defineService(Health, {
    async check({ service }) {
      const status = health.get(service);
      if (status === undefined) {
        throw new KitaruNotFoundError(`unknown service "${service}"`, {
          resourceType: "service",
          resourceName: service,
          metadata: { service },
        });
      }
      return { status: toPb[status] };
    },

    async *watch({ service }, ctx) {
      // `changed` is set by every notification, so one that arrives while a
      // response is being sent is not lost.
      let changed = true;
      let wake = () => {};
      const notify = () => {
        changed = true;
        wake();
      };
      const unsubscribe = health.onChange(notify);
      ctx.signal.addEventListener("abort", notify);
      try {
        let last: ServingStatusPb | undefined;
        for (;;) {
          if (!changed) await new Promise<void>((resolve) => (wake = resolve));
          changed = false;
          if (ctx.signal.aborted) return;
          const status = health.get(service);
          const current = status === undefined ? ServingStatusPb.SERVICE_UNKNOWN : toPb[status];
          if (current !== last) {
            last = current;
            yield { status: current };
          }
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener("abort", notify);
      }
    },

    async list() {
      const statuses = Object.fromEntries([...health.entries()].map(([name, status]) => [name, { status: toPb[status] }]));
      return { statuses };
    },
  });
}
