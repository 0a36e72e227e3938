/**
 * The page's clients of the runner and planner, generated from the contract
 * and spoken over the Connect protocol to the console process that served
 * the page (same origin), which forwards them to the services.
 */
import { type Client, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { errorFromConnectError, type KitaruError, KitaruError as KitaruErrorClass } from "#contract/errors/index.ts";

// Binary: a message may hold a google.protobuf.Any (a refused replay job
// source's google.rpc.Status details), which JSON could only encode with a
// registry of every type it may hold.
const transport = createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true });

/** RunnerService through the console. */
export const runner: Client<typeof RunnerService> = createClient(RunnerService, transport);
/** PlannerService through the console. */
export const planner: Client<typeof PlannerService> = createClient(PlannerService, transport);

/** Any failure of a call as a kitaru error (its class, message and details). */
export function kitaruError(error: unknown): KitaruError {
  if (error instanceof ConnectError) return errorFromConnectError(error);
  return KitaruErrorClass.from(error, error instanceof Error ? error.message : String(error));
}

/** The line a person reads for a failure: its class and message. */
export function errorLine(error: unknown): string {
  const failure = kitaruError(error);
  return `${failure.name}: ${failure.message}`;
}

/** A new random request ID (idempotent starts and replays). */
export function requestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
