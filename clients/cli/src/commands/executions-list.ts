/**
 * `kitaru executions list [--flow] [--status] [--limit]`: executions, newest first.
 *
 * @module
 */
import type { ExecutionStatus } from "../../../ts/src/index.ts";
import { executionItem } from "../items.ts";
import { printItems } from "../output.ts";
import { renderExecutionTable } from "../text.ts";
import type { CommandRunner } from "./context.ts";

/** Prints a table (text) or `{"command": "executions.list", "items", "count"}`. */
export const runExecutionsList: CommandRunner<"executions.list"> = async (command, { io, client }) => {
  // Status and limit are checked by the client, which raises Kitaru's usage errors.
  const executions = await client.executions.list({
    flow: command.flow,
    status: command.status as ExecutionStatus | undefined,
    limit: command.limit,
  });
  if (command.output === "json") printItems(io, command.kind, executions.map(executionItem));
  else for (const line of renderExecutionTable(executions)) io.out(line);
  return 0;
};
