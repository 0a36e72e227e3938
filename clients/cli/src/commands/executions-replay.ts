/**
 * `kitaru executions replay <exec_id> --from SEL [--args] [--overrides] [--allow-override-type-change]
 * [--answer-waits-from-source NAME[,NAME]] [--plan | --wait]` (with `--flow`/`--ids` instead of an ID: a
 * replay job, `replay-job-start.ts`).
 *
 * @module
 */
import { executionItem, planItem } from "../items.ts";
import { printItem } from "../output.ts";
import { renderPlan, renderReplaySummary } from "../text.ts";
import type { CommandRunner } from "./context.ts";
import { followToEnd } from "./follow-to-end.ts";
import { runReplayJob } from "./replay-job-start.ts";

/**
 * Replays (PlannerService) and prints `Replayed execution: <new id>`, the
 * original and the status; `--wait` follows it with progress and ends with
 * what was reused and re-executed. `--plan` prints the dry run instead.
 */
export const runExecutionsReplay: CommandRunner<"executions.replay"> = async (command, context) => {
  if (command.execId === undefined) return await runReplayJob(command, context);
  const { io, client } = context;
  const execId = command.execId;
  const request = {
    from: command.from,
    args: command.args,
    overrides: command.overrides,
    ...(command.allowOverrideTypeChange ? { allowOverrideTypeChange: true } : {}),
    ...(command.answerWaitsFromSource.length > 0 ? { answerWaitsFromSource: command.answerWaitsFromSource } : {}),
  };
  if (command.plan) {
    const plan = await client.executions.planReplay(execId, request);
    if (command.output === "json") printItem(io, command.kind, planItem(plan));
    else for (const line of renderPlan(plan)) io.out(line);
    return 0;
  }
  const execution = await client.executions.replay(execId, { ...request, requestId: command.requestId });
  if (command.output === "text") {
    io.out(
      `Replayed execution: ${execution.execId}\n` + `  Original execution: ${execution.originalExecId || command.execId}\n` + `  Status: ${execution.status}`,
    );
  }
  if (command.wait) return followToEnd(context, command, execution.execId, renderReplaySummary);
  if (command.output === "json") printItem(io, command.kind, executionItem(execution));
  return 0;
};
