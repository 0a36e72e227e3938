import { z } from "zod";
import { defineSettings, portSchema } from "../../transport/src/settings-table.ts";

const serviceUrl = (example: string) => z.url({ protocol: /^https?$/, error: `must be an http:// or https:// URL such as ${example}` }).default(example);

/** The console's settings: flag, variable, schema with its default, and what each does. */
export const consoleSettings = defineSettings({
  host: {
    flag: "host",
    env: "KITARU_CONSOLE_HOST",
    schema: z.string().min(1).default("127.0.0.1"),
    arg: "<host>",
    shown: "127.0.0.1",
    doc: "interface to serve the page on (the console has the CLI's powers: keep it on localhost)",
  },
  port: {
    flag: "port",
    env: "KITARU_CONSOLE_PORT",
    schema: portSchema.default(50053),
    arg: "<port>",
    shown: "50053",
    doc: "port to serve the page on (0: any free port)",
  },
  runnerUrl: {
    flag: "runner-url",
    env: "KITARU_RUNNER_URL",
    schema: serviceUrl("http://127.0.0.1:50051"),
    arg: "<url>",
    shown: "http://127.0.0.1:50051",
    doc: "the runner the console reads and acts on (https:// for TLS)",
  },
  plannerUrl: {
    flag: "planner-url",
    env: "KITARU_PLANNER_URL",
    schema: serviceUrl("http://127.0.0.1:50052"),
    arg: "<url>",
    shown: "http://127.0.0.1:50052",
    doc: "the planner replays are planned and started on",
  },
  token: {
    flag: "token",
    env: "KITARU_TOKEN",
    schema: z.string().min(1).optional(),
    arg: "<token>",
    shown: "",
    doc: "the console's token for the runner and planner (a namespace token)",
  },
  caFile: {
    flag: "ca-file",
    env: "KITARU_CA_FILE",
    schema: z.string().min(1).optional(),
    arg: "<file>",
    shown: "",
    doc: "CA of the services' certificates (default: the system's)",
  },
  allowedHosts: {
    flag: "allowed-hosts",
    env: "KITARU_CONSOLE_ALLOWED_HOSTS",
    schema: z.string().default(""),
    arg: "<names>",
    shown: "",
    doc: "host names besides localhost the page may be reached by (comma-separated; e.g. an authenticating proxy's)",
  },
  timeoutMs: {
    flag: "timeout-ms",
    env: "KITARU_CONSOLE_TIMEOUT_MS",
    schema: z.coerce.number().int().positive().default(30_000),
    arg: "<ms>",
    shown: "30000",
    doc: "cap on every unary call to the services (the browser's deadline applies too; watches are not capped)",
  },
});

/** The console's configuration, from flags and environment. */
export const ConsoleConfigSchema = z.object(consoleSettings.shape);
