/**
 * Two executions compared call by call (`CompareExecutions`): one shape for
 * the runner's engine, which computes it from its records, and the client,
 * which reads it back, with the protobuf form of its kinds.
 *
 * @module
 */
import { CallComparisonKind as CallComparisonKindPb, JsonChangeKind as JsonChangeKindPb } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import type { JsonValue } from "./json-value.ts";

/** One difference between two JSON values, at a path. */
export interface JsonChange {
  /** A path like `items[2].title`; `""` for the whole value. */
  readonly path: string;
  readonly kind: "added" | "removed" | "changed";
  /** The value before; undefined for `added`. */
  readonly before?: JsonValue | undefined;
  /** The value after; undefined for `removed`. */
  readonly after?: JsonValue | undefined;
}

/** Every way one call can differ between two executions, in the order a comparison counts them. */
const CALL_COMPARISON_KINDS = ["reused", "same_output", "changed_output", "overridden", "new", "not_reached"] as const;

/** How one call differs between two executions. */
export type CallComparisonKind = (typeof CALL_COMPARISON_KINDS)[number];

/** One invocation ID in two executions; `Call` is how the reader holds a call (the engine's record, the client's call). */
export interface CallComparison<Call> {
  readonly invocationId: string;
  readonly name: string;
  readonly kind: CallComparisonKind;
  /** The call in the base execution; undefined when it has none. */
  readonly base: Call | undefined;
  /** The call in the other execution; undefined when it has none. */
  readonly other: Call | undefined;
  /** What the flow saw, base → other (for changed_output and overridden). */
  readonly changes: readonly JsonChange[];
}

/** Two executions compared call by call. */
export interface ExecutionComparison<Call> {
  readonly baseExecId: string;
  readonly otherExecId: string;
  readonly calls: readonly CallComparison<Call>[];
  readonly inputChanges: readonly JsonChange[];
  readonly resultChanges: readonly JsonChange[];
  /** Calls per kind. */
  readonly counts: Readonly<Record<CallComparisonKind, number>>;
  /** The flow versions of the two executions' code; `""` when unknown. They differ when the code changed between them. */
  readonly baseFlowVersion: string;
  readonly otherFlowVersion: string;
}

/** How many calls of each kind `calls` holds (0 for a kind it has none of). */
export function countByKind(calls: readonly { readonly kind: CallComparisonKind }[]): Record<CallComparisonKind, number> {
  const counts = Object.fromEntries(CALL_COMPARISON_KINDS.map((kind) => [kind, 0])) as Record<CallComparisonKind, number>;
  for (const call of calls) counts[call.kind] += 1;
  return counts;
}

const kindToPb: Readonly<Record<CallComparisonKind, CallComparisonKindPb>> = {
  reused: CallComparisonKindPb.REUSED,
  same_output: CallComparisonKindPb.SAME_OUTPUT,
  changed_output: CallComparisonKindPb.CHANGED_OUTPUT,
  overridden: CallComparisonKindPb.OVERRIDDEN,
  new: CallComparisonKindPb.NEW,
  not_reached: CallComparisonKindPb.NOT_REACHED,
};

const changeKindToPb: Readonly<Record<JsonChange["kind"], JsonChangeKindPb>> = {
  added: JsonChangeKindPb.ADDED,
  removed: JsonChangeKindPb.REMOVED,
  changed: JsonChangeKindPb.CHANGED,
};

/** The `CallComparisonKind` enum value of a kind. */
export function callComparisonKindToProto(kind: CallComparisonKind): CallComparisonKindPb {
  return kindToPb[kind];
}

/** The kind of a `CallComparisonKind` enum value; unset or unknown reads as `changed_output` (the call differs, how is not known). */
export function callComparisonKindFromProto(kind: CallComparisonKindPb): CallComparisonKind {
  return CALL_COMPARISON_KINDS.find((k) => kindToPb[k] === kind) ?? "changed_output";
}

/** The `JsonChangeKind` enum value of a change's kind. */
export function jsonChangeKindToProto(kind: JsonChange["kind"]): JsonChangeKindPb {
  return changeKindToPb[kind];
}

/** The kind of a `JsonChangeKind` enum value; unset or unknown reads as `changed`. */
export function jsonChangeKindFromProto(kind: JsonChangeKindPb): JsonChange["kind"] {
  return kind === JsonChangeKindPb.ADDED ? "added" : kind === JsonChangeKindPb.REMOVED ? "removed" : "changed";
}
