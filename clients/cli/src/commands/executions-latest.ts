/**
 * `kitaru executions latest [--flow] [--status]`: the newest matching execution.
 *
 * @module
 */
import type { ExecutionStatus } from "../../../ts/src/index.ts";
import { executionItem } from "../items.ts";
import { printItem } from "../output.ts";
import { renderExecution } from "../text.ts";
import type { CommandRunner } from "./context.ts";

/** Prints the newest execution like `get`; none → the client's not-found error. */
export const runExecutionsLatest: CommandRunner<"executions.latest"> = async (command, { io, client }) => {
  // The status string is checked by the client, which raises Kitaru's usage error.
  const execution = await client.executions.latest({
    flow: command.flow,
    status: command.status as ExecutionStatus | undefined,
  });
  if (command.output === "json") printItem(io, command.kind, executionItem(execution));
  else for (const line of renderExecution(execution)) io.out(line);
  return 0;
};
