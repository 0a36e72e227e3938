/**
 * `kitaru executions input`: answer pending waits with `--value`, `--abort`
 * or `--interactive`, following Kitaru's CLI.
 *
 * @module
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { KitaruStateError, type Execution, type Wait } from "../../../ts/src/index.ts";
import { InterruptedError } from "../io.ts";
import { executionItem } from "../items.ts";
import { parseJsonOption } from "../json-option.ts";
import { printError, printItem, reportOf } from "../output.ts";
import type { CliClient, CommandContext, CommandOf, CommandRunner } from "./context.ts";

/** The prompt for each pending wait in interactive mode. */
export const ACTION_PROMPT = "Action [c=continue, a=abort, s=skip, q=quit]: ";
/** The prompt for the value of a continued wait. */
export const VALUE_PROMPT = "JSON value for result (empty for null): ";

/**
 * The execution's only pending wait. None or several → `KitaruStateError`,
 * the second pointing to `--interactive`.
 */
async function singlePendingWait(client: CliClient, execId: string): Promise<Wait> {
  const waits = await client.executions.pendingWaits(execId);
  const [only] = waits;
  if (only === undefined) {
    throw new KitaruStateError(`Execution '${execId}' has no pending waits to resolve.`, { metadata: { execId } });
  }
  if (waits.length > 1) {
    const names = waits.map((w) => w.name).join(", ");
    throw new KitaruStateError(
      `Execution '${execId}' has multiple pending waits (${names}). ` + `Use \`kitaru executions input ${execId} --interactive\` to resolve them.`,
      { metadata: { execId, waitNames: names } },
    );
  }
  return only;
}

function printResolved(context: CommandContext, command: CommandOf<"executions.input">, verb: string, execution: Execution): void {
  if (command.output === "json") printItem(context.io, command.kind, executionItem(execution));
  else context.io.out(`${verb} for execution: ${execution.execId}\n  Status: ${execution.status}`);
}

/** Resolves `--value` or `--abort` against the single pending wait, by wait ID. */
export const runExecutionsInput: CommandRunner<"executions.input"> = async (command, context) => {
  const { client } = context;
  const mode = command.mode;
  if (mode.kind === "interactive") return runInteractive(command.execId, context);
  // The parser guarantees an execution ID outside interactive mode.
  const execId = command.execId as string;
  const wait = await singlePendingWait(client, execId);
  if (mode.kind === "abort") {
    printResolved(context, command, "Aborted wait", await client.executions.abortWait(execId, { wait: wait.waitId }));
  } else {
    const execution = await client.executions.input(execId, { wait: wait.waitId, value: mode.value });
    printResolved(context, command, "Resolved wait input", execution);
  }
  return 0;
};

interface Candidate {
  readonly execution: Execution;
  readonly wait: Wait;
}

async function candidates(client: CliClient, execId: string | undefined): Promise<Candidate[]> {
  const executions = execId === undefined ? await client.executions.list({ status: "waiting" }) : [await client.executions.get(execId, { view: "basic" })];
  const found: Candidate[] = [];
  for (const execution of executions) {
    for (const wait of await client.executions.pendingWaits(execution.execId)) found.push({ execution, wait });
  }
  return found;
}

function describeCandidate({ execution, wait }: Candidate): string[] {
  const schema = wait.schema === undefined ? ["JSON schema: any JSON value"] : ["JSON schema:", JSON.stringify(wait.schema, null, 2)];
  return [
    "",
    `Execution: ${execution.execId}`,
    `Flow: ${execution.flowName}`,
    `Status: ${execution.status}`,
    `Wait: ${wait.name}`,
    `Wait ID: ${wait.waitId}`,
    `Question: ${wait.question || "-"}`,
    `Waiting since: ${wait.createTime?.toISOString() ?? "-"}`,
    ...schema,
  ];
}

type Action = "continue" | "abort" | "skip" | "quit";

async function askAction(context: CommandContext): Promise<Action> {
  for (;;) {
    const answer = await context.io.readLine(ACTION_PROMPT);
    if (answer === null) return "quit";
    switch (answer.trim().toLowerCase()) {
      case "c":
      case "continue":
        return "continue";
      case "a":
      case "abort":
        return "abort";
      case "s":
      case "skip":
        return "skip";
      case "q":
      case "quit":
        return "quit";
      default:
        context.io.out("Please answer c, a, s or q.");
    }
  }
}

async function askValue(context: CommandContext): Promise<JsonValue> {
  for (;;) {
    const answer = await context.io.readLine(VALUE_PROMPT);
    if (answer === null || answer.trim() === "") return null;
    const parsed = parseJsonOption("value", answer);
    if (parsed.ok) return parsed.value;
    context.io.err(`Error: ${parsed.message}`);
  }
}

/**
 * Prompts for each pending wait of `execId` (or of every waiting execution)
 * and resolves it by wait ID. Per-wait errors are printed and make the exit
 * code 1 at the end; Ctrl-C stops with "Interrupted." and exit code 1.
 */
async function runInteractive(execId: string | undefined, context: CommandContext): Promise<number> {
  const { io, client } = context;
  if (!io.interactive) {
    printError(io, "text", "executions.input", { message: "Interactive mode requires a terminal (TTY) for input and output." });
    return 1;
  }
  const found = await candidates(client, execId);
  if (found.length === 0) {
    io.out(execId === undefined ? "No pending waits found for any execution." : `No pending waits found for execution '${execId}'.`);
    return 0;
  }
  let failures = 0;
  try {
    for (const candidate of found) {
      for (const line of describeCandidate(candidate)) io.out(line);
      const action = await askAction(context);
      if (action === "quit") break;
      if (action === "skip") {
        io.out(`Skipped wait ${candidate.wait.name}.`);
        continue;
      }
      const target = { execId: candidate.execution.execId, wait: candidate.wait.waitId };
      try {
        if (action === "abort") {
          const execution = await client.executions.abortWait(target.execId, { wait: target.wait });
          io.out(`Aborted wait for execution: ${execution.execId}\n  Status: ${execution.status}`);
        } else {
          const value = await askValue(context);
          const execution = await client.executions.input(target.execId, { wait: target.wait, value });
          io.out(`Resolved wait input for execution: ${execution.execId}\n  Status: ${execution.status}`);
        }
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        failures += 1;
        printError(io, "text", "executions.input", reportOf(error));
      }
    }
  } catch (error) {
    if (!(error instanceof InterruptedError)) throw error;
    io.err("Interrupted.");
    return 1;
  }
  return failures > 0 ? 1 : 0;
}
