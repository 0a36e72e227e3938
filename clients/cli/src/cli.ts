/**
 * The `kitaru` dispatcher: parse, open a client, run one command, print
 * errors, return the exit code. Everything but `process.exit` (main.ts).
 *
 * @module
 */
import { runExecutionsCancel } from "./commands/executions-cancel.ts";
import { runExecutionsDiff } from "./commands/executions-diff.ts";
import { runExecutionsGet } from "./commands/executions-get.ts";
import { runExecutionsInput } from "./commands/executions-input.ts";
import { runExecutionsLatest } from "./commands/executions-latest.ts";
import { runExecutionsList } from "./commands/executions-list.ts";
import { runExecutionsLogs } from "./commands/executions-logs.ts";
import { runExecutionsReplay } from "./commands/executions-replay.ts";
import { runExecutionsRetry } from "./commands/executions-retry.ts";
import { runExecutionsTree } from "./commands/executions-tree.ts";
import { verifyCommand, type LocalVerifierLoader } from "./commands/executions-verify.ts";
import { runExecutionsWatch } from "./commands/executions-watch.ts";
import { runFlowsList } from "./commands/flows-list.ts";
import { runJobsCancel, runJobsDiff, runJobsGet, runJobsList, runJobsWatch } from "./commands/jobs.ts";
import { runFlowsRun } from "./commands/flows-run.ts";
import type { ClientFactory, CommandContext } from "./commands/context.ts";
import { helpText, VERSION } from "./help.ts";
import type { CliIo } from "./io.ts";
import { printError, reportOf } from "./output.ts";
import { parseArgs, type Command, type ServiceName } from "./parse-args.ts";

/** What the dispatcher runs with; tests inject fakes of each. */
export interface CliDependencies {
  readonly io: CliIo;
  /** Opens the client for a command; it is closed when the command ends. */
  readonly createClient: ClientFactory;
  /** Starts `kitaru runner ...` / `kitaru planner ...` / `kitaru console ...` with the rest of the command line. */
  readonly startService: (service: ServiceName, argv: readonly string[]) => Promise<void>;
  /** Reads `@file` option values (`--args @input.json`); without it they are refused. */
  readonly readFile?: ((path: string) => string) | undefined;
  /** Loads a flows module for `executions verify --flows`; without it `--flows` is refused. */
  readonly loadVerifier?: LocalVerifierLoader | undefined;
}

const noLocalVerifier: LocalVerifierLoader = () => Promise.reject(new Error("`--flows` is not available here."));

function run(command: Command, context: CommandContext, deps: CliDependencies): Promise<number> {
  switch (command.kind) {
    case "executions.get":
      return runExecutionsGet(command, context);
    case "executions.list":
      return runExecutionsList(command, context);
    case "executions.latest":
      return runExecutionsLatest(command, context);
    case "executions.replay":
      return runExecutionsReplay(command, context);
    case "executions.input":
      return runExecutionsInput(command, context);
    case "executions.retry":
      return runExecutionsRetry(command, context);
    case "executions.cancel":
      return runExecutionsCancel(command, context);
    case "executions.watch":
      return runExecutionsWatch(command, context);
    case "executions.logs":
      return runExecutionsLogs(command, context);
    case "executions.tree":
      return runExecutionsTree(command, context);
    case "executions.diff":
      return runExecutionsDiff(command, context);
    case "executions.verify":
      return verifyCommand(deps.loadVerifier ?? noLocalVerifier)(command, context);
    case "jobs.get":
      return runJobsGet(command, context);
    case "jobs.list":
      return runJobsList(command, context);
    case "jobs.diff":
      return runJobsDiff(command, context);
    case "jobs.cancel":
      return runJobsCancel(command, context);
    case "jobs.watch":
      return runJobsWatch(command, context);
    case "flows.run":
      return runFlowsRun(command, context);
    case "flows.list":
      return runFlowsList(command, context);
  }
}

/**
 * Runs one `kitaru` command line and resolves to its exit code: 0 on
 * success, 1 on any error (printed on stderr, as JSON with `-o json`).
 * Resolves to `undefined` after starting a service, which keeps running.
 */
export async function runCli(argv: readonly string[], deps: CliDependencies): Promise<number | undefined> {
  const { io } = deps;
  const parsed = parseArgs(argv, { readFile: deps.readFile });
  if (!parsed.ok) {
    printError(io, parsed.output, parsed.commandName, { message: parsed.errorMessage });
    return 1;
  }
  const invocation = parsed.command;
  switch (invocation.kind) {
    case "help":
      io.out(helpText(invocation.topic));
      return 0;
    case "version":
      io.out(VERSION);
      return 0;
    case "service":
      try {
        await deps.startService(invocation.service, invocation.argv);
        return undefined;
      } catch (error) {
        printError(io, "text", undefined, reportOf(error));
        return 1;
      }
  }
  let client: ReturnType<ClientFactory> | undefined;
  try {
    client = deps.createClient();
    return await run(invocation, { io, client }, deps);
  } catch (error) {
    printError(io, invocation.output, invocation.kind, reportOf(error));
    return 1;
  } finally {
    await client?.close();
  }
}
