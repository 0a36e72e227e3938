/**
 * One execution: its header and actions (retry, cancel), the checkpoint
 * graph beside a panel (the selected call, the pending waits, the replay
 * composer), and below them its lineage and diff. Followed live with
 * WatchExecution: each event reads the execution again (batched).
 */
import { type Execution, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { CallGraph } from "./call-graph.ts";
import { callDetails, executionDetails } from "./call-details.ts";
import { button, h, replaceChildren } from "./dom.ts";
import { executionVersions, versionHoldBanner } from "./flow-version.ts";
import { LineageAndDiff } from "./lineage-diff.ts";
import { ReplayComposer } from "./replay-composer.ts";
import { errorLine, runner } from "./rpc.ts";
import { ended, ExecutionPageState, followExecution, header, type Tab } from "./state/execution-page.ts";
import { executionHref } from "./state/executions-list.ts";
import { durationMs, durationText, timeText } from "./state/format.ts";
import { statusBadge } from "./value-elements.ts";
import type { View } from "./view.ts";
import { waitsPanel } from "./wait-form.ts";

const REFRESH_BATCH_MS = 250;
const POLL_MS = 3000;

/** The view of execution `execId`; `diff` scrolls to its diff once it is drawn. */
export function executionView(execId: string, options: { readonly diff?: boolean } = {}): View {
  const abort = new AbortController();
  const state = new ExecutionPageState();
  let execution: Execution | undefined;
  let composer: ReplayComposer | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let scrollToDiff = options.diff === true;

  const title = h("h1", { class: "mono" }, execId);
  const status = h("span", { class: "cell-status" });
  const facts = h("p", { class: "facts muted" });
  const hold = h("div", { class: "hold-slot" });
  const message = h("p", { class: "message", role: "status" });
  const retryButton = button("Retry", () => act(() => runner.retryExecution({ execId })), { id: "execution-retry" });
  const cancelButton = button("Cancel", () => act(() => runner.cancelExecution({ execId })), { id: "execution-cancel", class: "danger" });
  const graph = new CallGraph((invocationId) => {
    if (state.graphClick(invocationId) === "replay-from") composer?.setFrom(invocationId);
    else show("call");
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

  function show(name: Tab): void {
    state.tab = name;
    for (const [key, element] of Object.entries(tabs)) element.setAttribute("aria-selected", String(key === name));
    renderPanel();
    if (name !== "replay") graph.setMarks(undefined);
  }

  function renderPanel(): void {
    if (!execution) return;
    if (state.tab === "call") {
      const call = execution.checkpoints.find((c) => c.invocationId === state.selected);
      replaceChildren(panelBody, call ? callDetails(execution, call) : executionDetails(execution));
      state.callPanelDrawn(execution);
    } else if (state.tab === "waits") {
      replaceChildren(
        panelBody,
        waitsPanel(execId, execution.pendingWaits, () => void refresh()),
      );
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
    const shown = header(e);
    replaceChildren(status, statusBadge(shown.status));
    const { origin } = shown;
    const originElement =
      origin.kind === "replay"
        ? h("span", {}, "replay of ", h("a", { href: executionHref(origin.source), class: "mono" }, origin.source), ` from ${origin.from}`)
        : origin.kind === "retried"
          ? `retried ${origin.times}×`
          : "original";
    replaceChildren(
      facts,
      `${e.flowName} · `,
      originElement,
      ` · created ${timeText(e.createTime)} · ${durationText(durationMs(e.createTime, e.endTime))} · ${e.checkpointCount} calls · `,
      executionVersions(e),
    );
    replaceChildren(hold, versionHoldBanner(e));
    retryButton.hidden = !shown.canRetry;
    cancelButton.hidden = !shown.canCancel;
    tabs.waits.textContent = shown.waitsLabel;
  }

  async function refresh(): Promise<void> {
    clearTimeout(refreshTimer);
    let read: Execution | undefined;
    try {
      read = (await runner.getExecution({ execId, view: ExecutionView.FULL }, { signal: abort.signal })).execution;
      // A long execution's calls come in several responses: read on to the last.
      for (let token = read?.checkpointsNextPageToken ?? ""; read !== undefined && token !== ""; ) {
        const next = (await runner.getExecution({ execId, view: ExecutionView.FULL, checkpointsPageToken: token }, { signal: abort.signal })).execution;
        if (next === undefined) break;
        read.checkpoints.push(...next.checkpoints);
        token = next.checkpointsNextPageToken;
      }
    } catch (error) {
      if (abort.signal.aborted) return;
      message.textContent = errorLine(error);
      return;
    }
    if (read === undefined) return;
    execution = read;
    renderHeader(execution);
    graph.setCalls(execution.checkpoints);
    // The panel is redrawn when what it shows may have changed, never under a form being filled in
    // (and a call's logs are read again only when the call itself changed).
    const redraw = state.received(execution);
    if (redraw.panel) renderPanel();
    if (redraw.lineage) {
      void lineage.refresh().then(() => {
        if (scrollToDiff) lineage.element.scrollIntoView({ block: "start" });
        scrollToDiff = false;
      });
    }
  }

  function refreshSoon(): void {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refresh(), REFRESH_BATCH_MS);
  }

  /** Follows the execution until it ends (state/execution-page.ts). */
  function follow(): Promise<void> {
    return followExecution(
      {
        watch: () => runner.watchExecution({ execId, followWaits: true }, { signal: abort.signal }),
        changed: refreshSoon,
        read: refresh,
        ended: () => execution !== undefined && ended(execution),
        pause: () => new Promise((resolve) => setTimeout(resolve, POLL_MS)),
      },
      abort.signal,
    );
  }

  const element = h(
    "section",
    { class: "execution" },
    h("div", { class: "execution-header" }, status, title, h("span", { class: "spacer" }), retryButton, cancelButton),
    facts,
    hold,
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
