/**
 * One replay job (`#/jobs/<job_id>`): its state, selection and totals
 * ("41 completed, 3 failed, 17 results changed"), a progress bar, Cancel,
 * and per source: its replay, status, whether the result changed (with the
 * JSON changes), calls reused / re-executed / changed, the typed error of a
 * source that could not be replayed, and links to the replay's graph and
 * its diff. Followed live with WatchReplayJob until the job ends.
 */
import { button, h, headedTable, replaceChildren, updateRows } from "./dom.ts";
import { errorLine, planner } from "./rpc.ts";
import { timeText } from "./state/format.ts";
import { type JobRow, JobPageState, JOBS_HREF, selectionText } from "./state/replay-jobs.ts";
import { statusBadge } from "./value-elements.ts";
import type { View } from "./view.ts";

/** The pause before following the job again after its stream ended early or failed. */
const RETRY_MS = 2000;

function callsText(row: JobRow): string {
  const c = row.calls;
  return c ? `${c.reused} reused · ${c.reexecuted} re-executed · ${c.changed} changed${c.new ? ` · ${c.new} new` : ""}` : "";
}

function itemRow(row: JobRow): HTMLTableRowElement {
  return h(
    "tr",
    { "data-job-item": row.index, "data-source": row.sourceExecId, "data-state": row.state },
    h("td", { class: "num" }, row.index + 1),
    h("td", { class: "mono" }, h("a", { href: row.sourceHref }, row.sourceExecId)),
    h("td", { class: "mono" }, row.graphHref ? h("a", { href: row.graphHref, "data-link": "graph" }, row.replayExecId) : "–"),
    h("td", { class: "cell-status" }, statusBadge(row.status)),
    h("td", { "data-result": row.result }, row.result ? h("span", { class: `result result-${row.result}` }, row.result) : "–"),
    h("td", {}, row.changes.length > 0 ? h("ul", { class: "changes mono" }, ...row.changes.map((c) => h("li", {}, c))) : null),
    h("td", { class: "small" }, callsText(row)),
    h("td", { class: "small" }, row.error ? h("span", { class: "form-error", "data-error": row.error.name }, `${row.error.name}: ${row.error.message}`) : null),
    h("td", { class: "small" }, row.diffHref ? h("a", { href: row.diffHref, "data-link": "diff" }, "diff") : null),
  );
}

/** The view of job `jobId`. */
export function replayJobView(jobId: string): View {
  const abort = new AbortController();
  const state = new JobPageState();
  const status = h("span", { class: "cell-status" });
  const facts = h("p", { class: "facts muted" });
  const totals = h("p", { class: "job-totals", "data-totals": "" });
  const bar = h("progress", { class: "job-progress", max: 1, value: 0 });
  const barLabel = h("span", { class: "muted small" });
  const message = h("p", { class: "message", role: "status" });
  const body = h("tbody");
  const changedOnly = h("input", { type: "checkbox", id: "job-changed-only" });
  const cancelButton = button(
    "Cancel",
    async () => {
      message.textContent = "";
      try {
        const { job } = await planner.cancelReplayJob({ jobId });
        state.received(job, []);
        render();
      } catch (error) {
        message.textContent = errorLine(error);
      }
    },
    { id: "job-cancel", class: "danger" },
  );
  changedOnly.addEventListener("change", () => {
    state.changedOnly = changedOnly.checked;
    render();
  });

  function render(): void {
    const job = state.job;
    if (job === undefined) return;
    replaceChildren(status, statusBadge(state.state ?? "running"));
    const overrides = Object.keys(job.spec?.overrides ?? {});
    replaceChildren(
      facts,
      `${selectionText(job)} · from ${job.spec?.from ?? "?"}`,
      overrides.length > 0 ? ` · overrides ${overrides.join(", ")}` : "",
      ` · created ${timeText(job.createTime)}`,
      job.cancelTime ? ` · cancelled ${timeText(job.cancelTime)}` : "",
      job.endTime ? ` · ended ${timeText(job.endTime)}` : "",
    );
    totals.textContent = state.totalsLine;
    const { done, total } = state.progress;
    bar.max = Math.max(total, 1);
    bar.value = done;
    barLabel.textContent = `${done} of ${total} sources done`;
    cancelButton.hidden = !state.canCancel;
    updateRows(body, "data-job-item", state.rows.map(itemRow));
  }

  /** Follows the job with WatchReplayJob until it ends; a stream that ends early or fails is opened again. */
  async function follow(): Promise<void> {
    while (!abort.signal.aborted && !state.ended) {
      try {
        for await (const report of planner.watchReplayJob({ jobId }, { signal: abort.signal })) {
          state.received(report.job, report.items);
          message.textContent = "";
          render();
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        message.textContent = errorLine(error);
      }
      if (!state.ended) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  void follow();

  const element = h(
    "section",
    { class: "job" },
    h("p", { class: "muted small" }, h("a", { href: JOBS_HREF }, "← Replay jobs")),
    h("div", { class: "execution-header" }, status, h("h1", { class: "mono" }, jobId), h("span", { class: "spacer" }), cancelButton),
    facts,
    totals,
    h("div", { class: "toolbar" }, bar, barLabel, h("span", { class: "spacer" }), h("label", {}, changedOnly, " changed results only")),
    message,
    headedTable("job-items", ["#", "Source", "Replay", "Status", "Result", "Result changes", "Calls", "Error", ""], body),
  );
  return {
    element,
    dispose() {
      abort.abort();
    },
  };
}
