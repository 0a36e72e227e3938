/**
 * An execution's family and a comparison without the page: the lineage as a
 * tree (the original, its replays, their replays), which two executions the
 * diff shows first, and how a comparison reads.
 */
import { CallComparisonKind, type ExecutionLineage, type JsonChange, JsonChangeKind, type LineageNode } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { jsonOf, shortJson } from "./format.ts";

/** How the diff names each kind of call comparison. */
export const COMPARISON_LABEL: Readonly<Record<CallComparisonKind, string>> = {
  [CallComparisonKind.UNSPECIFIED]: "?",
  [CallComparisonKind.REUSED]: "reused",
  [CallComparisonKind.SAME_OUTPUT]: "same output",
  [CallComparisonKind.CHANGED_OUTPUT]: "changed output",
  [CallComparisonKind.OVERRIDDEN]: "overridden",
  [CallComparisonKind.NEW]: "new",
  [CallComparisonKind.NOT_REACHED]: "not reached",
};

/** One JSON change on one line: `path: + added`, `path: − removed`, `path: before → after`. */
export function changeText(change: JsonChange): string {
  const where = change.path === "" ? "" : `${change.path}: `;
  if (change.kind === JsonChangeKind.ADDED) return `${where}+ ${shortJson(jsonOf(change.after), 70)}`;
  if (change.kind === JsonChangeKind.REMOVED) return `${where}− ${shortJson(jsonOf(change.before), 70)}`;
  return `${where}${shortJson(jsonOf(change.before), 50)} → ${shortJson(jsonOf(change.after), 50)}`;
}

/** A comparison's counts by kind, the kinds that occur: "3 reused · 1 changed output". */
export function countsText(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind.replace(/_/g, " ")}`)
    .join(" · ");
}

/** A node of the lineage tree, with its replays below it. */
export interface LineageTreeNode {
  readonly node: LineageNode;
  /** It is the execution the page shows. */
  readonly current: boolean;
  readonly children: readonly LineageTreeNode[];
}

/** The lineage as trees under `current`'s page: roots are the executions whose source is not in the lineage. */
export function lineageTree(lineage: ExecutionLineage, current: string): LineageTreeNode[] {
  const byParent = new Map<string, LineageNode[]>();
  for (const node of lineage.nodes) byParent.set(node.parentExecId, [...(byParent.get(node.parentExecId) ?? []), node]);
  const known = new Set(lineage.nodes.map((n) => n.execId));
  const tree = (node: LineageNode, seen: ReadonlySet<string>): LineageTreeNode => ({
    node,
    current: node.execId === current,
    // `seen` guards against a cycle in what the runner sent (a tree cannot have one).
    children: (byParent.get(node.execId) ?? []).filter((c) => !seen.has(c.execId)).map((c) => tree(c, new Set([...seen, c.execId]))),
  });
  return lineage.nodes.filter((n) => !n.parentExecId || !known.has(n.parentExecId)).map((n) => tree(n, new Set([n.execId])));
}

/** The two executions the diff compares first: `current` with its source, else with its latest replay; none when it has neither. */
export function firstComparison(lineage: ExecutionLineage, current: string): { readonly base: string; readonly other: string } | undefined {
  const self = lineage.nodes.find((n) => n.execId === current);
  if (self?.parentExecId) return { base: self.parentExecId, other: current };
  const latest = lineage.nodes.filter((n) => n.parentExecId === current).at(-1);
  return latest ? { base: current, other: latest.execId } : undefined;
}
