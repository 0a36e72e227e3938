/**
 * A pending wait answered through a form generated from its JSON Schema:
 * objects become one field per property (text, number, checkbox, choice, or
 * JSON for nested values), anything else one field. The runner validates the
 * answer; its field violations are shown beside the fields they name.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { Wait } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruWaitValidationError } from "#contract/errors/index.ts";
import { button, h, replaceChildren } from "./dom.ts";
import { errorLine, kitaruError, runner } from "./rpc.ts";
import { protoValue } from "./state/format.ts";
import { answerValue, type FieldInput, FieldInputError, type FieldSpec, fieldSpecs, placeViolations } from "./state/wait-fields.ts";
import { jsonBlock } from "./value-elements.ts";

/** One drawn field: its element, where its error goes, and what was typed into it. */
interface Field {
  readonly spec: FieldSpec;
  readonly element: HTMLElement;
  readonly error: HTMLElement;
  input(): FieldInput;
}

let fieldCounter = 0;

/** The input element for `spec`, and how to read it. */
function control(spec: FieldSpec, id: string): { element: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement; input: () => FieldInput } {
  const name = spec.path;
  switch (spec.kind) {
    case "boolean": {
      const box = h("input", { id, type: "checkbox", name });
      return { element: box, input: () => box.checked };
    }
    case "enum": {
      const select = h("select", { id, name }, ...spec.options.map((o, i) => h("option", { value: String(i) }, JSON.stringify(o))));
      return { element: select, input: () => select.value };
    }
    case "number":
    case "integer": {
      const number = h("input", { id, type: "number", name, step: spec.kind === "integer" ? "1" : "any" });
      return { element: number, input: () => number.value };
    }
    case "string": {
      const text = h("input", { id, type: "text", name, autocomplete: "off" });
      return { element: text, input: () => text.value };
    }
    case "json": {
      const area = h("textarea", { id, name, rows: "3", spellcheck: "false", placeholder: "JSON" });
      return { element: area, input: () => area.value };
    }
  }
}

/** A drawn field for `spec`. */
function field(spec: FieldSpec): Field {
  const id = `wait-field-${++fieldCounter}`;
  const error = h("p", { class: "field-error", role: "alert", "data-error-for": spec.path, id: `${id}-error` });
  const { element: input, input: read } = control(spec, id);
  input.setAttribute("aria-describedby", `${id}-error`);
  const description = spec.description === undefined ? null : h("span", { class: "hint" }, spec.description);
  const element = h("div", { class: `field field-${spec.kind}` }, h("label", { for: id }, spec.label, spec.required ? " *" : ""), input, description, error);
  return { spec, element, error, input: read };
}

/** The form answering (or aborting) one pending wait; `onDone` after it was answered or aborted. */
function waitForm(execId: string, wait: Wait, onDone: () => void): HTMLElement {
  const fields = fieldSpecs(wait.schema ?? {}).map(field);
  const submit = h("button", { type: "submit", class: "primary" }, "Answer");
  const formError = h("p", { class: "form-error", role: "alert" });
  const clearErrors = () => {
    formError.textContent = "";
    for (const f of fields) f.error.textContent = "";
  };
  const form = h(
    "form",
    { class: "wait-form", novalidate: true, "data-wait": wait.name },
    h("h3", {}, wait.name),
    h("p", { class: "question" }, wait.question),
    // A replay asked to answer this wait from its source found nothing to copy: say why it waits.
    wait.sourceAnswerNote ? h("p", { class: "muted source-answer-note" }, wait.sourceAnswerNote) : null,
    ...fields.map((f) => f.element),
    formError,
    h(
      "div",
      { class: "actions" },
      submit,
      button(
        "Abort wait",
        async () => {
          clearErrors();
          try {
            await runner.abortWait({ execId, wait: wait.name });
            onDone();
          } catch (error) {
            formError.textContent = errorLine(error);
          }
        },
        { class: "danger" },
      ),
    ),
    wait.metadata && Object.keys(wait.metadata).length > 0 ? h("details", {}, h("summary", {}, "metadata"), jsonBlock(wait.metadata)) : null,
    h("details", {}, h("summary", {}, "schema"), jsonBlock(wait.schema)),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    let value: JsonValue;
    try {
      value = answerValue(fields.map((f) => ({ spec: f.spec, input: f.input() })));
    } catch (error) {
      if (error instanceof FieldInputError) {
        const target = fields.find((f) => f.spec.path === error.path);
        if (target) target.error.textContent = error.message;
        return;
      }
      throw error;
    }
    submit.disabled = true;
    try {
      await runner.resolveWait({ execId, wait: wait.name, value: protoValue(value) });
      onDone();
    } catch (error) {
      const failure = kitaruError(error);
      formError.textContent = `${failure.name}: ${failure.message}`;
      if (failure instanceof KitaruWaitValidationError) showViolations(failure.violations);
    } finally {
      submit.disabled = false;
    }
  });

  /** Each violation beside the field it names (the closest enclosing field), the rest under the form. */
  function showViolations(violations: readonly { field: string; description: string }[]): void {
    const placed = placeViolations(
      fields.map((f) => f.spec),
      violations,
    );
    for (const f of fields) {
      const text = placed.byField.get(f.spec.path);
      if (text !== undefined) f.error.textContent = text;
    }
    if (placed.unplaced.length > 0) formError.append(h("br"), placed.unplaced.join("; "));
  }
  return form;
}

/** The pending waits of an execution, each with its form. */
export function waitsPanel(execId: string, waits: readonly Wait[], onDone: () => void, copied: readonly Wait[] = []): HTMLElement {
  const panel = h("div", { class: "waits" });
  if (waits.length === 0) replaceChildren(panel, h("p", { class: "muted" }, "No pending waits."));
  else replaceChildren(panel, ...waits.map((w) => waitForm(execId, w, onDone)));
  // Waits a replay answered with its source's recorded answers, and from which execution.
  for (const w of copied) panel.append(h("p", { class: "copied-answer", "data-wait": w.name }, `${w.name}: answered, ${w.answeredBy}`));
  return panel;
}
