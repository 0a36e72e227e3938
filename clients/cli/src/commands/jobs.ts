/**
 * `kitaru jobs get|list|diff|cancel|watch`: replay jobs.
 *
 * @module
 */
import { replayJobTotalsLine } from "../../../ts/src/index.ts";
import { printItem, printItems } from "../output.ts";
import { jobExitCode, jobSourceItem, renderJob, renderSources, replayJobItem } from "../replay-job-output.ts";
import type { CommandRunner } from "./context.ts";
import { followJob } from "./follow-job.ts";

/** Prints a job (text) or `{"command": "jobs.get", "item"}`. */
export const runJobsGet: CommandRunner<"jobs.get"> = async (command, { io, client }) => {
  const job = await client.replayJobs.get(command.jobId);
  if (command.output === "json") printItem(io, command.kind, replayJobItem(job));
  else for (const line of renderJob(job)) io.out(line);
  return 0;
};

/** Prints the newest jobs as a table (text) or `{"command": "jobs.list", "items", "count"}`. */
export const runJobsList: CommandRunner<"jobs.list"> = async (command, { io, client }) => {
  const jobs = await client.replayJobs.list({ limit: command.limit });
  if (command.output === "json") {
    printItems(io, command.kind, jobs.map(replayJobItem));
    return 0;
  }
  if (jobs.length === 0) {
    io.out("No replay jobs.");
    return 0;
  }
  const idWidth = Math.max(3, ...jobs.map((job) => job.jobId.length));
  io.out(`${"JOB".padEnd(idWidth)}  ${"STATE".padEnd(9)}  ${"CREATED".padEnd(24)}  TOTALS`);
  for (const job of jobs) {
    io.out(`${job.jobId.padEnd(idWidth)}  ${job.state.padEnd(9)}  ${(job.createTime?.toISOString() ?? "").padEnd(24)}  ${replayJobTotalsLine(job.totals)}`);
  }
  return 0;
};

/** Prints each source → replay with the comparison, then the totals; exit 1 when a replay failed or a source was refused. */
export const runJobsDiff: CommandRunner<"jobs.diff"> = async (command, { io, client }) => {
  const [job, items] = await Promise.all([client.replayJobs.get(command.jobId), client.replayJobs.items(command.jobId, { changedOnly: command.changedOnly })]);
  if (command.output === "json") {
    printItem(io, command.kind, { job: replayJobItem(job), items: items.map(jobSourceItem) });
  } else {
    for (const line of renderSources(items)) io.out(line);
    io.out("");
    io.out(`${job.jobId} (${job.state}): ${replayJobTotalsLine(job.totals)}`);
  }
  return jobExitCode(job);
};

/** Cancels the job and prints it. */
export const runJobsCancel: CommandRunner<"jobs.cancel"> = async (command, { io, client }) => {
  const job = await client.replayJobs.cancel(command.jobId);
  if (command.output === "json") printItem(io, command.kind, replayJobItem(job));
  else for (const line of renderJob(job)) io.out(line);
  return 0;
};

/** Follows the job to its end. */
export const runJobsWatch: CommandRunner<"jobs.watch"> = async (command, context) => await followJob(context, command, command.jobId);
