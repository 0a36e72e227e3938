/**
 * `kitaru executions watch <exec_id> [--follow-waits]`: an execution's events, live.
 *
 * @module
 */
import type { ExecutionStatus } from "../../../ts/src/index.ts";
import { eventItem } from "../items.ts";
import { printEventLine } from "../output.ts";
import { progressLine } from "../progress.ts";
import type { CommandRunner } from "./context.ts";

/**
 * Prints one progress line (text) or one `{"command": "executions.watch",
 * "event"}` JSON line per event until the stream ends. Exit code 1 when the
 * last status seen was failed or cancelled, like Kitaru's `logs --follow`.
 */
export const runExecutionsWatch: CommandRunner<"executions.watch"> = async (command, { io, client }) => {
  let last: ExecutionStatus | undefined;
  for await (const event of client.executions.watch(command.execId, { followWaits: command.followWaits })) {
    if (event.kind === "statusChanged") last = event.status;
    if (command.output === "json") {
      printEventLine(io, command.kind, eventItem(event));
    } else {
      const line = progressLine(event, { statusLines: true });
      if (line !== undefined) io.out(line);
    }
  }
  return last === "failed" || last === "cancelled" ? 1 : 0;
};
