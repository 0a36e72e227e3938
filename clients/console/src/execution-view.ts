/**
 * One execution: its header and actions (retry, cancel), the checkpoint
 * graph beside a panel (the selected call, the pending waits, the replay
 * composer), and below them its lineage and diff. Followed live with
 * WatchExecution: each event reads the execution again (batched).
 */
import { type Execution, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { executionStatusFromProto, isTerminalStatus } from "#contract/status.ts";
import { CallGraph } from "./call-graph.ts";
import { callDetails, executionDetails } from "./call-details.ts";
import { button, h, replaceChildren } from "./dom.ts";
import { durationMs, durationText, statusBadge, timeText } from "./format.ts";
import { executionHref } from "./executions-list.ts";
import { LineageAndDiff } from "./lineage-diff.ts";
import { ReplayComposer } from "./replay-composer.ts";
import { errorLine, runner } from "./rpc.ts";
import type { View } from "./view.ts";
import { waitsPanel } from "./wait-form.ts";

type Tab = "call" | "waits" | "replay";
const REFRESH_BATCH_MS = 250;
const POLL_MS = 3000;

/**
 * What the call panel shows of `execution`: the selected call's state, or the
 * execution's own when no call is selected. Equal keys, same panel.
 */
function callPanelKey(execution: Execution, selected: string | undefined): string {
  const call = execution.checkpoints.find((c) => c.invocationId === selected);
  if (call === undefined) return `execution:${execution.status}:${execution.updateTime?.seconds ?? ""}:${execution.updateTime?.nanos ?? ""}`;
  return `call:${call.callId}:${call.status}:${call.attempts}:${call.attemptHistory.length}:${call.endTime?.seconds ?? ""}:${call.endTime?.nanos ?? ""}`;
}

/** The view of execution `execId`. */
export function executionView(execId: string): View {
  const abort = new AbortController();
  let execution: Execution | undefined;
  let selected: string | undefined;
  let tab: Tab = "call";
  let composer: ReplayComposer | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let lastStatus = "";
  let lastCallPanel = "";

  const title = h("h1", { class: "mono" }, execId);
  const status = h("span", { class: "cell-status" });
  const facts = h("p", { class: "facts muted" });
  const message = h("p", { class: "message", role: "status" });
  const retryButton = button("Retry", () => act(() => runner.retryExecution({ execId })), { id: "execution-retry" });
  const cancelButton = button("Cancel", () => act(() => runner.cancelExecution({ execId })), { id: "execution-cancel", class: "danger" });
  const graph = new CallGraph((invocationId) => {
    if (tab === "replay" && composer) composer.setFrom(invocationId);
    else select(invocationId);
    graph.setSelected(invocationId);
  });
  const lineage = new LineageAndDiff(execId);
  const panelBody = h("div", { class: "panel-body", role: "tabpanel" });
  const tabs: Record<Tab, HTMLButtonElement> = {
    call: h("button", { type: "button", role: "tab", id: "tab-call" }, "Call"),
    waits: h("button", { type: "button", role: "tab", id: "tab-waits" }, "Waits"),
    replay: h("button", { type: "button", role: "tab", id: "tab-replay" }, "Replay"),
  };
  for (const [name, element] of Object.entries(tabs) as [Tab, HTMLButtonElement][]) element.addEventListener("click", () => show(name));

  async function act(action: () => Promise<unknown>): Promise<void> {
    message.textContent = "";
    try {
      await action();
      await refresh();
    } catch (error) {
      message.textContent = errorLine(error);
    }
  }

  function select(invocationId: string): void {
    selected = invocationId;
    show("call");
  }

  function show(name: Tab): void {
    tab = name;
    for (const [key, element] of Object.entries(tabs)) element.setAttribute("aria-selected", String(key === name));
    renderPanel();
    if (name !== "replay") graph.setMarks(undefined);
  }

  function renderPanel(): void {
    if (!execution) return;
    if (tab === "call") {
      const call = execution.checkpoints.find((c) => c.invocationId === selected);
      replaceChildren(panelBody, call ? callDetails(execution, call) : executionDetails(execution));
      lastCallPanel = callPanelKey(execution, selected);
    } else if (tab === "waits") {
      replaceChildren(panelBody, waitsPanel(execId, execution.pendingWaits, () => void refresh()));
    } else {
      composer ??= new ReplayComposer(execution, {
        onPlan: (marks) => graph.setMarks(marks),
        onReplay: (newExecId) => {
          location.hash = executionHref(newExecId);
        },
      });
      replaceChildren(panelBody, composer.element);
    }
  }

  function renderHeader(e: Execution): void {
    const s = executionStatusFromProto(e.status);
    replaceChildren(status, statusBadge(s));
    const origin = e.replay?.from
      ? h("span", {}, "replay of ", h("a", { href: executionHref(e.originalExecId), class: "mono" }, e.originalExecId), ` from ${e.replay.from}`)
      : e.retryCount
        ? `retried ${e.retryCount}×`
        : "original";
    replaceChildren(facts, `${e.flowName} · `, origin, ` · created ${timeText(e.createTime)} · ${durationText(durationMs(e.createTime, e.endTime))} · ${e.checkpointCount} calls`);
    retryButton.hidden = !(s === "failed" || s === "cancelled");
    cancelButton.hidden = isTerminalStatus(s);
    tabs.waits.textContent = `Waits (${e.pendingWaits.length})`;
  }

  async function refresh(): Promise<void> {
    clearTimeout(refreshTimer);
    try {
      const response = await runner.getExecution({ execId, view: ExecutionView.FULL }, { signal: abort.signal });
      const read = response.execution!;
      // A long execution's calls come in several responses: read on to the last.
      for (let token = read.checkpointsNextPageToken; token !== ""; ) {
        const next = (await runner.getExecution({ execId, view: ExecutionView.FULL, checkpointsPageToken: token }, { signal: abort.signal })).execution!;
        read.checkpoints.push(...next.checkpoints);
        token = next.checkpointsNextPageToken;
      }
      execution = read;
    } catch (error) {
      if (abort.signal.aborted) return;
      message.textContent = errorLine(error);
      return;
    }
    renderHeader(execution);
    graph.setCalls(execution.checkpoints);
    // The panel is redrawn when what it shows may have changed, never under a form being filled in
    // (and a call's logs are read again only when the call itself changed).
    if (tab === "call" && callPanelKey(execution, selected) !== lastCallPanel) renderPanel();
    const statusNow = `${execution.status}:${execution.pendingWaits.map((w) => w.waitId).join(",")}`;
    if (tab === "waits" && statusNow !== lastStatus) renderPanel();
    if (statusNow !== lastStatus) void lineage.refresh();
    lastStatus = statusNow;
  }

  function refreshSoon(): void {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refresh(), REFRESH_BATCH_MS);
  }

  /** Follows the execution until it ends: a watch while one is possible, polling otherwise. */
  async function follow(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        for await (const _event of runner.watchExecution({ execId, followWaits: true }, { signal: abort.signal })) refreshSoon();
      } catch {
        if (abort.signal.aborted) return;
      }
      await refresh();
      if (execution && isTerminalStatus(executionStatusFromProto(execution.status))) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  const element = h(
    "section",
    { class: "execution" },
    h("div", { class: "execution-header" }, status, title, h("span", { class: "spacer" }), retryButton, cancelButton),
    facts,
    message,
    h(
      "div",
      { class: "execution-main" },
      graph.element,
      h("aside", { class: "panel" }, h("div", { class: "tabs", role: "tablist" }, tabs.call, tabs.waits, tabs.replay), panelBody),
    ),
    lineage.element,
  );
  show("call");
  void refresh().then(() => {
    if (execution && execution.pendingWaits.length > 0) show("waits");
    void follow();
  });
  return {
    element,
    dispose() {
      abort.abort();
      clearTimeout(refreshTimer);
    },
  };
}
