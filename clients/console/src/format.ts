/** How values read on the page: statuses, times, durations, JSON. */
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import { h } from "./dom.ts";

/** A timestamp as local date and time, or "–". */
export function timeText(timestamp: Timestamp | undefined): string {
  return timestamp ? timestampDate(timestamp).toLocaleString() : "–";
}

/** Milliseconds between two timestamps (the second default: now), or undefined. */
export function durationMs(start: Timestamp | undefined, end: Timestamp | undefined): number | undefined {
  if (!start) return undefined;
  return (end ? timestampDate(end).getTime() : Date.now()) - timestampDate(start).getTime();
}

/** A duration as a person reads it: 850 ms, 2.4 s, 3 min 5 s. */
export function durationText(ms: number | undefined): string {
  if (ms === undefined) return "–";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A JSON value on one line, cut at `max` characters. */
export function shortJson(value: unknown, max = 80): string {
  if (value === undefined) return "∅";
  const text = JSON.stringify(value) ?? "∅";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A JSON value as an indented block. */
export function jsonBlock(value: unknown): HTMLPreElement {
  return h("pre", { class: "json" }, value === undefined ? "∅" : JSON.stringify(value, null, 2));
}

/** A status as a fixed-width badge (the same size for every status, so live updates do not move the layout). */
export function statusBadge(status: string): HTMLSpanElement {
  return h("span", { class: `status status-${status}`, "data-status": status }, status);
}

/** A `google.protobuf.Value` as plain JSON (undefined stays undefined). */
export function jsonOf(value: Value | undefined): JsonValue | undefined {
  return value === undefined ? undefined : toJson(ValueSchema, value);
}

/** Plain JSON as a `google.protobuf.Value`. */
export function valueOf(json: JsonValue): Value {
  return fromJson(ValueSchema, json);
}
