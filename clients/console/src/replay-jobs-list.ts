/**
 * The jobs list (`#/jobs`): replay jobs, newest first, with their state,
 * selection, progress and totals; paged by page tokens and read again every
 * few seconds (rows are updated in place).
 */
import type { ReplayJob } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { button, h, headedTable, updateRows } from "./dom.ts";
import { replayJobForm } from "./replay-job-form.ts";
import { errorLine, planner } from "./rpc.ts";
import { timeText } from "./state/format.ts";
import { PageCursor } from "./state/page-cursor.ts";
import { jobSummary } from "./state/replay-jobs.ts";
import { statusBadge } from "./value-elements.ts";
import type { View } from "./view.ts";

const REFRESH_MS = 2500;
const PAGE_SIZE = 25;

function row(job: ReplayJob): HTMLTableRowElement {
  const shown = jobSummary(job);
  return h(
    "tr",
    { "data-job-id": shown.jobId },
    h("td", { class: "cell-status" }, statusBadge(shown.state)),
    h("td", { class: "mono" }, h("a", { href: shown.href }, shown.jobId)),
    h("td", {}, shown.selection),
    h("td", { class: "mono" }, shown.from),
    h("td", { class: "num" }, `${shown.progress.done} / ${shown.progress.total}`),
    h("td", { "data-totals": "" }, shown.totals),
    h("td", { class: "time" }, timeText(job.createTime)),
  );
}

/** The list of replay jobs. */
export function replayJobsList(): View {
  const pages = new PageCursor();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const message = h("p", { class: "message", role: "status" });
  const body = h("tbody");
  const pageLabel = h("span", { class: "page-label" });
  const newerButton = button("← Newer", () => {
    pages.back();
    return load();
  });
  const olderButton = button("Older →", () => {
    pages.forward();
    return load();
  });

  async function load(): Promise<void> {
    clearTimeout(timer);
    try {
      const response = await planner.listReplayJobs({ pageSize: PAGE_SIZE, pageToken: pages.token });
      if (disposed) return;
      pages.received(response.nextPageToken);
      updateRows(body, "data-job-id", response.jobs.map(row));
      message.textContent =
        response.jobs.length === 0 ? "No replay jobs yet. Start one above, or with `kitaru executions replay --flow <flow> --from <call>`." : "";
    } catch (error) {
      if (disposed) return;
      message.textContent = errorLine(error);
    }
    newerButton.disabled = !pages.hasPrevious;
    olderButton.disabled = !pages.hasNext;
    pageLabel.textContent = pages.pageLabel;
    if (!disposed) timer = setTimeout(load, REFRESH_MS);
  }
  void load();

  const element = h(
    "section",
    { class: "jobs-list", "aria-labelledby": "jobs-title" },
    h("h1", { id: "jobs-title" }, "Replay jobs"),
    replayJobForm(),
    h("div", { class: "toolbar" }, h("span", { class: "spacer" }), newerButton, pageLabel, olderButton),
    message,
    headedTable("jobs", ["State", "Job", "Sources", "From", "Done", "Totals", "Created"], body),
  );
  return {
    element,
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
