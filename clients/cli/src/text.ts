/**
 * Text renderings of executions, execution lists and replay plans.
 *
 * @module
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { CheckpointCall, Execution, ReplayPlan, Wait } from "../../ts/src/index.ts";
import { failureSummary } from "./progress.ts";

const MAX_VALUE_CHARS = 200;

/** A JSON value on one line, cut at 200 characters. */
export function compactJson(value: JsonValue | undefined): string {
  const text = value === undefined ? "null" : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

const time = (date: Date | undefined): string => (date === undefined ? "-" : date.toISOString());

/** Stack trace lines shown by `get`; the rest is in `-o json`. */
const MAX_TRACEBACK_LINES = 20;

function checkpointLines(call: CheckpointCall): string[] {
  const marks: string[] = [];
  if (call.status === "reused") marks.push(`reused from ${call.reusedFromCallId || "source"}`);
  else marks.push(call.status);
  if (call.attempts > 1) marks.push(`${call.attempts} attempts`);
  if (call.overridden) marks.push(`output overridden with ${compactJson(call.overrideValue)}`);
  if (call.status === "failed") marks.push(failureSummary(call.failure));
  const lines = [`    ${call.invocationId}  (${marks.join(", ")})`];
  if (Object.keys(call.metadata).length > 0) lines.push(`      metadata: ${compactJson(call.metadata)}`);
  // Earlier attempts' errors (the last one is the call's own failure, shown above).
  const failedEarlier = call.attemptHistory.filter((a) => a.failure !== undefined && a.number < call.attempts);
  for (const attempt of failedEarlier) lines.push(`      attempt ${attempt.number} failed: ${failureSummary(attempt.failure)}`);
  return lines;
}

function tracebackLines(traceback: string): string[] {
  const lines = traceback.split("\n");
  const shown = lines.slice(0, MAX_TRACEBACK_LINES).map((line) => `    ${line}`);
  if (lines.length > MAX_TRACEBACK_LINES) shown.push(`    … ${lines.length - MAX_TRACEBACK_LINES} more lines (see -o json)`);
  return shown;
}

/** `approve (w-123): Publish the draft?` */
export function waitLine(wait: Wait): string {
  return `${wait.name} (${wait.waitId})${wait.question ? `: ${wait.question}` : ""}`;
}

/** The snapshot of one execution printed by `get` and `latest`. */
export function renderExecution(execution: Execution): string[] {
  const lines = ["Kitaru execution", `  Execution ID: ${execution.execId}`, `  Flow: ${execution.flowName}`, `  Status: ${statusText(execution)}`];
  lines.push(...versionLines(execution));
  if (execution.originalExecId) lines.push(`  Original execution: ${execution.originalExecId}`);
  if (execution.replay) lines.push(`  Replayed from: ${execution.replay.from}`);
  const fromSource = execution.replay?.answerWaitsFromSource ?? [];
  if (fromSource.length > 0) lines.push(`  Waits answered from the source: ${fromSource.join(", ")}`);
  if (execution.retryCount > 0) lines.push(`  Retries: ${execution.retryCount}`);
  lines.push(`  Started: ${time(execution.createTime)}`, `  Ended: ${time(execution.endTime)}`);
  lines.push(`  Input: ${compactJson(execution.input)}`);
  if (execution.status === "completed") lines.push(`  Result: ${compactJson(execution.result)}`);
  if (execution.pendingWaits.length === 0) lines.push("  Pending waits: none");
  else {
    lines.push(`  Pending waits (${execution.pendingWaits.length}):`);
    for (const wait of execution.pendingWaits) {
      lines.push(`    ${waitLine(wait)}`);
      const note = execution.waits.find((w) => w.waitId === wait.waitId)?.sourceAnswerNote ?? wait.sourceAnswerNote;
      if (note) lines.push(`      ${note}`);
    }
  }
  for (const wait of execution.waits) if (wait.answeredBy) lines.push(`  Wait ${wait.name}: answered, ${wait.answeredBy}`);
  if (execution.failure) {
    const at = execution.failure.invocationId ? ` at ${execution.failure.invocationId}` : "";
    lines.push(`  Failure: ${execution.failure.origin}${at}: ${failureSummary(execution.failure)}`);
    const divergence = execution.failure.divergence;
    if (divergence) lines.push(`    recorded: ${divergence.recorded}`, `    seen: ${divergence.seen}`);
    if (divergence?.replayCommand) lines.push(`    to continue it on the new code: ${divergence.replayCommand}`);
    if (execution.failure.traceback) lines.push("  Traceback:", ...tracebackLines(execution.failure.traceback));
  }
  if (Object.keys(execution.metadata).length > 0) lines.push(`  Metadata: ${compactJson(execution.metadata)}`);
  const count = Math.max(execution.checkpointCount, execution.checkpoints.length);
  lines.push(`  Checkpoints (${count}):${count === 0 ? " none" : ""}`);
  for (const call of execution.checkpoints) lines.push(...checkpointLines(call));
  return lines;
}

/** The status, with what a held execution waits for. */
function statusText(execution: Execution): string {
  const hold = execution.versionHold;
  return hold === undefined ? execution.status : `${execution.status} (waiting for a runner of flow version ${hold.requiredFlowVersion})`;
}

/** The flow versions that started and ran an execution, and a version hold with what to do about it. */
function versionLines(execution: Execution): string[] {
  const lines: string[] = [];
  const runs = execution.flowVersionRuns.map((run) => run.flowVersion);
  if (execution.flowVersion !== "" || runs.length > 0) {
    const ran = runs.length > 1 || (runs.length === 1 && runs[0] !== execution.flowVersion) ? ` (ran on ${runs.join(" → ")})` : "";
    lines.push(`  Flow version: ${execution.flowVersion || "unknown"}${ran}`);
  }
  const hold = execution.versionHold;
  if (hold === undefined) return lines;
  const d = hold.divergence;
  lines.push(`  Held for flow version ${hold.requiredFlowVersion} since ${time(hold.createTime)}:`);
  if (d !== undefined) {
    lines.push(
      `    flow version ${d.flowVersion ?? "(unknown)"} diverged at '${d.invocationId}' (${d.kind.replaceAll("_", " ")})`,
      `    recorded: ${d.recorded}`,
      `    seen: ${d.seen}`,
    );
    if (d.replayCommand !== undefined) lines.push(`    to continue it on the new code: ${d.replayCommand}`);
  }
  lines.push(`    or start a runner of flow version ${hold.requiredFlowVersion} to finish it as recorded`);
  return lines;
}

/** The table printed by `list`. */
export function renderExecutionTable(executions: readonly Execution[]): string[] {
  if (executions.length === 0) return ["No executions found."];
  const header = ["ID", "FLOW", "STATUS", "VERSION", "STARTED", "ORIGINAL"];
  const rows = [
    header,
    ...executions.map((e) => [
      e.execId,
      e.flowName,
      e.versionHold === undefined ? e.status : `${e.status} (held for ${e.versionHold.requiredFlowVersion})`,
      e.flowVersionRuns.at(-1)?.flowVersion || e.flowVersion || "-",
      time(e.createTime),
      e.originalExecId || "-",
    ]),
  ];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

const names = (calls: readonly { invocationId: string }[]): string => (calls.length === 0 ? "none" : calls.map((c) => c.invocationId).join(", "));

/** "source vs new" flow versions in words. */
function versionChange(source: string, replay: string): string {
  if (source === replay) return `${replay || "unknown"} (unchanged)`;
  return `${source || "unknown"} (source) → ${replay || "unknown"} (replay): code version changed`;
}

/** The dry-run report printed by `replay --plan`. */
export function renderPlan(plan: ReplayPlan): string[] {
  const from = plan.fromCall ? `${plan.fromCall.invocationId} (${plan.fromCall.callId})` : plan.from;
  const lines = [
    `Replay plan for execution ${plan.sourceExecId} (flow ${plan.flowName})`,
    `  Flow version: ${versionChange(plan.sourceFlowVersion, plan.flowVersion)}`,
    `  From: ${plan.from} → ${from}`,
    `  Roots: ${names(plan.roots)}`,
    `  Re-execute (${plan.reexecute.length}): ${names(plan.reexecute)}`,
    `  Reuse (${plan.reuse.length}): ${names(plan.reuse)}`,
  ];
  if (plan.overrides.length === 0) lines.push("  Overrides: none");
  else {
    lines.push("  Overrides:");
    for (const o of plan.overrides) {
      const target = o.target.invocationId || o.selector;
      lines.push(`    ${o.key} → ${target}, consumers: ${o.consumerInvocationIds.join(", ") || "none"}, value: ${compactJson(o.value)}`);
    }
  }
  const fromSource = plan.answerWaitsFromSource.length === 0 ? "none (every wait asks again)" : plan.answerWaitsFromSource.join(", ");
  lines.push(`  Waits answered from the source: ${fromSource}`);
  lines.push(`  Input: ${compactJson(plan.input)}`, "Nothing was created (dry run). Run without --plan to replay.");
  return lines;
}

/** What a finished replay reused and re-executed, from its checkpoint calls. */
export function renderReplaySummary(execution: Execution): string[] {
  const reused = execution.checkpoints.filter((c) => c.status === "reused");
  const ran = execution.checkpoints.filter((c) => c.status !== "reused");
  return [`  Reused (${reused.length}): ${names(reused)}`, `  Re-executed (${ran.length}): ${names(ran)}`];
}
