import { z } from "zod";
import { securitySettings } from "../../transport/src/server-security.ts";
import { defineSettings, portSchema, positiveMsSchema } from "../../transport/src/settings-table.ts";

/** The runner's settings: flag, variable, schema with its default, and what each does. */
export const runnerSettings = defineSettings({
  flows: {
    flag: "flows",
    env: "KITARU_FLOWS",
    schema: z
      .string({ error: "is required: give the module that exports your flow(...) objects, e.g. --flows ./flows.ts" })
      .min(1, "is required: give the module that exports your flow(...) objects, e.g. --flows ./flows.ts"),
    arg: "<path>",
    shown: "",
    doc: "the module exporting flow(...) objects (required)",
  },
  host: {
    flag: "host",
    env: "KITARU_RUNNER_HOST",
    schema: z.string().min(1).default("127.0.0.1"),
    arg: "<host>",
    shown: "127.0.0.1",
    doc: "interface to listen on (0.0.0.0 to accept remote calls: needs tokens)",
  },
  port: {
    flag: "port",
    env: "KITARU_RUNNER_PORT",
    schema: portSchema.default(50051),
    arg: "<port>",
    shown: "50051",
    doc: "port to listen on (0: any free port)",
  },
  dbPath: {
    flag: "db-path",
    env: "KITARU_DB_PATH",
    schema: z.string().min(1).default(".kitaru/kitaru.db"),
    arg: "<file>",
    shown: ".kitaru/kitaru.db",
    doc: "the embedded store's file (relative to the working directory), used without a MongoDB URI",
  },
  mongodbUri: {
    flag: "mongodb-uri",
    env: "MONGODB_URI",
    schema: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, "must start with mongodb:// or mongodb+srv://")
      .optional(),
    arg: "<uri>",
    shown: "",
    doc: "use MongoDB instead of the embedded store",
  },
  database: {
    flag: "database",
    env: "KITARU_DATABASE",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, "letters, digits, _ and - only (at most 63)")
      .default("kitaru"),
    arg: "<name>",
    shown: "kitaru",
    doc: "the MongoDB database",
  },
  leaseTtlMs: {
    flag: "lease-ttl-ms",
    env: "KITARU_LEASE_TTL_MS",
    schema: positiveMsSchema.default(15_000),
    arg: "<ms>",
    shown: "15000",
    doc: "how long a claim lasts unrenewed; another runner takes over after it",
  },
  heartbeatMs: {
    flag: "heartbeat-ms",
    env: "KITARU_HEARTBEAT_MS",
    schema: positiveMsSchema.default(3_000),
    arg: "<ms>",
    shown: "3000",
    doc: "how often a claim is renewed (and cancels are seen)",
  },
  pollMs: {
    flag: "poll-ms",
    env: "KITARU_POLL_MS",
    schema: positiveMsSchema.default(250),
    arg: "<ms>",
    shown: "250",
    doc: "how often the store is polled for executions to run",
  },
  maxConcurrent: {
    flag: "max-concurrent",
    env: "KITARU_MAX_CONCURRENT",
    schema: z.coerce.number().int().positive().default(64),
    arg: "<n>",
    shown: "64",
    doc: "executions this runner runs at once",
  },
  ...securitySettings,
});

/** The runner's configuration, from flags and environment. */
export const RunnerConfigSchema = z
  .object(runnerSettings.shape)
  .refine((c) => c.heartbeatMs < c.leaseTtlMs, { message: "must be shorter than the lease TTL", path: ["heartbeatMs"] });

/** A validated runner configuration. */
export type RunnerConfig = z.output<typeof RunnerConfigSchema>;
