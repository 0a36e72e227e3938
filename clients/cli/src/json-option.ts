/**
 * Reading JSON from command-line options, with Kitaru's error messages.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/** A parsed option value, or the message to show. */
export type JsonOptionResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return { line, column };
}

/** V8's JSON.parse message without its position and echo, plus the position when it has one. */
function describeSyntaxError(text: string, error: SyntaxError): string {
  let message = error.message;
  let position: number | undefined;
  const at = /\s+(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(message);
  if (at) {
    position = Number(at[1]);
    message = message.slice(0, at.index);
  } else if (message === "Unexpected end of JSON input") {
    position = text.length;
  } else {
    // "Unexpected token 'a', "abc" is not valid JSON": drop the echoed input.
    const echo = /^(Unexpected token '(.)'), ".*" is not valid JSON$/s.exec(message);
    if (echo?.[1] !== undefined && echo[2] !== undefined) {
      message = echo[1];
      position = text.indexOf(echo[2]);
    }
  }
  if (position === undefined || position < 0) return message;
  const { line, column } = lineAndColumn(text, position);
  return `${message} (line ${line}, column ${column})`;
}

/** Parses `text`, the value of `--<flag>` (or the contents of the `file` it named), as any JSON value. */
export function parseJsonOption(flag: string, text: string, file?: string): JsonOptionResult<JsonValue> {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (error) {
    const detail = error instanceof SyntaxError ? describeSyntaxError(text, error) : String(error);
    const subject = file === undefined ? `\`--${flag}\`` : `\`--${flag}\` file '${file}'`;
    return { ok: false, message: `Invalid JSON for ${subject}: ${detail}.` };
  }
}

/** Parses `text`, the value of `--<flag>` (or the contents of `file`), as a JSON object; `example` goes into the error message. */
export function parseJsonObjectOption(flag: string, text: string, example: string, file?: string): JsonOptionResult<JsonObject> {
  const parsed = parseJsonOption(flag, text, file);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, message: `\`--${flag}\` must be a JSON object (for example: '${example}').` };
  }
  return { ok: true, value };
}
