import { z } from "zod";
import { DEFAULT_HOST, DEFAULT_PORTS } from "#contract/service-addresses.ts";
import { defaultSchedulerOptions } from "./engine/scheduler.ts";
import { securitySettings } from "../../transport/src/server-security.ts";
import { defineSettings, portSchema, positiveMsSchema } from "../../transport/src/settings-table.ts";

/** The runner's settings: flag, variable, schema, default, and what each does. */
export const runnerSettings = defineSettings({
  flows: {
    flag: "flows",
    env: "KITARU_FLOWS",
    schema: z
      .string({ error: "is required: give the module that exports your flow(...) objects, e.g. --flows ./flows.ts" })
      .min(1, "is required: give the module that exports your flow(...) objects, e.g. --flows ./flows.ts"),
    arg: "<path>",
    doc: "the module exporting flow(...) objects (required)",
  },
  flowVersion: {
    flag: "flow-version",
    env: "KITARU_FLOW_VERSION",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:+/@-]{0,127}$/, "1 to 128 letters, digits and . _ : + / @ - (starting with a letter or digit), e.g. a git SHA")
      .optional(),
    arg: "<version>",
    doc: "the version of the flow code (e.g. the deploy's git SHA); default: a digest of the flows module and its project imports",
  },
  onResumeDivergence: {
    flag: "on-resume-divergence",
    env: "KITARU_ON_RESUME_DIVERGENCE",
    schema: z.enum(["hold", "fail"]),
    default: "hold",
    arg: "hold|fail",
    doc: "when this runner's code diverges from an execution another flow version recorded: hold it for a runner of that version, or fail it",
  },
  host: {
    flag: "host",
    env: "KITARU_RUNNER_HOST",
    schema: z.string().min(1),
    default: DEFAULT_HOST,
    arg: "<host>",
    doc: "interface to listen on (0.0.0.0 to accept remote calls: needs tokens)",
  },
  port: {
    flag: "port",
    env: "KITARU_RUNNER_PORT",
    schema: portSchema,
    default: DEFAULT_PORTS.runner,
    arg: "<port>",
    doc: "port to listen on (0: any free port)",
  },
  dbPath: {
    flag: "db-path",
    env: "KITARU_DB_PATH",
    schema: z.string().min(1),
    default: ".kitaru/kitaru.db",
    arg: "<file>",
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
    doc: "use MongoDB instead of the embedded store",
  },
  database: {
    flag: "database",
    env: "KITARU_DATABASE",
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, "letters, digits, _ and - only (at most 63)"),
    default: "kitaru",
    arg: "<name>",
    doc: "the MongoDB database",
  },
  leaseTtlMs: {
    flag: "lease-ttl-ms",
    env: "KITARU_LEASE_TTL_MS",
    schema: positiveMsSchema,
    default: defaultSchedulerOptions.leaseTtlMs,
    arg: "<ms>",
    doc: "how long a claim lasts unrenewed; another runner takes over after it",
  },
  heartbeatMs: {
    flag: "heartbeat-ms",
    env: "KITARU_HEARTBEAT_MS",
    schema: positiveMsSchema,
    default: defaultSchedulerOptions.heartbeatMs,
    arg: "<ms>",
    doc: "how often a claim is renewed (and cancels are seen)",
  },
  pollMs: {
    flag: "poll-ms",
    env: "KITARU_POLL_MS",
    schema: positiveMsSchema,
    default: defaultSchedulerOptions.pollMs,
    arg: "<ms>",
    doc: "how often the store is polled for executions to run",
  },
  maxConcurrent: {
    flag: "max-concurrent",
    env: "KITARU_MAX_CONCURRENT",
    schema: z.coerce.number().int().positive(),
    default: defaultSchedulerOptions.maxConcurrent,
    arg: "<n>",
    doc: "executions this runner runs at once (each keeps its flow's values in memory)",
  },
  ...securitySettings,
});

/** The runner's configuration, from flags and environment. */
export const RunnerConfigSchema = z
  .object(runnerSettings.shape)
  .refine((c) => c.heartbeatMs < c.leaseTtlMs, { message: "must be shorter than the lease TTL", path: ["heartbeatMs"] });

/** A validated runner configuration. */
export type RunnerConfig = z.output<typeof RunnerConfigSchema>;
