/**
 * `kitaru executions retry <exec_id>`: restart a failed execution.
 *
 * @module
 */
import { executionItem } from "../items.ts";
import { printItem } from "../output.ts";
import type { CommandRunner } from "./context.ts";

/** Prints `Retried execution: <id>` and its status, or the JSON item. */
export const runExecutionsRetry: CommandRunner<"executions.retry"> = async (command, { io, client }) => {
  const execution = await client.executions.retry(command.execId);
  if (command.output === "json") printItem(io, command.kind, executionItem(execution));
  else io.out(`Retried execution: ${execution.execId}\n  Status: ${execution.status}`);
  return 0;
};
