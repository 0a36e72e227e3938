import { z } from "zod";
import { securityConfigShape, securitySettings } from "../../transport/src/server-security.ts";

/** The planner's configuration, from flags and environment. */
export const PlannerConfigSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(50052),
  runnerUrl: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL such as http://127.0.0.1:50051" })
    .default("http://127.0.0.1:50051"),
  runnerTimeoutMs: z.coerce.number().int().positive().default(10_000),
  runnerToken: z.string().min(1).optional(),
  runnerCa: z.string().min(1).optional(),
  runnerClientCert: z.string().min(1).optional(),
  runnerClientKey: z.string().min(1).optional(),
  ...securityConfigShape,
});

/** A validated planner configuration. */
export type PlannerConfig = z.output<typeof PlannerConfigSchema>;

/** Where each setting comes from: flag name and environment variable. */
export const plannerSettings = {
  host: { flag: "host", env: "KITARU_PLANNER_HOST" },
  port: { flag: "port", env: "KITARU_PLANNER_PORT" },
  runnerUrl: { flag: "runner-url", env: "KITARU_RUNNER_URL" },
  runnerTimeoutMs: { flag: "runner-timeout-ms", env: "KITARU_RUNNER_TIMEOUT_MS" },
  runnerToken: { flag: "runner-token", env: "KITARU_RUNNER_TOKEN" },
  runnerCa: { flag: "runner-ca", env: "KITARU_RUNNER_CA" },
  runnerClientCert: { flag: "runner-client-cert", env: "KITARU_RUNNER_CLIENT_CERT" },
  runnerClientKey: { flag: "runner-client-key", env: "KITARU_RUNNER_CLIENT_KEY" },
  ...securitySettings,
} as const;
