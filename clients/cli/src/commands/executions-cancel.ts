/**
 * `kitaru executions cancel <exec_id>`: cancel a running or waiting execution.
 *
 * @module
 */
import { executionItem } from "../items.ts";
import { printItem } from "../output.ts";
import type { CommandRunner } from "./context.ts";

/** Prints `Cancelled execution: <id>` and its status, or the JSON item. */
export const runExecutionsCancel: CommandRunner<"executions.cancel"> = async (command, { io, client }) => {
  const execution = await client.executions.cancel(command.execId);
  if (command.output === "json") printItem(io, command.kind, executionItem(execution));
  else io.out(`Cancelled execution: ${execution.execId}\n  Status: ${execution.status}`);
  return 0;
};
