/**
 * `kitaru executions replay --flow NAME ... --from SEL`: a replay job.
 *
 * @module
 */
import { EXECUTION_STATUSES, type ExecutionStatus, KitaruUsageError } from "../../../ts/src/index.ts";
import { printItem } from "../output.ts";
import type { ReplaySelection } from "../parse-args.ts";
import { jobSourceItem, renderJob, renderSources, replayJobItem } from "../replay-job-output.ts";
import type { CommandOf, CommandRunner } from "./context.ts";
import { followJob } from "./follow-job.ts";

function statuses(selection: ReplaySelection): ExecutionStatus[] {
  return selection.statuses.map((status) => {
    if (!(EXECUTION_STATUSES as readonly string[]).includes(status) || status === "running") {
      throw new KitaruUsageError(`\`--status\` must be completed, failed, cancelled or waiting; got '${status}'.`, { metadata: { status } });
    }
    return status as ExecutionStatus;
  });
}

function jobOptions(command: CommandOf<"executions.replay">, selection: ReplaySelection) {
  return {
    flow: selection.flow,
    statuses: statuses(selection),
    since: selection.since,
    until: selection.until,
    labels: selection.labels,
    execIds: selection.execIds,
    limit: selection.limit,
    from: command.from,
    args: command.args,
    overrides: command.overrides,
    allowOverrideTypeChange: command.allowOverrideTypeChange,
    answerWaitsFromSource: command.answerWaitsFromSource,
    concurrency: command.concurrency,
  };
}

/**
 * Starts the job and prints it (`Replay job: rj-...`, the sources selected,
 * how to follow it); `--wait` follows it with a progress line, then prints
 * each source → replay. `--plan` prints every source's plan and creates nothing.
 */
export const runReplayJob: CommandRunner<"executions.replay"> = async (command, context) => {
  const { io, client } = context;
  const selection = command.selection;
  if (selection === undefined) throw new KitaruUsageError("No executions selected.");
  if (command.plan) {
    const plans = await client.replayJobs.plan(jobOptions(command, selection));
    if (command.output === "json") printItem(io, command.kind, { job: replayJobItem(plans.job), items: plans.items.map(jobSourceItem) });
    else for (const line of [...renderJob(plans.job), "", ...renderSources(plans.items)]) io.out(line);
    return plans.job.totals.refused > 0 ? 1 : 0;
  }
  const job = await client.replayJobs.start({ ...jobOptions(command, selection), requestId: command.requestId });
  if (command.output === "text") {
    for (const line of renderJob(job)) io.out(line);
    if (!command.wait) io.out(`Follow it: kitaru jobs watch ${job.jobId}   Compare: kitaru jobs diff ${job.jobId}`);
  }
  if (command.wait) return await followJob(context, command, job.jobId);
  if (command.output === "json") printItem(io, command.kind, replayJobItem(job));
  return 0;
};
