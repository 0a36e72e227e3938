/**
 * `kitaru flows run <flow> [--args JSON] [--wait] [--request-id ID]`: start an execution.
 *
 * @module
 */
import { executionItem } from "../items.ts";
import { printItem } from "../output.ts";
import type { CommandRunner } from "./context.ts";
import { followToEnd } from "./follow-to-end.ts";

/** Prints `Started execution: <id>` (then progress with `--wait`), or the JSON item of the (final) execution. */
export const runFlowsRun: CommandRunner<"flows.run"> = async (command, context) => {
  const { io, client } = context;
  const execution = await client.flows.run(command.flow, command.args, { requestId: command.requestId });
  if (command.output === "text") {
    io.out(`Started execution: ${execution.execId}\n  Flow: ${execution.flowName}\n  Status: ${execution.status}`);
  }
  if (command.wait) return followToEnd(context, command, execution.execId);
  if (command.output === "json") printItem(io, command.kind, executionItem(execution));
  return 0;
};
