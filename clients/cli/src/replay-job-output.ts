/**
 * How the CLI shows replay jobs: snake_case JSON items (`-o json`) and text
 * (a job's summary, its progress line, the table of sources and replays).
 *
 * @module
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { type ReplayJob, type ReplayJobItem, replayJobTotalsLine } from "../../ts/src/index.ts";
import { planItem } from "./items.ts";
import { changeItem, changeLine } from "./json-changes.ts";

const iso = (date: Date | undefined): string | null => (date === undefined ? null : date.toISOString());

/** A job as a JSON item. */
export function replayJobItem(job: ReplayJob): JsonObject {
  return {
    job_id: job.jobId || null,
    request_id: job.requestId || null,
    state: job.state,
    selection: {
      flow_name: job.selection.flow || null,
      statuses: [...job.selection.statuses],
      since: iso(job.selection.since),
      until: iso(job.selection.until),
      labels: { ...job.selection.labels },
      exec_ids: [...job.selection.execIds],
      limit: job.selection.limit || null,
    },
    from: job.from,
    args: (job.args ?? null) as JsonObject | null,
    overrides: (job.overrides ?? null) as JsonObject | null,
    answer_waits_from_source: [...job.answerWaitsFromSource],
    plan_only: job.planOnly,
    concurrency: job.concurrency || null,
    source_exec_ids: [...job.sourceExecIds],
    totals: {
      sources: job.totals.sources,
      pending: job.totals.pending,
      running: job.totals.running,
      completed: job.totals.completed,
      failed: job.totals.failed,
      cancelled: job.totals.cancelled,
      waiting: job.totals.waiting,
      refused: job.totals.refused,
      skipped: job.totals.skipped,
      planned: job.totals.planned,
      results_changed: job.totals.resultsChanged,
    },
    summary: replayJobTotalsLine(job.totals),
    create_time: iso(job.createTime),
    cancel_time: iso(job.cancelTime),
    end_time: iso(job.endTime),
  };
}

/** One source of a job, with its replay and the comparison, as a JSON item. */
export function jobSourceItem(item: ReplayJobItem): JsonObject {
  return {
    index: item.index,
    source_exec_id: item.sourceExecId,
    state: item.state,
    replay_exec_id: item.replayExecId || null,
    replay_status: item.replayStatus ?? null,
    error: item.error === undefined ? null : { message: item.error.message, type: item.error.name },
    result_changed: item.resultChanged,
    result_changes: item.resultChanges.map(changeItem),
    reused_calls: item.reusedCalls,
    reexecuted_calls: item.reexecutedCalls,
    changed_calls: item.changedCalls,
    new_calls: item.newCalls,
    plan: item.plan === undefined ? null : planItem(item.plan),
  };
}

/** A job in a few lines: ID, state, what it replays, the totals. */
export function renderJob(job: ReplayJob): string[] {
  const picked = [
    job.selection.flow ? `flow ${job.selection.flow}` : "",
    job.selection.statuses.length > 0 ? `status ${job.selection.statuses.join("|")}` : "",
    job.selection.since ? `since ${job.selection.since.toISOString()}` : "",
    job.selection.until ? `until ${job.selection.until.toISOString()}` : "",
    ...Object.entries(job.selection.labels).map(([key, value]) => `label ${key}=${value}`),
    job.selection.execIds.length > 0 ? `${job.selection.execIds.length} ID(s)` : "",
    job.selection.limit ? `limit ${job.selection.limit}` : "",
  ].filter((part) => part !== "");
  const lines = [
    `Replay job: ${job.jobId || "(plan only, not stored)"}`,
    `  State: ${job.state}`,
    `  Selected: ${job.sourceExecIds.length} execution${job.sourceExecIds.length === 1 ? "" : "s"} (${picked.join(", ")})`,
    `  From: ${job.from}`,
  ];
  if (job.args !== undefined) lines.push(`  Args: ${JSON.stringify(job.args)}`);
  if (job.overrides !== undefined) lines.push(`  Overrides: ${JSON.stringify(job.overrides)}`);
  lines.push(`  Totals: ${replayJobTotalsLine(job.totals)}`);
  if (job.createTime) lines.push(`  Created: ${job.createTime.toISOString()}`);
  if (job.cancelTime) lines.push(`  Cancelled: ${job.cancelTime.toISOString()}`);
  if (job.endTime && !job.planOnly) lines.push(`  Ended: ${job.endTime.toISOString()}`);
  return lines;
}

/** The live progress line: `[12/50] 10 completed, 2 running, 0 results changed`. */
export function progressLine(job: ReplayJob): string {
  const done = job.totals.sources - job.totals.pending - job.totals.running;
  return `[${done}/${job.totals.sources}] ${replayJobTotalsLine(job.totals)}${job.state === "running" ? "" : ` (${job.state})`}`;
}

/** What a source came to, in a word or two. */
function outcome(item: ReplayJobItem): string {
  if (item.state === "settled") return item.replayStatus ?? "settled";
  if (item.state === "started") return "running";
  return item.state;
}

/** The table of sources and replays, each followed by its result changes or its error. */
export function renderSources(items: readonly ReplayJobItem[]): string[] {
  const idWidth = Math.max(6, ...items.map((i) => i.sourceExecId.length));
  const replayWidth = Math.max(6, ...items.map((i) => i.replayExecId.length));
  const lines = [`${"SOURCE".padEnd(idWidth)}  ${"REPLAY".padEnd(replayWidth)}  ${"STATUS".padEnd(9)}  ${"RESULT".padEnd(9)}  CALLS`];
  for (const item of items) {
    const result = item.state === "settled" ? (item.resultChanged ? "changed" : "same") : "";
    const calls =
      item.state === "settled"
        ? `${item.reusedCalls} reused, ${item.reexecutedCalls} re-run, ${item.changedCalls} changed${item.newCalls > 0 ? `, ${item.newCalls} new` : ""}`
        : item.plan
          ? `${item.plan.reuse.length} to reuse, ${item.plan.reexecute.length} to re-run`
          : "";
    lines.push(
      `${item.sourceExecId.padEnd(idWidth)}  ${(item.replayExecId || "-").padEnd(replayWidth)}  ${outcome(item).padEnd(9)}  ${result.padEnd(9)}  ${calls}`.trimEnd(),
    );
    const indent = " ".repeat(idWidth + 2);
    if (item.error) lines.push(`${indent}${item.error.name}: ${item.error.message}`);
    if (item.replayFailure) lines.push(`${indent}failed: ${item.replayFailure.message}`);
    for (const change of item.resultChanges) lines.push(`${indent}result ${changeLine(change)}`);
  }
  return lines;
}

/** Exit code of a job's outcome: 1 when a replay failed or a source was refused. */
export function jobExitCode(job: ReplayJob): number {
  return job.totals.failed > 0 || job.totals.refused > 0 ? 1 : 0;
}
