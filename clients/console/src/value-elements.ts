/** Elements that show a value: a status badge, a JSON block. */
import { h } from "./dom.ts";
import { jsonText } from "./state/format.ts";

/** A JSON value as an indented block. */
export function jsonBlock(value: unknown): HTMLPreElement {
  return h("pre", { class: "json" }, jsonText(value));
}

/** A status as a fixed-width badge (the same size for every status, so live updates do not move the layout). */
export function statusBadge(status: string): HTMLSpanElement {
  return h("span", { class: `status status-${status}`, "data-status": status }, status);
}
