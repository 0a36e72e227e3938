/**
 * The output envelopes of `kitaru`: JSON on stdout for results, on stderr for
 * errors, and `Error: <message>` in text mode.
 *
 * JSON shapes (Kitaru's): `{"command", "item"}`, `{"command", "items",
 * "count"}`, `{"command", "event"}` (one line each) and
 * `{"command", "error": {"message", "type"}}`; `type` is left out for
 * command-line mistakes, which are not raised errors.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { CliIo } from "./io.ts";
import type { CommandName } from "./parse-args.ts";

/** Prints `{"command": ..., "item": ...}` on stdout. */
export function printItem(io: CliIo, command: CommandName, item: JsonValue): void {
  io.out(JSON.stringify({ command, item }, null, 2));
}

/** Prints `{"command": ..., "items": [...], "count": N}` on stdout. */
export function printItems(io: CliIo, command: CommandName, items: readonly JsonValue[]): void {
  io.out(JSON.stringify({ command, items, count: items.length }, null, 2));
}

/** Prints one JSON line `{"command": ..., "event": ...}` on stdout. */
export function printEventLine(io: CliIo, command: CommandName, event: JsonObject): void {
  io.out(JSON.stringify({ command, event }));
}

/** What {@link printError} needs to know about an error. */
export interface ErrorReport {
  readonly message: string;
  /** The error class name; unset for command-line mistakes. */
  readonly type?: string | undefined;
}

/** The report of a thrown value: its message and class name. */
export function reportOf(error: unknown): ErrorReport {
  if (error instanceof Error) return { message: error.message, type: error.name };
  return { message: String(error), type: "Error" };
}

/** Prints an error on stderr: `Error: <message>` or the JSON error envelope. */
export function printError(io: CliIo, output: "text" | "json", command: CommandName | undefined, report: ErrorReport): void {
  if (output === "text") {
    io.err(`Error: ${report.message}`);
    return;
  }
  const error = report.type === undefined ? { message: report.message } : { message: report.message, type: report.type };
  io.err(JSON.stringify(command === undefined ? { error } : { command, error }, null, 2));
}
