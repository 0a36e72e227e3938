import { z } from "zod";
import { DEFAULT_HOST, DEFAULT_PORTS, defaultServiceUrl } from "#contract/service-addresses.ts";
import { defineSettings, portSchema, serviceUrlSchema } from "../../transport/src/settings-table.ts";

/** The console's settings: flag, variable, schema, default, and what each does. */
export const consoleSettings = defineSettings({
  host: {
    flag: "host",
    env: "KITARU_CONSOLE_HOST",
    schema: z.string().min(1),
    default: DEFAULT_HOST,
    arg: "<host>",
    doc: "interface to serve the page on (the console has the CLI's powers: keep it on localhost)",
  },
  port: {
    flag: "port",
    env: "KITARU_CONSOLE_PORT",
    schema: portSchema,
    default: DEFAULT_PORTS.console,
    arg: "<port>",
    doc: "port to serve the page on (0: any free port)",
  },
  runnerUrl: {
    flag: "runner-url",
    env: "KITARU_RUNNER_URL",
    schema: serviceUrlSchema(defaultServiceUrl("runner")),
    default: defaultServiceUrl("runner"),
    arg: "<url>",
    doc: "the runner the console reads and acts on (https:// for TLS)",
  },
  plannerUrl: {
    flag: "planner-url",
    env: "KITARU_PLANNER_URL",
    schema: serviceUrlSchema(defaultServiceUrl("planner")),
    default: defaultServiceUrl("planner"),
    arg: "<url>",
    doc: "the planner replays are planned and started on",
  },
  token: {
    flag: "token",
    env: "KITARU_TOKEN",
    schema: z.string().min(1).optional(),
    arg: "<token>",
    doc: "the console's token for the runner and planner (a namespace token)",
  },
  caFile: {
    flag: "ca-file",
    env: "KITARU_CA_FILE",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    doc: "CA of the services' certificates (default: the system's)",
  },
  allowedHosts: {
    flag: "allowed-hosts",
    env: "KITARU_CONSOLE_ALLOWED_HOSTS",
    schema: z.string(),
    default: "",
    arg: "<names>",
    doc: "host names besides localhost the page may be reached by (comma-separated; e.g. an authenticating proxy's)",
  },
  timeoutMs: {
    flag: "timeout-ms",
    env: "KITARU_CONSOLE_TIMEOUT_MS",
    schema: z.coerce.number().int().positive(),
    default: 30_000,
    arg: "<ms>",
    doc: "cap on every unary call to the services (the browser's deadline applies too; watches are not capped)",
  },
});

/** The console's configuration, from flags and environment. */
export const ConsoleConfigSchema = z.object(consoleSettings.shape);
