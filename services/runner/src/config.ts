import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();

/** The runner's configuration, from flags and environment. */
export const RunnerConfigSchema = z
  .object({
    flows: z.string().min(1, "give the flows module with --flows <path> or KITARU_FLOWS"),
    host: z.string().min(1).default("127.0.0.1"),
    port: port.default(50051),
    mongodbUri: z.string().regex(/^mongodb(\+srv)?:\/\//, "must start with mongodb:// or mongodb+srv://").optional(),
    /** The embedded store's file, used when no MongoDB URI is given; relative to the working directory. */
    dbPath: z.string().min(1).default(".kitaru/kitaru.db"),
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
  dbPath: { flag: "db-path", env: "KITARU_DB_PATH" },
  database: { flag: "database", env: "KITARU_DATABASE" },
  leaseTtlMs: { flag: "lease-ttl-ms", env: "KITARU_LEASE_TTL_MS" },
  heartbeatMs: { flag: "heartbeat-ms", env: "KITARU_HEARTBEAT_MS" },
  pollMs: { flag: "poll-ms", env: "KITARU_POLL_MS" },
  maxConcurrent: { flag: "max-concurrent", env: "KITARU_MAX_CONCURRENT" },
} as const;
