/**
 * The replay composer: `from` (a call clicked on the graph), overrides (a
 * JSON value per key such as `checkpoint.research`) and a new input; each
 * change plans the replay again (PlanReplay, a dry run) and the plan is drawn
 * on the graph, with the errors a replay would get. Replay starts it (with a
 * request ID, so a repeated click starts one execution) and opens it.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ReplayPlan } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { button, h, replaceChildren } from "./dom.ts";
import { planVersionRows } from "./flow-version.ts";
import { kitaruError, planner, requestId } from "./rpc.ts";
import { jsonOf, shortJson } from "./state/format.ts";
import type { PlanMarks } from "./state/graph-model.ts";
import { planMarks, ReplayDraft, type ReplayRequest, replayRequest } from "./state/replay-draft.ts";

const PLAN_DELAY_MS = 300;

/** What the composer tells its execution view. */
export interface ComposerEvents {
  /** A new plan to draw on the graph (undefined: clear it). */
  onPlan(marks: PlanMarks | undefined): void;
  /** The replay started: open it. */
  onReplay(execId: string): void;
}

function planSummary(plan: ReplayPlan): HTMLElement {
  const names = (calls: readonly { invocationId: string }[]) => (calls.length === 0 ? "none" : calls.map((c) => c.invocationId).join(", "));
  return h(
    "div",
    { class: "plan-summary", "data-plan-summary": "true" },
    h("h3", {}, "Plan (dry run)"),
    h(
      "dl",
      {},
      h("dt", {}, "from"),
      h("dd", { class: "mono" }, plan.fromCall?.invocationId ?? plan.from),
      h("dt", {}, "roots"),
      h("dd", { class: "mono", "data-plan-roots": "" }, names(plan.roots)),
      h("dt", {}, "re-executed"),
      h("dd", { class: "mono", "data-plan-reexecute": "" }, names(plan.reexecute)),
      h("dt", {}, "reused"),
      h("dd", { class: "mono", "data-plan-reuse": "" }, names(plan.reuse)),
      ...planVersionRows(plan),
      ...plan.overrides.flatMap((o) => [
        h("dt", {}, o.key),
        h(
          "dd",
          { class: "mono", "data-plan-override": o.key },
          `lands on ${o.target?.invocationId ?? "?"}; read by ${o.consumerInvocationIds.join(", ") || "nothing"} = ${shortJson(jsonOf(o.value), 60)}`,
        ),
      ]),
    ),
  );
}

/** A failure of planning or replaying, with the details a person can act on. */
function failureBlock(error: unknown): HTMLElement {
  const failure = kitaruError(error);
  const violations = failure instanceof KitaruUsageError ? failure.violations : [];
  return h(
    "div",
    { class: "plan-error", role: "alert", "data-plan-error": failure.name },
    h("strong", {}, failure.name),
    " ",
    failure.message,
    violations.length > 0 ? h("ul", {}, ...violations.map((v) => h("li", {}, h("code", {}, v.field || "(value)"), " ", v.description))) : null,
  );
}

/** One override row: key and JSON value. */
interface OverrideRow {
  readonly element: HTMLElement;
  readonly key: HTMLInputElement;
  readonly value: HTMLTextAreaElement;
}

/** The replay composer of `execution`. */
export class ReplayComposer {
  readonly element: HTMLElement;
  readonly #execution: Execution;
  readonly #events: ComposerEvents;
  readonly #from: HTMLInputElement;
  readonly #input: HTMLTextAreaElement;
  readonly #overrides: HTMLElement;
  readonly #rows: OverrideRow[] = [];
  readonly #result: HTMLElement;
  readonly #replayButton: HTMLButtonElement;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #draft = new ReplayDraft(requestId);

