/**
 * The jobs list's "New replay job" form: a selection (flow, statuses,
 * window, limit), `from`, overrides and the waits answered from each source.
 * Plan asks StartReplayJob for a dry run and shows, per source, how many
 * calls the replay would re-execute and reuse, or why it cannot replay it.
 * Start starts the job (one request ID per composed form, so a repeated
 * click starts one job) and opens its page.
 */
import { button, h, headedTable, replaceChildren } from "./dom.ts";
import { errorLine, planner, requestId } from "./rpc.ts";
import { JOB_FORM_STATUSES, type JobFormFields, jobSpec, type PlanRow, planHeadline, planRows } from "./state/replay-job-form.ts";
import { jobHref } from "./state/replay-jobs.ts";
import { statusBadge } from "./value-elements.ts";

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "field" }, label, control, hint ? h("span", { class: "hint" }, hint) : null);
}

function planRow(row: PlanRow): HTMLTableRowElement {
  return h(
    "tr",
    { "data-plan-item": row.index, "data-source": row.sourceExecId, "data-state": row.state },
    h("td", { class: "mono" }, h("a", { href: row.sourceHref }, row.sourceExecId)),
    h("td", { class: "cell-status" }, statusBadge(row.state)),
    h("td", { class: "num" }, row.reexecuted ?? "–"),
    h("td", { class: "num" }, row.reused ?? "–"),
    h("td", { class: "failure" }, row.error ? `${row.error.name}: ${row.error.message}` : ""),
  );
}

/** The form, collapsed under its summary until opened. */
export function replayJobForm(): HTMLElement {
  const input = (id: string, attributes: Record<string, string | boolean> = {}) => h("input", { id, ...attributes });
  const flow = input("job-form-flow", { required: true, placeholder: "content_pipeline" });
  const statuses = JOB_FORM_STATUSES.map((status) => ({ status, box: input(`job-form-status-${status}`, { type: "checkbox", value: status }) }));
  const since = input("job-form-since", { type: "datetime-local" });
  const until = input("job-form-until", { type: "datetime-local" });
  const limit = input("job-form-limit", { type: "number", min: "1", step: "1" });
  const from = input("job-form-from", { required: true, placeholder: "write_draft" });
  const overrides = h("textarea", { id: "job-form-overrides", rows: 3, placeholder: '{"checkpoint.research": "Edited notes"}' });
  const answerWaits = input("job-form-answer-waits", { placeholder: "approval, review" });
  const message = h("p", { class: "form-error", role: "alert", id: "job-form-message" });
  const plan = h("div", { class: "job-plan", "aria-live": "polite" });
  let draftRequestId = requestId();

  function fields(): JobFormFields {
    return {
      flow: flow.value,
      statuses: statuses.filter((s) => s.box.checked).map((s) => s.status),
      since: since.value,
      until: until.value,
      limit: limit.value,
      from: from.value,
      overrides: overrides.value,
      answerWaits: answerWaits.value,
    };
  }

  async function planJob(): Promise<void> {
    const spec = jobSpec(fields(), true);
    replaceChildren(plan);
    message.textContent = typeof spec === "string" ? spec : "";
    if (typeof spec === "string") return;
    try {
      const rows = planRows((await planner.startReplayJob({ spec })).items);
      replaceChildren(
        plan,
        h("p", { class: "plan-headline" }, planHeadline(rows)),
        rows.length > 0 ? headedTable("plan-rows", ["Source", "Plan", "Re-executed", "Reused", "Error"], h("tbody", {}, ...rows.map(planRow))) : null,
      );
    } catch (error) {
      message.textContent = errorLine(error);
    }
  }

  async function startJob(): Promise<void> {
    const spec = jobSpec(fields(), false);
    message.textContent = typeof spec === "string" ? spec : "";
    if (typeof spec === "string") return;
    try {
      const { job } = await planner.startReplayJob({ spec, requestId: draftRequestId });
      if (job?.jobId) location.hash = jobHref(job.jobId);
    } catch (error) {
      message.textContent = errorLine(error);
    }
  }

  const form = h(
    "details",
    { class: "job-form" },
    h("summary", {}, "New replay job"),
    h(
      "div",
      { class: "job-form-fields" },
      field("Flow", flow),
      h(
        "fieldset",
        { class: "field field-boolean" },
        h("legend", {}, "Statuses"),
        ...statuses.map((s) => h("label", {}, s.box, ` ${s.status}`)),
        h("span", { class: "hint" }, "none: all four"),
      ),
      field("Since", since),
      field("Until", until),
      field("Limit", limit, "newest first; empty: all"),
      field("From", from, "checkpoint name, invocation ID or call ID"),
      field("Overrides", overrides, "a JSON object keyed checkpoint.<selector>"),
      field("Answer waits from source", answerWaits, "wait names, comma-separated"),
    ),
    h("div", { class: "actions" }, button("Plan", planJob, { id: "job-form-plan" }), button("Start", startJob, { id: "job-form-start", class: "primary" })),
    message,
    plan,
  );
  // A changed form is another job: it gets its own request ID, and the old plan no longer holds.
  form.addEventListener("input", () => {
    draftRequestId = requestId();
    replaceChildren(plan);
  });
  return form;
}
