/** One call in detail: status, attempts, timing, reuse and override, output, metadata and logs. */
import type { CheckpointCall, Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { callStatusFromProto } from "#contract/status.ts";
import { h, replaceChildren } from "./dom.ts";
import { errorLine, runner } from "./rpc.ts";
import { durationMs, durationText, jsonOf, logLine, timeText } from "./state/format.ts";
import { jsonBlock, statusBadge } from "./value-elements.ts";

function row(label: string, value: Node | string): HTMLElement[] {
  return [h("dt", {}, label), h("dd", {}, value)];
}

/** The details of `call` of `execution`, with its logs loaded after. */
export function callDetails(execution: Execution, call: CheckpointCall): HTMLElement {
  const logs = h("div", { class: "logs" }, h("p", { class: "muted" }, "loading logs…"));
  void runner.listExecutionLogs({ execId: execution.execId, checkpoint: call.callId, pageSize: 200 }).then(
    (response) =>
      replaceChildren(
        logs,
        response.entries.length === 0
          ? h("p", { class: "muted" }, "No log lines.")
          : h("pre", { class: "log-lines" }, response.entries.map(logLine).join("\n")),
      ),
    (error) => replaceChildren(logs, h("p", { class: "form-error" }, errorLine(error))),
  );
  const attempts =
    call.attemptHistory.length > 0
      ? h(
          "ol",
          { class: "attempts" },
          ...call.attemptHistory.map((a) =>
            h(
              "li",
              {},
              `#${a.number} ${durationText(durationMs(a.startTime, a.endTime))}`,
              a.failure ? ` — ${a.failure.exceptionType}: ${a.failure.message}` : "",
            ),
          ),
        )
      : String(call.attempts);
  return h(
    "div",
    { class: "call-details", "data-call": call.invocationId },
    h("h3", {}, call.invocationId, " ", statusBadge(callStatusFromProto(call.status))),
    h(
      "dl",
      {},
      ...row("checkpoint", call.name),
      ...row("call ID", h("span", { class: "mono" }, call.callId)),
      ...row("attempts", attempts),
      ...row("duration", durationText(durationMs(call.startTime, call.endTime))),
      ...row("started", timeText(call.startTime)),
      ...(call.reusedFromCallId ? row("reused from", h("span", { class: "mono" }, call.reusedFromCallId)) : []),
      ...(call.overridden ? row("overridden", jsonBlock(jsonOf(call.overrideValue))) : []),
      ...(call.dataDependencies.length ? row("data from", call.dataDependencies.join(", ")) : []),
      ...(call.loadDependencies.length ? row("loaded after", call.loadDependencies.join(", ")) : []),
    ),
    call.failure ? h("div", { class: "failure" }, h("strong", {}, call.failure.exceptionType || "failure"), ": ", call.failure.message) : null,
    h("h4", {}, "output"),
    jsonBlock(jsonOf(call.output)),
    call.metadata && Object.keys(call.metadata).length > 0 ? h("div", {}, h("h4", {}, "metadata"), jsonBlock(call.metadata)) : null,
    h("h4", {}, "logs"),
    logs,
  );
}

/** The execution as a whole: input, result or failure, metadata. */
export function executionDetails(execution: Execution): HTMLElement {
  return h(
    "div",
    { class: "call-details" },
    h("p", { class: "muted" }, "Select a call on the graph to see it here."),
    h("h4", {}, "input"),
    jsonBlock(execution.input),
    execution.result !== undefined ? h("div", {}, h("h4", {}, "result"), jsonBlock(jsonOf(execution.result))) : null,
    execution.failure ? h("div", { class: "failure" }, h("strong", {}, execution.failure.exceptionType || "failure"), ": ", execution.failure.message) : null,
    execution.metadata && Object.keys(execution.metadata).length > 0 ? h("div", {}, h("h4", {}, "metadata"), jsonBlock(execution.metadata)) : null,
  );
}
