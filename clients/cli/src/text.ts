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
  const lines = ["Kitaru execution", `  Execution ID: ${execution.execId}`, `  Flow: ${execution.flowName}`, `  Status: ${execution.status}`];
  if (execution.originalExecId) lines.push(`  Original execution: ${execution.originalExecId}`);
  if (execution.replay) lines.push(`  Replayed from: ${execution.replay.from}`);
  if (execution.retryCount > 0) lines.push(`  Retries: ${execution.retryCount}`);
  lines.push(`  Started: ${time(execution.createTime)}`, `  Ended: ${time(execution.endTime)}`);
  lines.push(`  Input: ${compactJson(execution.input)}`);
  if (execution.status === "completed") lines.push(`  Result: ${compactJson(execution.result)}`);
  if (execution.pendingWaits.length === 0) lines.push("  Pending waits: none");
  else {
    lines.push(`  Pending waits (${execution.pendingWaits.length}):`);
    for (const wait of execution.pendingWaits) lines.push(`    ${waitLine(wait)}`);
  }
  if (execution.failure) {
    const at = execution.failure.invocationId ? ` at ${execution.failure.invocationId}` : "";
    lines.push(`  Failure: ${execution.failure.origin}${at}: ${failureSummary(execution.failure)}`);
    const divergence = execution.failure.divergence;
    if (divergence) lines.push(`    recorded: ${divergence.recorded}`, `    seen: ${divergence.seen}`);
    if (execution.failure.traceback) lines.push("  Traceback:", ...tracebackLines(execution.failure.traceback));
  }
  if (Object.keys(execution.metadata).length > 0) lines.push(`  Metadata: ${compactJson(execution.metadata)}`);
  const count = Math.max(execution.checkpointCount, execution.checkpoints.length);
  lines.push(`  Checkpoints (${count}):${count === 0 ? " none" : ""}`);
  for (const call of execution.checkpoints) lines.push(...checkpointLines(call));
  return lines;
}

/** The table printed by `list`. */
export function renderExecutionTable(executions: readonly Execution[]): string[] {
  if (executions.length === 0) return ["No executions found."];
  const header = ["ID", "FLOW", "STATUS", "STARTED", "ORIGINAL"];
  const rows = [header, ...executions.map((e) => [e.execId, e.flowName, e.status, time(e.createTime), e.originalExecId || "-"])];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

const names = (calls: readonly { invocationId: string }[]): string => (calls.length === 0 ? "none" : calls.map((c) => c.invocationId).join(", "));

/** The dry-run report printed by `replay --plan`. */
export function renderPlan(plan: ReplayPlan): string[] {
  const from = plan.fromCall ? `${plan.fromCall.invocationId} (${plan.fromCall.callId})` : plan.from;
  const lines = [
    `Replay plan for execution ${plan.sourceExecId} (flow ${plan.flowName})`,
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
  lines.push(`  Input: ${compactJson(plan.input)}`, "Nothing was created (dry run). Run without --plan to replay.");
  return lines;
}

/** What a finished replay reused and re-executed, from its checkpoint calls. */
export function renderReplaySummary(execution: Execution): string[] {
  const reused = execution.checkpoints.filter((c) => c.status === "reused");
  const ran = execution.checkpoints.filter((c) => c.status !== "reused");
  return [`  Reused (${reused.length}): ${names(reused)}`, `  Re-executed (${ran.length}): ${names(ran)}`];
}
