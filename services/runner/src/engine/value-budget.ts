/**
 * How many bytes of values (JSON text) one response carries at most. Values
 * past it are named in the response instead (`Execution.omitted_values`) and
 * read on their own with `ReadExecutionValue`, so an execution holding
 * several maximum-size values stays readable.
 */
export const RESPONSE_VALUE_BUDGET_BYTES = 8 * 1024 * 1024;

/** A value a response left out: its path and size. */
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
}

/** Where a value lives in an execution, as a `ReadExecutionValue` path names it. */
export type ValuePath =
  | { readonly kind: "input" }
  | { readonly kind: "result" }
  | { readonly kind: "output"; readonly invocationId: string }
  | { readonly kind: "override_value"; readonly invocationId: string }
  | { readonly kind: "wait_value"; readonly waitName: string };

/** The path text of a value. */
export function formatValuePath(path: ValuePath): string {
  switch (path.kind) {
    case "input":
    case "result":
      return path.kind;
    case "output":
    case "override_value":
      return `checkpoints/${path.invocationId}/${path.kind}`;
    case "wait_value":
      return `waits/${path.waitName}/value`;
  }
}

/** Parses a value path; undefined when it names no kind of value. */
export function parseValuePath(text: string): ValuePath | undefined {
  if (text === "input" || text === "result") return { kind: text };
  const wait = /^waits\/([^/]+)\/value$/.exec(text);
  if (wait !== null) return { kind: "wait_value", waitName: wait[1] ?? "" };
  const match = /^checkpoints\/([^/]+)\/(output|override_value)$/.exec(text);
  if (match === null) return undefined;
  const [, invocationId = "", kind] = match;
  return { kind: kind as "output" | "override_value", invocationId };
}
