/** How values read on the page, as text: times, durations, JSON (no DOM: value-elements.ts draws them). */
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import { type LogEntry, LogLevel } from "#gen/kitaru/runner/v1/execution_pb.ts";

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

/** A JSON value as an indented block's text. */
export function jsonText(value: unknown): string {
  return value === undefined ? "∅" : JSON.stringify(value, null, 2);
}

/** A `google.protobuf.Value` as plain JSON (undefined stays undefined). */
export function jsonOf(value: Value | undefined): JsonValue | undefined {
  return value === undefined ? undefined : toJson(ValueSchema, value);
}

/** Plain JSON as a `google.protobuf.Value`. */
export function protoValue(json: JsonValue): Value {
  return fromJson(ValueSchema, json);
}

/** A call's log line: time, level, attempt, message. */
export function logLine(entry: LogEntry): string {
  return `${timeText(entry.time)} ${LogLevel[entry.level].padEnd(5)} [attempt ${entry.attempt}] ${entry.message}`;
}
