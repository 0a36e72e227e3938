/**
 * The executions list: filters by flow and status, pages with page tokens,
 * and refreshes the shown page every few seconds (rows are updated in place,
 * so nothing moves when a status changes).
 */
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { EXECUTION_STATUSES, executionStatusFromProto } from "#contract/status.ts";
import { button, h, headedTable, updateRows } from "./dom.ts";
import { errorLine, runner } from "./rpc.ts";
import { ExecutionsListState, executionHref, originText } from "./state/executions-list.ts";
import { timeText } from "./state/format.ts";
import { statusBadge } from "./value-elements.ts";
import type { View } from "./view.ts";

const REFRESH_MS = 2500;

function row(execution: Execution): HTMLTableRowElement {
  const status = executionStatusFromProto(execution.status);
  return h(
    "tr",
    { "data-exec-id": execution.execId },
    h("td", { class: "cell-status" }, statusBadge(status)),
    h("td", { class: "mono" }, h("a", { href: executionHref(execution.execId) }, execution.execId)),
    h("td", {}, execution.flowName),
    h("td", { class: "num" }, execution.checkpointCount),
    h("td", { class: "mono small" }, originText(execution)),
    h("td", { class: "time" }, timeText(execution.createTime)),
    h("td", { class: "time" }, timeText(execution.updateTime)),
  );
}

/** The list of executions, filtered by the query's `flow` and `status` when given. */
export function executionsList(query: URLSearchParams): View {
  const state = new ExecutionsListState(query);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const flowSelect = h("select", { id: "filter-flow", "aria-label": "Flow" }, h("option", { value: "" }, "all flows"));
  const statusSelect = h(
    "select",
    { id: "filter-status", "aria-label": "Status" },
    h("option", { value: "" }, "any status"),
    ...EXECUTION_STATUSES.map((s) => h("option", { value: s }, s)),
  );
  statusSelect.value = state.status;
  const message = h("p", { class: "message", role: "status" });
  const body = h("tbody");
  const pageLabel = h("span", { class: "page-label" });
  const prevButton = button("← Newer", () => {
    state.newer();
    return load();
  });
  const nextButton = button("Older →", () => {
    state.older();
    return load();
  });

  const filtersChanged = () => {
    history.replaceState(null, "", state.filter(flowSelect.value, statusSelect.value));
    void load();
  };
  flowSelect.addEventListener("change", filtersChanged);
  statusSelect.addEventListener("change", filtersChanged);

  async function load(): Promise<void> {
    clearTimeout(timer);
    try {
      const response = await runner.listExecutions(state.request());
      if (disposed) return;
      state.received(response.nextPageToken);
      render(response.executions);
      message.textContent = response.executions.length === 0 ? "No executions match." : "";
    } catch (error) {
      if (disposed) return;
      message.textContent = errorLine(error);
    }
    prevButton.disabled = !state.hasNewer;
    nextButton.disabled = !state.hasOlder;
    pageLabel.textContent = state.pageLabel;
    if (!disposed) timer = setTimeout(load, REFRESH_MS);
  }

  /** Rows for `executions`, reusing the row of an execution already shown when nothing changed. */
  function render(executions: readonly Execution[]): void {
    updateRows(body, "data-exec-id", executions.map(row));
  }

  void runner.listFlows({}).then(
    (response) => {
      for (const f of response.flows) flowSelect.append(h("option", { value: f.flowName }, f.flowName));
      flowSelect.value = state.flow;
    },
    () => undefined,
  );
  void load();

  const element = h(
    "section",
    { class: "executions-list", "aria-labelledby": "executions-title" },
    h("h1", { id: "executions-title" }, "Executions"),
    h(
      "div",
      { class: "toolbar" },
      h("label", {}, "Flow ", flowSelect),
      h("label", {}, "Status ", statusSelect),
      h("span", { class: "spacer" }),
      prevButton,
      pageLabel,
      nextButton,
    ),
    message,
    headedTable("executions", ["Status", "Execution", "Flow", "Calls", "Origin", "Created", "Updated"], body),
  );
  return {
    element,
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
