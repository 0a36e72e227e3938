/**
 * Fakes for CLI tests: a terminal that records output and feeds input lines,
 * and a client whose methods tests replace one by one.
 */
import type { CliClient } from "../../clients/cli/src/commands/context.ts";
import { runCli } from "../../clients/cli/src/cli.ts";
import type { LocalVerifierLoader } from "../../clients/cli/src/commands/executions-verify.ts";
import { InterruptedError, type CliIo } from "../../clients/cli/src/io.ts";

/** A recording terminal; `input` lines answer prompts in order (`null` = end of input, `"^C"` = Ctrl-C). */
export interface FakeIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly prompts: string[];
}

export function fakeIo(input: (string | null)[] = [], interactive = true): FakeIo {
  const queue = [...input];
  const io: FakeIo = {
    stdout: [],
    stderr: [],
    prompts: [],
    interactive,
    out: (line) => void io.stdout.push(line),
    err: (line) => void io.stderr.push(line),
    async readLine(prompt) {
      io.prompts.push(prompt);
      const next = queue.length === 0 ? null : queue.shift()!;
      if (next === "^C") throw new InterruptedError();
      return next;
    },
  };
  return io;
}

/** Methods a test gives the fake client; calling any other one fails the test. */
export type FakeMethods = {
  [K in keyof CliClient["executions"]]?: CliClient["executions"][K];
} & { run?: CliClient["flows"]["run"]; listFlows?: CliClient["flows"]["list"] } & {
  [K in keyof CliClient["replayJobs"] as `jobs.${K}`]?: CliClient["replayJobs"][K];
};

/** Records every call as `[method, ...args]`. */
export interface FakeClient extends CliClient {
  readonly calls: unknown[][];
  closed: boolean;
}

export function fakeClient(methods: FakeMethods = {}): FakeClient {
  const calls: unknown[][] = [];
  const method =
    (name: string) =>
    (...args: unknown[]): never => {
      calls.push([name, ...args]);
      const impl = (methods as Record<string, ((...a: unknown[]) => unknown) | undefined>)[name];
      if (impl === undefined) throw new Error(`unexpected call: ${name}`);
      return impl(...args) as never;
    };
  const names = [
    "get",
    "list",
    "latest",
    "pendingWaits",
    "input",
    "abortWait",
    "retry",
    "cancel",
    "replay",
    "planReplay",
    "watch",
    "logs",
    "followLogs",
    "lineage",
    "compare",
    "verify",
    "history",
  ];
  const executions = Object.fromEntries(names.map((name) => [name, method(name)])) as unknown as CliClient["executions"];
  const client: FakeClient = {
    calls,
    closed: false,
    executions,
    flows: { run: method("run") as CliClient["flows"]["run"], list: method("listFlows") as CliClient["flows"]["list"] },
    replayJobs: Object.fromEntries(
      ["start", "plan", "get", "list", "items", "cancel", "watch"].map((name) => [name, method(`jobs.${name}`)]),
    ) as unknown as CliClient["replayJobs"],
    async close() {
      client.closed = true;
    },
  };
  return client;
}

/** Runs `kitaru <argv>` against the fakes (`loadVerifier`: what `executions verify --flows` loads). */
export async function cli(
  argv: string[],
  client: FakeClient = fakeClient(),
  io: FakeIo = fakeIo(),
  files: Record<string, string> = {},
  loadVerifier?: LocalVerifierLoader,
) {
  const code = await runCli(argv, {
    io,
    loadVerifier,
    createClient: () => client,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
    startService: async () => {
      throw new Error("no services in CLI tests");
    },
  });
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n"), io, client };
}

/** Parses a JSON envelope printed on one stream. */
export function envelope(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}