  constructor(execution: Execution, events: ComposerEvents) {
    this.#execution = execution;
    this.#events = events;
    this.#from = h("input", { id: "replay-from", type: "text", class: "mono", placeholder: "click a call on the graph", autocomplete: "off" });
    this.#input = h("textarea", { id: "replay-input", rows: "4", spellcheck: "false", class: "mono" });
    this.#input.value = JSON.stringify(execution.input ?? {}, null, 2);
    this.#overrides = h("div", { class: "overrides" });
    this.#result = h("div", { class: "plan-result", "aria-live": "polite" });
    this.#replayButton = button("Replay", () => this.#replay(), { class: "primary", id: "replay-run", disabled: true });
    for (const control of [this.#from, this.#input]) control.addEventListener("input", () => this.#changed());
    this.element = h(
      "form",
      { class: "composer", novalidate: true, onsubmit: ((e: Event) => e.preventDefault()) as EventListener },
      h("div", { class: "field" }, h("label", { for: "replay-from" }, "from (a call: click it on the graph)"), this.#from),
      h("div", { class: "field" }, h("label", { for: "replay-input" }, "input (JSON; the source's unless changed)"), this.#input),
      h("h3", {}, "Overrides"),
      this.#overrides,
      h(
        "div",
        { class: "actions" },
        button("Add override", () => this.addOverride(""), { id: "override-add" }),
        button("Plan", () => this.#plan(), { id: "replay-plan" }),
        this.#replayButton,
      ),
      this.#result,
    );
  }

  /** Sets `from` (a call clicked on the graph) and plans again. */
  setFrom(invocationId: string): void {
    this.#from.value = invocationId;
    this.#changed();
  }

  /** Adds an override row for `key` (e.g. `checkpoint.research`) with a JSON value. */
  addOverride(key: string, value: JsonValue | undefined = undefined): void {
    const index = this.#rows.length;
    const keyInput = h("input", {
      type: "text",
      class: "mono override-key",
      placeholder: "checkpoint.<invocation ID>",
      "aria-label": `override ${index + 1} key`,
      autocomplete: "off",
    });
    const valueInput = h("textarea", {
      class: "mono override-value",
      rows: "2",
      spellcheck: "false",
      placeholder: "JSON value",
      "aria-label": `override ${index + 1} value`,
    });
    keyInput.value = key;
    valueInput.value = value === undefined ? "" : JSON.stringify(value);
    const row: OverrideRow = {
      element: h(
        "div",
        { class: "override-row" },
        keyInput,
        valueInput,
        button("Remove", () => {
          this.#rows.splice(this.#rows.indexOf(row), 1);
          row.element.remove();
          this.#changed();
        }),
      ),
      key: keyInput,
      value: valueInput,
    };
    for (const control of [keyInput, valueInput]) control.addEventListener("input", () => this.#changed());
    this.#rows.push(row);
    this.#overrides.append(row.element);
    keyInput.focus();
    this.#changed();
  }

  /** The request as composed, or a message saying which field is not JSON. */
  #request(): ReplayRequest | string {
    return replayRequest({
      from: this.#from.value,
      input: this.#input.value,
      overrides: this.#rows.map((row) => ({ key: row.key.value, value: row.value.value })),
    });
  }

  #changed(): void {
    this.#draft.changed();
    this.#replayButton.disabled = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#plan(), PLAN_DELAY_MS);
  }

  async #plan(): Promise<void> {
    clearTimeout(this.#timer);
    const ticket = this.#draft.planning();
    const request = this.#request();
    if (typeof request === "string") {
      replaceChildren(this.#result, h("div", { class: "plan-error", role: "alert" }, request));
      this.#events.onPlan(undefined);
      return;
    }
    if (request.from === "") {
      replaceChildren(this.#result, h("p", { class: "muted" }, "Pick the call to replay from."));
      this.#events.onPlan(undefined);
      return;
    }
    replaceChildren(this.#result, h("p", { class: "muted" }, "planning…"));
    try {
      const { plan } = await planner.planReplay({ execId: this.#execution.execId, ...request });
      if (!this.#draft.answered(ticket, plan !== undefined) || plan === undefined) return;
      this.#replayButton.disabled = false;
      replaceChildren(this.#result, planSummary(plan));
      this.#events.onPlan(planMarks(plan));
    } catch (error) {
      if (!this.#draft.answered(ticket, false)) return;
      this.#replayButton.disabled = true;
      replaceChildren(this.#result, failureBlock(error));
      this.#events.onPlan(undefined);
    }
  }

  async #replay(): Promise<void> {
    const request = this.#request();
    if (typeof request === "string" || !this.#draft.canReplay) return;
    try {
      const { execution } = await planner.replayExecution({ execId: this.#execution.execId, ...request, requestId: this.#draft.requestId });
      if (execution) this.#events.onReplay(execution.execId);
    } catch (error) {
      replaceChildren(this.#result, failureBlock(error));
    }
  }
}
