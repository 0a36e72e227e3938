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
  return new ExecutionPage(execId, options.diff === true);
}

/** The execution page: its elements, the execution last read, and what redraws them. */
class ExecutionPage implements View {
  readonly element: HTMLElement;
  readonly #execId: string;
  readonly #abort = new AbortController();
  readonly #state = new ExecutionPageState();
  #execution: Execution | undefined;
  #composer: ReplayComposer | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Scroll to the diff once it is first drawn (`#/executions/<id>?diff`). */
  #scrollToDiff: boolean;

  readonly #status = h("span", { class: "cell-status" });
  readonly #facts = h("p", { class: "facts muted" });
  readonly #hold = h("div", { class: "hold-slot" });
  readonly #message = h("p", { class: "message", role: "status" });
  readonly #retryButton: HTMLButtonElement;
  readonly #cancelButton: HTMLButtonElement;
  readonly #graph: CallGraph;
  readonly #lineage: LineageAndDiff;
  readonly #panelBody = h("div", { class: "panel-body", role: "tabpanel" });
  readonly #tabs: Record<Tab, HTMLButtonElement> = {
    call: h("button", { type: "button", role: "tab", id: "tab-call" }, "Call"),
    waits: h("button", { type: "button", role: "tab", id: "tab-waits" }, "Waits"),
    replay: h("button", { type: "button", role: "tab", id: "tab-replay" }, "Replay"),
  };

  constructor(execId: string, scrollToDiff: boolean) {
    this.#execId = execId;
    this.#scrollToDiff = scrollToDiff;
    this.#retryButton = button("Retry", () => this.#act(() => runner.retryExecution({ execId })), { id: "execution-retry" });
    this.#cancelButton = button("Cancel", () => this.#act(() => runner.cancelExecution({ execId })), { id: "execution-cancel", class: "danger" });
    this.#graph = new CallGraph((invocationId) => this.#graphClicked(invocationId));
    this.#lineage = new LineageAndDiff(execId);
    for (const [name, tab] of Object.entries(this.#tabs) as [Tab, HTMLButtonElement][]) tab.addEventListener("click", () => this.#show(name));
    this.element = this.#layout();
    this.#show("call");
    void this.#refresh().then(() => {
      if (this.#execution && this.#execution.pendingWaits.length > 0) this.#show("waits");
      void this.#follow();
    });
  }

  dispose(): void {
    this.#abort.abort();
    clearTimeout(this.#refreshTimer);
  }

  #layout(): HTMLElement {
    const { call, waits, replay } = this.#tabs;
    return h(
      "section",
      { class: "execution" },
      h(
        "div",
        { class: "execution-header" },
        this.#status,
        h("h1", { class: "mono" }, this.#execId),
        h("span", { class: "spacer" }),
        this.#retryButton,
        this.#cancelButton,
      ),
      this.#facts,
      this.#hold,
      this.#message,
      h(
        "div",
        { class: "execution-main" },
        this.#graph.element,
        h("aside", { class: "panel" }, h("div", { class: "tabs", role: "tablist" }, call, waits, replay), this.#panelBody),
      ),
      this.#lineage.element,
    );
  }

  #graphClicked(invocationId: string): void {
    if (this.#state.graphClick(invocationId) === "replay-from") this.#composer?.setFrom(invocationId);
    else this.#show("call");
    this.#graph.setSelected(invocationId);
  }

  async #act(action: () => Promise<unknown>): Promise<void> {
    this.#message.textContent = "";
    try {
      await action();
      await this.#refresh();
    } catch (error) {
      this.#message.textContent = errorLine(error);
    }
  }

  #show(name: Tab): void {
    this.#state.tab = name;
    for (const [key, tab] of Object.entries(this.#tabs)) tab.setAttribute("aria-selected", String(key === name));
    this.#renderPanel();
    if (name !== "replay") this.#graph.setMarks(undefined);
  }

  #renderPanel(): void {
    const execution = this.#execution;
    if (!execution) return;
    if (this.#state.tab === "call") {
      const call = execution.checkpoints.find((c) => c.invocationId === this.#state.selected);
      replaceChildren(this.#panelBody, call ? callDetails(execution, call) : executionDetails(execution));
      this.#state.callPanelDrawn(execution);
    } else if (this.#state.tab === "waits") {
      const answered = execution.waits.filter((w) => w.answeredBy !== "");
      replaceChildren(
        this.#panelBody,
        waitsPanel(this.#execId, execution.pendingWaits, () => void this.#refresh(), answered),
      );
    } else {
      this.#composer ??= new ReplayComposer(execution, {
        onPlan: (marks) => this.#graph.setMarks(marks),
        onReplay: (newExecId) => {
          location.hash = executionHref(newExecId);
        },
      });
      replaceChildren(this.#panelBody, this.#composer.element);
    }
  }

  #renderHeader(e: Execution): void {
    const shown = header(e);
    replaceChildren(this.#status, statusBadge(shown.status));
    const { origin } = shown;
    const originElement =
      origin.kind === "replay"
        ? h("span", {}, "replay of ", h("a", { href: executionHref(origin.source), class: "mono" }, origin.source), ` from ${origin.from}`)
        : origin.kind === "retried"
          ? `retried ${origin.times}×`
          : "original";
    replaceChildren(
      this.#facts,
      `${e.flowName} · `,
      originElement,
      ` · created ${timeText(e.createTime)} · ${durationText(durationMs(e.createTime, e.endTime))} · ${e.checkpointCount} calls · `,
      executionVersions(e),
    );
    replaceChildren(this.#hold, versionHoldBanner(e));
    this.#retryButton.hidden = !shown.canRetry;
    this.#cancelButton.hidden = !shown.canCancel;
    this.#tabs.waits.textContent = shown.waitsLabel;
  }

  /** The execution with all its calls: a long execution's calls come in several responses, read on to the last. */
  async #read(): Promise<Execution | undefined> {
    const signal = this.#abort.signal;
    const execId = this.#execId;
    const read = (await runner.getExecution({ execId, view: ExecutionView.FULL }, { signal })).execution;
    for (let token = read?.checkpointsNextPageToken ?? ""; read !== undefined && token !== ""; ) {
      const next = (await runner.getExecution({ execId, view: ExecutionView.FULL, checkpointsPageToken: token }, { signal })).execution;
      if (next === undefined) break;
      read.checkpoints.push(...next.checkpoints);
      token = next.checkpointsNextPageToken;
    }
    return read;
  }

  async #refresh(): Promise<void> {
    clearTimeout(this.#refreshTimer);
    let read: Execution | undefined;
    try {
      read = await this.#read();
    } catch (error) {
      if (!this.#abort.signal.aborted) this.#message.textContent = errorLine(error);
      return;
    }
    if (read === undefined) return;
    this.#execution = read;
    this.#renderHeader(read);
    this.#graph.setCalls(read.checkpoints);
    // The panel is redrawn when what it shows may have changed, never under a form being filled in
    // (and a call's logs are read again only when the call itself changed).
    const redraw = this.#state.received(read);
    if (redraw.panel) this.#renderPanel();
    if (redraw.lineage) {
      void this.#lineage.refresh().then(() => {
        if (this.#scrollToDiff) this.#lineage.element.scrollIntoView({ block: "start" });
        this.#scrollToDiff = false;
      });
    }
  }

  #refreshSoon(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => void this.#refresh(), REFRESH_BATCH_MS);
  }

  /** Follows the execution until it ends (state/execution-page.ts). */
  #follow(): Promise<void> {
    const signal = this.#abort.signal;
    return followExecution(
      {
        watch: () => runner.watchExecution({ execId: this.#execId, followWaits: true }, { signal }),
        changed: () => this.#refreshSoon(),
        read: () => this.#refresh(),
        ended: () => this.#execution !== undefined && ended(this.#execution),
        pause: () => new Promise((resolve) => setTimeout(resolve, POLL_MS)),
      },
      signal,
    );
  }
}
