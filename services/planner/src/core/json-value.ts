/**
 * Checks that an untrusted value is JSON before it enters a plan.
 *
 * Replay `args` and override values arrive as `unknown`; the plan promises
 * {@link JsonValue}s, which the server layer turns into `google.protobuf.Value`.
 *
 * @module
 */
import type { FieldViolation } from "#contract/errors/kitaru-error.ts";

/** True for `{}`-style objects (prototype `Object.prototype` or `null`), not arrays, dates or class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short noun for what a value is, for messages ("an array", "null", "a string"). */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (isPlainObject(value)) return "an object";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "a class"}`;
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}

type Frame = { readonly value: unknown; readonly path: string } | { readonly leave: object };

/**
 * Lists every place where `value` is not JSON, in document order.
 *
 * Paths are dotted (`items.0.title`), relative to `value` ("" for the value
 * itself). Rejects `undefined`, non-finite numbers, bigints, functions,
 * symbols, non-plain objects and cycles. Iterative, so deep values cannot
 * overflow the stack.
 */
export function jsonViolations(value: unknown): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const onPath = new Set<object>();
  const stack: Frame[] = [{ value, path: "" }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if ("leave" in frame) {
      onPath.delete(frame.leave);
      continue;
    }
    const { value: v, path } = frame;
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) violations.push({ field: path, description: `must be a finite number, not ${v}` });
      continue;
    }
    const isArray = Array.isArray(v);
    if (!isArray && !isPlainObject(v)) {
      violations.push({ field: path, description: `must be a JSON value, not ${describeJsonType(v)}` });
      continue;
    }
    if (onPath.has(v)) {
      violations.push({ field: path, description: "must not contain itself (a cycle)" });
      continue;
    }
    onPath.add(v);
    stack.push({ leave: v });
    const entries: [string, unknown][] = isArray ? Array.from(v, (item, i) => [String(i), item]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, child] = entries[i] as [string, unknown];
      stack.push({ value: child, path: path === "" ? k : `${path}.${k}` });
    }
  }
  return violations;
}

/** Formats violations for a message: `topic: must be ...; items.0: must be ...`. */
export function formatViolations(violations: readonly FieldViolation[]): string {
  return violations.map((v) => `${v.field === "" ? "(the value itself)" : v.field}: ${v.description}`).join("; ");
}
