/**
 * The checkpoint graph as drawn: one node per call, or one group node for
 * the calls of a checkpoint name called many times (until expanded); data
 * edges (an output handle passed as an argument) and load edges (an output
 * awaited by the flow body before the call was issued).
 */
import type { CheckpointCall } from "#gen/kitaru/runner/v1/execution_pb.ts";

/** Calls of one name beyond this many are drawn as one group node until expanded. */
const GROUP_THRESHOLD = 8;

/** A node of the drawn graph. */
export interface GraphNode {
  /** The invocation ID, or `group:<name>` for a group. */
  readonly id: string;
  readonly label: string;
  /** The calls it stands for (one, or a group's). */
  readonly calls: readonly CheckpointCall[];
  readonly group: boolean;
}

/** An edge of the drawn graph. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: "data" | "load";
}

/** What to draw for `calls`, with the groups in `expanded` drawn call by call. */
export interface GraphModel {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** Node of each invocation ID. */
  readonly nodeOf: ReadonlyMap<string, string>;
  /** A key that changes only when nodes or edges do (not on status changes): when the layout must be redone. */
  readonly shapeKey: string;
}

/** The node ID of a group of calls named `name`. */
function groupId(name: string): string {
  return `group:${name}`;
}

/** Builds the drawn graph of `calls`. */
export function graphModel(calls: readonly CheckpointCall[], expanded: ReadonlySet<string>): GraphModel {
  const ordered = [...calls].sort((a, b) => Number(a.sequence - b.sequence));
  const byName = new Map<string, CheckpointCall[]>();
  for (const call of ordered) byName.set(call.name, [...(byName.get(call.name) ?? []), call]);
  const nodeOf = new Map<string, string>();
  const nodes: GraphNode[] = [];
  const groupsDone = new Set<string>();
  for (const call of ordered) {
    const same = byName.get(call.name) ?? [];
    if (same.length > GROUP_THRESHOLD && !expanded.has(call.name)) {
      nodeOf.set(call.invocationId, groupId(call.name));
      if (groupsDone.has(call.name)) continue;
      groupsDone.add(call.name);
      nodes.push({ id: groupId(call.name), label: `${call.name} ×${same.length}`, calls: same, group: true });
    } else {
      nodeOf.set(call.invocationId, call.invocationId);
      nodes.push({ id: call.invocationId, label: call.invocationId, calls: [call], group: false });
    }
  }
  const edges = new Map<string, GraphEdge>();
  const add = (fromInvocation: string, toNode: string, kind: "data" | "load") => {
    const from = nodeOf.get(fromInvocation);
    if (from === undefined || from === toNode) return;
    const key = `${from}→${toNode}`;
    // A data edge wins over a load edge between the same nodes.
    if (edges.get(key)?.kind === "data") return;
    edges.set(key, { from, to: toNode, kind });
  };
  for (const call of ordered) {
    const to = nodeOf.get(call.invocationId)!;
    for (const dep of call.dataDependencies) add(dep, to, "data");
    for (const dep of call.loadDependencies) add(dep, to, "load");
  }
  const edgeList = [...edges.values()];
  const shapeKey = `${nodes.map((n) => `${n.id}:${n.calls.length}`).join(",")}|${edgeList.map((e) => `${e.from}>${e.to}:${e.kind}`).join(",")}`;
  return { nodes, edges: edgeList, nodeOf, shapeKey };
}
