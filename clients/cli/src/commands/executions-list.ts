/**
 * `kitaru executions list [--flow] [--status] [--limit N | --page N --size N]`:
 * executions, newest first.
 *
 * @module
 */
import type { ExecutionStatus } from "../../../ts/src/index.ts";
import { executionItem } from "../items.ts";
import { printItems } from "../output.ts";
import { renderExecutionTable } from "../text.ts";
import type { CommandRunner } from "./context.ts";

/**
 * Prints a table (text) or `{"command": "executions.list", "items", "count"}`.
 * A page is read as the first `page * size` executions, of which the last
 * `size` are shown; in text mode a full page ends with how to get the next.
 */
export const runExecutionsList: CommandRunner<"executions.list"> = async (command, { io, client }) => {
  const { paging } = command;
  const limit = paging.kind === "limit" ? paging.limit : paging.page * paging.size;
  // The status filter is checked by the client, which raises Kitaru's usage error.
  const read = await client.executions.list({ flow: command.flow, status: command.status as ExecutionStatus | undefined, limit });
  const executions = paging.kind === "limit" ? read : read.slice((paging.page - 1) * paging.size);
  if (command.output === "json") {
    printItems(io, command.kind, executions.map(executionItem));
    return 0;
  }
  for (const line of renderExecutionTable(executions)) io.out(line);
  if (paging.kind === "page" && executions.length === paging.size) {
    const filters = [command.flow ? `--flow ${command.flow}` : "", command.status ? `--status ${command.status}` : ""].filter(Boolean);
    io.out(
      `Page ${paging.page} (${paging.size} per page). Next: kitaru executions list ${[...filters, `--page ${paging.page + 1}`, `--size ${paging.size}`].join(" ")}`,
    );
  }
  return 0;
};
