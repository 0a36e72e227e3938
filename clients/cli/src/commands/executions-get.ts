/**
 * `kitaru executions get <exec_id>`: one execution with its checkpoints.
 *
 * @module
 */
import { executionItem } from "../items.ts";
import { printItem } from "../output.ts";
import { renderExecution } from "../text.ts";
import type { CommandRunner } from "./context.ts";

/** Prints the execution snapshot (text) or `{"command": "executions.get", "item"}`. */
export const runExecutionsGet: CommandRunner<"executions.get"> = async (command, { io, client }) => {
  const execution = await client.executions.get(command.execId);
  if (command.output === "json") printItem(io, command.kind, executionItem(execution));
  else for (const line of renderExecution(execution)) io.out(line);
  return 0;
};
