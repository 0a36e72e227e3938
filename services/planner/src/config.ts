import { z } from "zod";
import { securitySettings } from "../../transport/src/server-security.ts";
import { defineSettings, portSchema } from "../../transport/src/settings-table.ts";

/** The planner's settings: flag, variable, schema with its default, and what each does. */
export const plannerSettings = defineSettings({
  host: {
    flag: "host",
    env: "KITARU_PLANNER_HOST",
    schema: z.string().min(1).default("127.0.0.1"),
    arg: "<host>",
    shown: "127.0.0.1",
    doc: "interface to listen on (0.0.0.0 to accept remote calls: needs tokens)",
  },
  port: {
    flag: "port",
    env: "KITARU_PLANNER_PORT",
    schema: portSchema.default(50052),
    arg: "<port>",
    shown: "50052",
    doc: "port to listen on (0: any free port)",
  },
  runnerUrl: {
    flag: "runner-url",
    env: "KITARU_RUNNER_URL",
    schema: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL such as http://127.0.0.1:50051" }).default("http://127.0.0.1:50051"),
    arg: "<url>",
    shown: "http://127.0.0.1:50051",
    doc: "the runner (https:// for TLS)",
  },
  runnerTimeoutMs: {
    flag: "runner-timeout-ms",
    env: "KITARU_RUNNER_TIMEOUT_MS",
    schema: z.coerce.number().int().positive().default(10_000),
    arg: "<ms>",
    shown: "10000",
    doc: "cap on every call to the runner (the caller's deadline applies too)",
  },
  runnerToken: {
    flag: "runner-token",
    env: "KITARU_RUNNER_TOKEN",
    schema: z.string().min(1).optional(),
    arg: "<token>",
    shown: "",
    doc: "the planner's service token for the runner",
  },
  runnerCa: {
    flag: "runner-ca",
    env: "KITARU_RUNNER_CA",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    shown: "",
    doc: "CA of the runner's certificate (default: the system's)",
  },
  runnerClientCert: {
    flag: "runner-client-cert",
    env: "KITARU_RUNNER_CLIENT_CERT",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    shown: "",
    doc: "client certificate for a runner that requires mTLS",
  },
  runnerClientKey: {
    flag: "runner-client-key",
    env: "KITARU_RUNNER_CLIENT_KEY",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    shown: "",
    doc: "its key",
  },
  ...securitySettings,
});

/** The planner's configuration, from flags and environment. */
export const PlannerConfigSchema = z.object(plannerSettings.shape);
