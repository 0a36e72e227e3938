import { z } from "zod";

/** The planner's configuration, from flags and environment. */
export const PlannerConfigSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(50052),
  runnerUrl: z.url({ protocol: /^https?$/, error: "must be an http:// URL such as http://127.0.0.1:50051" }).default("http://127.0.0.1:50051"),
  runnerTimeoutMs: z.coerce.number().int().positive().default(10_000),
});

/** A validated planner configuration. */
export type PlannerConfig = z.output<typeof PlannerConfigSchema>;

/** Where each setting comes from: flag name and environment variable. */
export const plannerSettings = {
  host: { flag: "host", env: "KITARU_PLANNER_HOST" },
  port: { flag: "port", env: "KITARU_PLANNER_PORT" },
  runnerUrl: { flag: "runner-url", env: "KITARU_RUNNER_URL" },
  runnerTimeoutMs: { flag: "runner-timeout-ms", env: "KITARU_RUNNER_TIMEOUT_MS" },
} as const;
