/**
 * A pending wait's answer without the page: the fields its JSON Schema asks
 * for (one per property of an object, else one for the whole value), the
 * value the typed fields make, and where the runner's violations are shown.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/** How a field is typed in: checkbox, choice, number, text, or JSON for anything else. */
export type FieldKind = "boolean" | "enum" | "number" | "integer" | "string" | "json";

/** One field of the form. */
export interface FieldSpec {
  /** Dotted path of the value ("" for the root). */
  readonly path: string;
  readonly label: string;
  readonly kind: FieldKind;
  readonly required: boolean;
  /** The choices of an `enum` field, in the schema's order. */
  readonly options: readonly JsonValue[];
  /** The schema's description, if any. */
  readonly description: string | undefined;
}

/** What was typed into a field: text (a choice: its index), or a checkbox's state. */
export type FieldInput = string | boolean;

/** A field whose text cannot be read as a value. */
export class FieldInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function kindOf(schema: JsonObject): FieldKind {
  if (Array.isArray(schema["enum"])) return "enum";
  const type = schema["type"];
  return type === "boolean" || type === "number" || type === "integer" || type === "string" ? type : "json";
}

function spec(path: string, label: string, schema: JsonObject, required: boolean): FieldSpec {
  const options = schema["enum"];
  const description = schema["description"];
  return {
    path,
    label,
    kind: kindOf(schema),
    required,
    options: Array.isArray(options) ? options : [],
    description: typeof description === "string" ? description : undefined,
  };
}

const isObject = (value: JsonValue | undefined): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** The fields for `schema`: one per property of an object, else one for the whole value. */
export function fieldSpecs(schema: JsonObject): FieldSpec[] {
  const properties = schema["properties"];
  if (schema["type"] === "object" && !Array.isArray(schema["enum"]) && isObject(properties)) {
    const required = new Set(Array.isArray(schema["required"]) ? schema["required"].filter((n) => typeof n === "string") : []);
    return Object.entries(properties).map(([name, sub]) => spec(name, name, isObject(sub) ? sub : {}, required.has(name)));
  }
  return [spec("", "answer", schema, true)];
}

/** The value of one field as typed; undefined when left empty; throws {@link FieldInputError} for JSON that does not parse. */
export function fieldValue(field: FieldSpec, input: FieldInput): JsonValue | undefined {
  if (typeof input === "boolean") return input;
  switch (field.kind) {
    case "boolean":
      return input === "true";
    case "enum":
      return field.options[Number(input)];
    case "number":
    case "integer":
      return input === "" ? undefined : Number(input);
    case "string":
      return input;
    case "json":
      if (input.trim() === "") return undefined;
      try {
        return JSON.parse(input) as JsonValue;
      } catch {
        throw new FieldInputError(field.path, "not valid JSON");
      }
  }
}

/** The answer the typed fields make: the single field's value, or an object of the properties given. */
export function answerValue(typed: readonly { readonly spec: FieldSpec; readonly input: FieldInput }[]): JsonValue {
  const [only] = typed;
  if (typed.length === 1 && only?.spec.path === "") return fieldValue(only.spec, only.input) ?? null;
  const value: JsonObject = {};
  for (const { spec, input } of typed) {
    const v = fieldValue(spec, input);
    if (v !== undefined) value[spec.path] = v;
  }
  return value;
}

/** Where the runner's violations go: beside the field each names (or the closest enclosing one), the rest under the form. */
export interface PlacedViolations {
  /** Descriptions by field path, joined with "; ". */
  readonly byField: ReadonlyMap<string, string>;
  /** `field: description` of those no field takes. */
  readonly unplaced: readonly string[];
}

/** Places `violations` on `fields`. */
export function placeViolations(fields: readonly FieldSpec[], violations: readonly { field: string; description: string }[]): PlacedViolations {
  const byField = new Map<string, string>();
  const unplaced: string[] = [];
  for (const violation of violations) {
    const target =
      fields.find((f) => f.path === violation.field) ??
      fields.find((f) => f.path !== "" && violation.field.startsWith(`${f.path}.`)) ??
      fields.find((f) => f.path === "");
    if (target) byField.set(target.path, [byField.get(target.path), violation.description].filter(Boolean).join("; "));
    else unplaced.push(`${violation.field}: ${violation.description}`);
  }
  return { byField, unplaced };
}
