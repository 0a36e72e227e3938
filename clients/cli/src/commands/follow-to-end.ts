/**
 * Following a started or replayed execution to its end (`--wait`), with live
 * progress in text mode.
 *
 * @module
 */
import { executionOutcomeError, followExecution, type Execution } from "../../../ts/src/index.ts";
import { executionItem } from "../items.ts";
import { printError, printItem, reportOf } from "../output.ts";
import type { Command } from "../parse-args.ts";
import { progressLine } from "../progress.ts";
import { compactJson, waitLine } from "../text.ts";
import type { CommandContext } from "./context.ts";

/** How to answer the pending waits of `execution`, as text lines. */
function answerHint(execution: Execution): string[] {
  const lines = execution.pendingWaits.map((wait) => `  ⏸ ${waitLine(wait)}`);
  lines.push(
    execution.pendingWaits.length === 1
      ? `Answer with: kitaru executions input ${execution.execId} --value '<json>'`
      : `Answer with: kitaru executions input ${execution.execId} --interactive`,
  );
  return lines;
}

/**
 * Follows `execId` until it settles and prints the outcome.
 *
 * Text: one progress line per event, then `Status: <status>` and the result,
 * the waits to answer, or the error. JSON: the settled execution as the item.
 * Resolves to the settled execution (full view) and the exit code: 1 when it
 * failed or was cancelled (the typed error goes to stderr), else 0.
 *
 * `afterStatus` adds text lines after the status line (the replay summary).
 */
export async function followToEnd(
  context: CommandContext,
  command: Command,
  execId: string,
  afterStatus: (execution: Execution) => string[] = () => [],
): Promise<number> {
  const { io, client } = context;
  const text = command.output === "text";
  const execution = await followExecution(client.executions, execId, {
    view: "full",
    onEvent: text
      ? (event) => {
          const line = progressLine(event, { statusLines: false });
          if (line !== undefined) io.out(line);
        }
      : undefined,
  });
  const error = executionOutcomeError(execution);
  if (text) {
    io.out(`Status: ${execution.status}`);
    if (execution.status === "completed") io.out(`  Result: ${compactJson(execution.result)}`);
    for (const line of afterStatus(execution)) io.out(line);
    if (execution.status === "waiting") for (const line of answerHint(execution)) io.out(line);
  } else {
    printItem(io, command.kind, executionItem(execution));
  }
  if (error === undefined || execution.status === "waiting") return 0;
  printError(io, command.output, command.kind, reportOf(error));
  return 1;
}
