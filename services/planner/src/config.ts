import { z } from "zod";
import { DEFAULT_HOST, DEFAULT_PORTS, defaultServiceUrl } from "#contract/service-addresses.ts";
import { securitySettings } from "../../transport/src/server-security.ts";
import { defineSettings, portSchema, serviceUrlSchema } from "../../transport/src/settings-table.ts";
import { DEFAULT_RUNNER_TIMEOUT_MS } from "./planner-server.ts";
import { DEFAULT_REPLAY_JOB_CONCURRENCY } from "./server/replay-jobs.ts";

/** The planner's settings: flag, variable, schema, default, and what each does. */
export const plannerSettings = defineSettings({
  host: {
    flag: "host",
    env: "KITARU_PLANNER_HOST",
    schema: z.string().min(1),
    default: DEFAULT_HOST,
    arg: "<host>",
    doc: "interface to listen on (0.0.0.0 to accept remote calls: needs tokens)",
  },
  port: {
    flag: "port",
    env: "KITARU_PLANNER_PORT",
    schema: portSchema,
    default: DEFAULT_PORTS.planner,
    arg: "<port>",
    doc: "port to listen on (0: any free port)",
  },
  runnerUrl: {
    flag: "runner-url",
    env: "KITARU_RUNNER_URL",
    schema: serviceUrlSchema(defaultServiceUrl("runner")),
    default: defaultServiceUrl("runner"),
    arg: "<url>",
    doc: "the runner (https:// for TLS)",
  },
  runnerTimeoutMs: {
    flag: "runner-timeout-ms",
    env: "KITARU_RUNNER_TIMEOUT_MS",
    schema: z.coerce.number().int().positive(),
    default: DEFAULT_RUNNER_TIMEOUT_MS,
    arg: "<ms>",
    doc: "cap on every call to the runner (the caller's deadline applies too)",
  },
  replayJobConcurrency: {
    flag: "replay-job-concurrency",
    env: "KITARU_REPLAY_JOB_CONCURRENCY",
    schema: z.coerce.number().int().min(1).max(64),
    default: DEFAULT_REPLAY_JOB_CONCURRENCY,
    arg: "<n>",
    doc: "replays of one replay job running at once, when the job does not say (1-64)",
  },
  runnerToken: {
    flag: "runner-token",
    env: "KITARU_RUNNER_TOKEN",
    schema: z.string().min(1).optional(),
    arg: "<token>",
    doc: "the planner's service token for the runner",
  },
  runnerCa: {
    flag: "runner-ca",
    env: "KITARU_RUNNER_CA",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    doc: "CA of the runner's certificate (default: the system's)",
  },
  runnerClientCert: {
    flag: "runner-client-cert",
    env: "KITARU_RUNNER_CLIENT_CERT",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    doc: "client certificate for a runner that requires mTLS",
  },
  runnerClientKey: {
    flag: "runner-client-key",
    env: "KITARU_RUNNER_CLIENT_KEY",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    doc: "its key",
  },
  ...securitySettings,
});

/** The planner's configuration, from flags and environment. */
export const PlannerConfigSchema = z.object(plannerSettings.shape);
