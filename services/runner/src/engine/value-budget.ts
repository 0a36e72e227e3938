import { valueWireBytes, type JsonValue } from "#contract/json-value.ts";
import type { Payload } from "../store/records.ts";
import type { ValueCodec } from "../store/value-codec.ts";

/**
 * How many bytes of values one response carries at most, counted as they
 * are encoded on the wire (`google.protobuf.Value`, where a number costs 9
 * bytes and its JSON text maybe 2). Values past it are named in the response
 * instead (`omitted_values`) and read on their own with `ReadExecutionValue`,
 * so an execution holding several maximum-size values stays readable by
 * clients with the default 4 MiB receive limit (docs/limits.md).
 */
export const RESPONSE_VALUE_BUDGET_BYTES = 2 * 1024 * 1024;

/**
 * A value's encoded size is at least a sixth of its JSON text (an escaped
 * control character: 6 bytes of JSON, 1 on the wire): a value whose JSON is
 * more than this many times the budget left cannot fit, and is not parsed.
 */
const JSON_BYTES_PER_WIRE_BYTE = 6;

/** A value a response left out: its path and size (as JSON text, what `ReadExecutionValue` streams). */
export interface OmittedValue {
  readonly path: string;
  readonly bytes: number;
}

/**
 * The bytes of values one response may still carry, shared by the executions
 * of a list page. Values are admitted in the order they are offered; one that
 * does not fit is left out (a later, smaller one may still fit).
 */
export class ValueBudget {
  #remaining: number;

  constructor(bytes = RESPONSE_VALUE_BUDGET_BYTES) {
    this.#remaining = bytes;
  }

  /** Takes `bytes` from the budget when they fit; false (and nothing taken) when not. */
  take(bytes: number): boolean {
    if (bytes > this.#remaining) return false;
    this.#remaining -= bytes;
    return true;
  }

  /**
   * The value of `payload` when its encoded size fits what is left (and is
   * taken from it); else undefined, and `omit` is told the value's path and
   * JSON size. Values stored as blobs (over 4 MiB of JSON) never fit: they
   * are left out without being read.
   */
  admit(codec: ValueCodec, payload: Payload | undefined, path: ValuePath, omit: (value: OmittedValue) => void): JsonValue | undefined {
    if (payload === undefined) return undefined;
    const jsonBytes = codec.bytes(payload);
    if (payload.kind === "inline" && jsonBytes <= this.#remaining * JSON_BYTES_PER_WIRE_BYTE) {
      const value = codec.loadInline(payload);
      if (this.take(valueWireBytes(value))) return value;
    }
    omit({ path: formatValuePath(path), bytes: jsonBytes });
    return undefined;
  }
}

/** Where a value lives in an execution, as a `ReadExecutionValue` path names it. */
export type ValuePath =
  | { readonly kind: "input" }
  | { readonly kind: "result" }
  | { readonly kind: "output"; readonly invocationId: string }
  | { readonly kind: "override_value"; readonly invocationId: string }
  | { readonly kind: "wait_value"; readonly wait: string };

/** The path text of a value. */
function formatValuePath(path: ValuePath): string {
  switch (path.kind) {
    case "input":
    case "result":
      return path.kind;
    case "output":
    case "override_value":
      return `checkpoints/${path.invocationId}/${path.kind}`;
    case "wait_value":
      return `waits/${path.wait}/value`;
  }
}

/** Parses a value path; undefined when it names no kind of value. */
export function parseValuePath(text: string): ValuePath | undefined {
  if (text === "input" || text === "result") return { kind: text };
  const wait = /^waits\/([^/]+)\/value$/.exec(text);
  if (wait !== null) return { kind: "wait_value", wait: wait[1] ?? "" };
  const match = /^checkpoints\/([^/]+)\/(output|override_value)$/.exec(text);
  if (match === null) return undefined;
  const [, invocationId = "", kind] = match;
  return { kind: kind as "output" | "override_value", invocationId };
}
