/**
 * `kitaru executions diff <base> <other>`: two executions compared call by
 * call, with what changed in what the flow saw.
 *
 * @module
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { CallComparisonKind, ExecutionComparison } from "../../../ts/src/index.ts";
import { changeItem, changeLine } from "../json-changes.ts";
import { printItem } from "../output.ts";
import type { CommandRunner } from "./context.ts";

const KIND_LABEL: Readonly<Record<CallComparisonKind, string>> = {
  reused: "reused",
  same_output: "same output",
  changed_output: "changed output",
  overridden: "overridden",
  new: "new",
  not_reached: "not reached",
};

/** The comparison as JSON. */
function comparisonItem(comparison: ExecutionComparison): JsonObject {
  return {
    base_exec_id: comparison.baseExecId,
    other_exec_id: comparison.otherExecId,
    calls: comparison.calls.map((call) => ({
      invocation_id: call.invocationId,
      name: call.name,
      kind: call.kind,
      base_call_id: call.base?.callId ?? null,
      other_call_id: call.other?.callId ?? null,
      base_status: call.base?.status ?? null,
      other_status: call.other?.status ?? null,
      changes: call.changes.map(changeItem),
    })),
    input_changes: comparison.inputChanges.map(changeItem),
    result_changes: comparison.resultChanges.map(changeItem),
    counts: { ...comparison.counts },
    base_flow_version: comparison.baseFlowVersion || null,
    other_flow_version: comparison.otherFlowVersion || null,
    code_version_changed: comparison.baseFlowVersion !== comparison.otherFlowVersion,
  };
}

/** The comparison as text: a table of calls, then input, result and counts. */
function renderComparison(comparison: ExecutionComparison): string[] {
  const lines = [`${comparison.otherExecId} compared with ${comparison.baseExecId} (base)`];
  const [base, other] = [comparison.baseFlowVersion || "unknown", comparison.otherFlowVersion || "unknown"];
  lines.push(base === other ? `flow version: ${base} (same code)` : `flow version: ${base} → ${other} (code version changed)`, "");
  const idWidth = Math.max(4, ...comparison.calls.map((c) => c.invocationId.length));
  const kindWidth = Math.max(...Object.values(KIND_LABEL).map((l) => l.length));
  lines.push(`${"CALL".padEnd(idWidth)}  ${"KIND".padEnd(kindWidth)}  CHANGES`);
  for (const call of comparison.calls) {
    const [first, ...rest] = call.changes.map(changeLine);
    const status =
      call.kind === "changed_output" && call.other !== undefined && call.base !== undefined && call.other.status !== call.base.status
        ? `${call.base.status} → ${call.other.status}`
        : "";
    lines.push(`${call.invocationId.padEnd(idWidth)}  ${KIND_LABEL[call.kind].padEnd(kindWidth)}  ${first ?? status}`.trimEnd());
    for (const more of rest) lines.push(`${" ".repeat(idWidth + kindWidth + 4)}${more}`);
  }
  lines.push("");
  lines.push(comparison.inputChanges.length === 0 ? "input: same" : `input: ${comparison.inputChanges.map(changeLine).join("; ")}`);
  lines.push(comparison.resultChanges.length === 0 ? "result: same (or not both completed)" : `result: ${comparison.resultChanges.map(changeLine).join("; ")}`);
  const counts = Object.entries(comparison.counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${KIND_LABEL[kind as CallComparisonKind]}`);
  lines.push(`${comparison.calls.length} call${comparison.calls.length === 1 ? "" : "s"}: ${counts.join(", ") || "none"}`);
  return lines;
}

/** Prints the comparison (text) or `{"command": "executions.diff", "item"}`. */
export const runExecutionsDiff: CommandRunner<"executions.diff"> = async (command, { io, client }) => {
  const comparison = await client.executions.compare(command.baseExecId, command.otherExecId);
  if (command.output === "json") printItem(io, command.kind, comparisonItem(comparison));
  else for (const line of renderComparison(comparison)) io.out(line);
  return 0;
};
