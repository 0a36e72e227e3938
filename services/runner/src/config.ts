import { z } from "zod";
import { KitaruUsageError } from "../../../clients/ts/src/errors/index.ts";
import { describeViolations, violationsOf } from "./engine/schema-violations.ts";

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();

/** The runner's configuration, from flags and environment. */
export const RunnerConfigSchema = z
  .object({
    flows: z.string().min(1, "give the flows module with --flows <path> or KITARU_FLOWS"),
    host: z.string().min(1).default("127.0.0.1"),
    port: port.default(50051),
    mongodbUri: z.string().regex(/^mongodb(\+srv)?:\/\//, "must start with mongodb:// or mongodb+srv://").optional(),
    database: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, "letters, digits, _ and - only (at most 63)").default("kitaru"),
    leaseTtlMs: positiveMs.default(15_000),
    heartbeatMs: positiveMs.default(3_000),
    pollMs: positiveMs.default(250),
    maxConcurrent: z.coerce.number().int().positive().default(64),
  })
  .refine((c) => c.heartbeatMs < c.leaseTtlMs, { message: "must be shorter than the lease TTL", path: ["heartbeatMs"] });

/** A validated runner configuration. */
export type RunnerConfig = z.output<typeof RunnerConfigSchema>;

/** Where each setting comes from: flag name and environment variable. */
export const runnerSettings = {
  flows: { flag: "flows", env: "KITARU_FLOWS" },
  host: { flag: "host", env: "KITARU_RUNNER_HOST" },
  port: { flag: "port", env: "KITARU_RUNNER_PORT" },
  mongodbUri: { flag: "mongodb-uri", env: "MONGODB_URI" },
  database: { flag: "database", env: "KITARU_DATABASE" },
  leaseTtlMs: { flag: "lease-ttl-ms", env: "KITARU_LEASE_TTL_MS" },
  heartbeatMs: { flag: "heartbeat-ms", env: "KITARU_HEARTBEAT_MS" },
  pollMs: { flag: "poll-ms", env: "KITARU_POLL_MS" },
  maxConcurrent: { flag: "max-concurrent", env: "KITARU_MAX_CONCURRENT" },
} as const;

/**
 * Builds a service configuration from flags (which win) and environment
 * variables, validated by `schema`. A bad value is a usage error naming the
 * flag, the variable and what is wrong.
 */
export function resolveConfig<S extends z.ZodType>(
  schema: S,
  settings: Readonly<Record<string, { readonly flag: string; readonly env: string }>>,
  flags: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [key, source] of Object.entries(settings)) {
    const value = flags[source.flag] ?? env[source.env];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const violations = violationsOf(parsed.error).map((v) => {
    const source = settings[v.field];
    return source ? { field: `--${source.flag} / ${source.env}`, description: v.description } : v;
  });
  throw new KitaruUsageError(`Invalid configuration: ${describeViolations(violations)}.`, { violations });
}
