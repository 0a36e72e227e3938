/**
 * A pending wait answered through a form generated from its JSON Schema:
 * objects become one field per property (text, number, checkbox, choice, or
 * JSON for nested values), anything else one field. The runner validates the
 * answer; its field violations are shown beside the fields they name.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Wait } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruWaitValidationError } from "#contract/errors/index.ts";
import { button, h, replaceChildren } from "./dom.ts";
import { jsonBlock, valueOf } from "./format.ts";
import { errorLine, kitaruError, runner } from "./rpc.ts";

/** One generated field: its element and how to read its value. */
interface Field {
  /** Dotted path of the value ("" for the root). */
  readonly path: string;
  readonly element: HTMLElement;
  readonly error: HTMLElement;
  read(): JsonValue | undefined;
}

let fieldCounter = 0;

function schemaType(schema: JsonObject): string {
  const type = schema["type"];
  if (Array.isArray(schema["enum"])) return "enum";
  return typeof type === "string" ? type : "json";
}

/** A field for a value of `schema` at `path`. */
function field(path: string, label: string, schema: JsonObject, required: boolean): Field {
  const id = `wait-field-${++fieldCounter}`;
  const error = h("p", { class: "field-error", role: "alert", "data-error-for": path });
  const type = schemaType(schema);
  let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  let read: () => JsonValue | undefined;
  if (type === "boolean") {
    const box = h("input", { id, type: "checkbox", name: path });
    input = box;
    read = () => box.checked;
  } else if (type === "enum") {
    const options = schema["enum"] as JsonValue[];
    const select = h("select", { id, name: path }, ...options.map((o, i) => h("option", { value: String(i) }, JSON.stringify(o))));
    input = select;
    read = () => options[Number(select.value)];
  } else if (type === "number" || type === "integer") {
    const number = h("input", { id, type: "number", name: path, step: type === "integer" ? "1" : "any" });
    input = number;
    read = () => (number.value === "" ? undefined : Number(number.value));
  } else if (type === "string") {
    const text = h("input", { id, type: "text", name: path, autocomplete: "off" });
    input = text;
    read = () => text.value;
  } else {
    const area = h("textarea", { id, name: path, rows: "3", spellcheck: "false", placeholder: "JSON" });
    input = area;
    read = () => {
      if (area.value.trim() === "") return undefined;
      try {
        return JSON.parse(area.value) as JsonValue;
      } catch {
        throw new FieldInputError(path, "not valid JSON");
      }
    };
  }
  input.setAttribute("aria-describedby", `${id}-error`);
  error.id = `${id}-error`;
  const description = typeof schema["description"] === "string" ? h("span", { class: "hint" }, schema["description"]) : null;
  const element = h("div", { class: `field field-${type}` }, h("label", { for: id }, label, required ? " *" : ""), input, description, error);
  return { path, element, error, read };
}

/** A field whose text cannot be read as a value. */
class FieldInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** The fields for `schema`: one per property of an object, else one for the whole value. */
function fieldsFor(schema: JsonObject): Field[] {
  const properties = schema["properties"];
  if (schemaType(schema) === "object" && properties && typeof properties === "object" && !Array.isArray(properties)) {
    const required = new Set(Array.isArray(schema["required"]) ? (schema["required"] as string[]) : []);
    return Object.entries(properties as JsonObject).map(([name, sub]) => field(name, name, (sub ?? {}) as JsonObject, required.has(name)));
  }
  return [field("", "answer", schema, true)];
}

/** The value of the fields: an object of the properties given, or the single field's value. */
function readValue(fields: readonly Field[]): JsonValue {
  if (fields.length === 1 && fields[0]!.path === "") return fields[0]!.read() ?? null;
  const value: JsonObject = {};
  for (const f of fields) {
    const v = f.read();
    if (v !== undefined) value[f.path] = v;
  }
  return value;
}

/** The form answering (or aborting) one pending wait; `onDone` after it was answered or aborted. */
function waitForm(execId: string, wait: Wait, onDone: () => void): HTMLElement {
  const fields = fieldsFor(wait.schema ?? {});
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
    ...fields.map((f) => f.element),
    formError,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Answer"),
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
      value = readValue(fields);
    } catch (error) {
      if (error instanceof FieldInputError) {
        const target = fields.find((f) => f.path === error.path);
        if (target) target.error.textContent = error.message;
        return;
      }
      throw error;
    }
    const submit = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
    submit.disabled = true;
    try {
      await runner.resolveWait({ execId, wait: wait.name, value: valueOf(value) });
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
    const unplaced: string[] = [];
    for (const violation of violations) {
      const target =
        fields.find((f) => f.path === violation.field) ??
        fields.find((f) => f.path !== "" && violation.field.startsWith(`${f.path}.`)) ??
        fields.find((f) => f.path === "");
      if (target) target.error.textContent = [target.error.textContent, violation.description].filter(Boolean).join("; ");
      else unplaced.push(`${violation.field}: ${violation.description}`);
    }
    if (unplaced.length > 0) formError.append(h("br"), unplaced.join("; "));
  }
  return form;
}

/** The pending waits of an execution, each with its form. */
export function waitsPanel(execId: string, waits: readonly Wait[], onDone: () => void): HTMLElement {
  const panel = h("div", { class: "waits" });
  if (waits.length === 0) replaceChildren(panel, h("p", { class: "muted" }, "No pending waits."));
  else replaceChildren(panel, ...waits.map((w) => waitForm(execId, w, onDone)));
  return panel;
}
