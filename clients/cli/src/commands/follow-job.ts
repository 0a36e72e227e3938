/**
 * Following a replay job to its end: `kitaru jobs watch` and
 * `kitaru executions replay --flow ... --wait`.
 *
 * @module
 */
import type { ReplayJob } from "../../../ts/src/index.ts";
import { printEventLine } from "../output.ts";
import type { CommandName, OutputFormat } from "../parse-args.ts";
import { jobExitCode, jobSourceItem, progressLine, renderSources, replayJobItem } from "../replay-job-output.ts";
import type { CommandContext } from "./context.ts";

/**
 * Prints a progress line (text) whenever the totals change, or one
 * `{"command", "event": {"job", "items"}}` JSON line per report, until the
 * job ends; then, in text, the table of sources and replays. Resolves to 1
 * when a replay failed or a source was refused.
 */
export async function followJob(context: CommandContext, command: { kind: CommandName; output: OutputFormat }, jobId: string): Promise<number> {
  const { io, client } = context;
  let last: ReplayJob | undefined;
  let lastLine = "";
  for await (const report of client.replayJobs.watch(jobId)) {
    last = report.job;
    if (command.output === "json") {
      printEventLine(io, command.kind, { job: replayJobItem(report.job), items: report.items.map(jobSourceItem) });
      continue;
    }
    const line = progressLine(report.job);
    if (line !== lastLine) io.out(line);
    lastLine = line;
  }
  if (last === undefined) return 0;
  if (command.output === "text") for (const line of renderSources(await client.replayJobs.items(jobId))) io.out(line);
  return jobExitCode(last);
}
