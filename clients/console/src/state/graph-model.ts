/**
 * The checkpoint graph as drawn: one node per call, or one group node for
 * the calls of a checkpoint name called many times (until expanded); data
 * edges (an output handle passed as an argument) and load edges (an output
 * awaited by the flow body before the call was issued).
 */
import { CheckpointCallStatus, type CheckpointCall } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { callStatusFromProto } from "#contract/status.ts";
import { durationMs, durationText } from "./format.ts";

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
    const to = nodeOf.get(call.invocationId) ?? call.invocationId; // every call was given a node above
    for (const dep of call.dataDependencies) add(dep, to, "data");
    for (const dep of call.loadDependencies) add(dep, to, "load");
  }
  const edgeList = [...edges.values()];
  const shapeKey = `${nodes.map((n) => `${n.id}:${n.calls.length}`).join(",")}|${edgeList.map((e) => `${e.from}>${e.to}:${e.kind}`).join(",")}`;
  return { nodes, edges: edgeList, nodeOf, shapeKey };
}

/** A replay plan as marks on the graph's nodes, by invocation ID. */
export interface PlanMarks {
  readonly from: string;
  readonly roots: ReadonlySet<string>;
  readonly reexecute: ReadonlySet<string>;
  readonly reuse: ReadonlySet<string>;
  /** Override key by the invocation ID it lands on. */
  readonly overrideTargets: ReadonlyMap<string, string>;
  readonly consumers: ReadonlySet<string>;
}

/** What a drawn node shows at the moment: repainted in place on every status or plan change, without moving anything. */
export interface NodePaint {
  /** Its status: the call's, or for a group the most urgent (failed, running, cancelled) else the most telling. */
  readonly status: string;
  /** Its plan words, e.g. ["root", "re-executed"] (the `data-plan` attribute). */
  readonly plan: readonly string[];
  /** Its CSS classes: status, group, selection, plan words, reuse and override markers. */
  readonly classes: string;
  /** The line under its title: status, attempts, duration (a group: counts by status). */
  readonly subtitle: string;
  /** The line of marks: reused, overridden, and the plan's words (an override by its key). */
  readonly marks: string;
}

/** The words of a node's plan marks, e.g. ["root", "re-executed"]. */
function planWords(ids: readonly string[], marks: PlanMarks | undefined): string[] {
  if (!marks) return [];
  const any = (set: ReadonlySet<string> | ReadonlyMap<string, string>) => ids.some((id) => set.has(id));
  const words: string[] = [];
  if (ids.includes(marks.from)) words.push("from");
  if (any(marks.roots)) words.push("root");
  if (any(marks.reexecute)) words.push("re-executed");
  if (any(marks.reuse)) words.push("reused");
  if (any(marks.overrideTargets)) words.push("override");
  if (any(marks.consumers)) words.push("consumer");
  return words;
}

/** The status a group shows: failed or running before the others, else the most common. */
function groupStatus(calls: readonly CheckpointCall[]): string {
  const statuses: string[] = calls.map((c) => callStatusFromProto(c.status));
  for (const urgent of ["failed", "running", "cancelled"]) if (statuses.includes(urgent)) return urgent;
  return statuses.every((s) => s === "reused") ? "reused" : "completed";
}

function nodeSubtitle(node: GraphNode): string {
  if (node.group) {
    const counts = new Map<string, number>();
    for (const c of node.calls) {
      const s = callStatusFromProto(c.status);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    return [...counts].map(([s, n]) => `${n} ${s}`).join(" · ");
  }
  const [call] = node.calls;
  if (call === undefined) return "";
  const parts: string[] = [callStatusFromProto(call.status)];
  if (call.attempts > 1) parts.push(`${call.attempts} attempts`);
  if (call.status !== CheckpointCallStatus.REUSED) parts.push(durationText(durationMs(call.startTime, call.endTime)));
  return parts.join(" · ");
}

/** How `node` is painted with the plan `marks` drawn over the graph and `selected` the selected node. */
export function nodePaint(node: GraphNode, marks: PlanMarks | undefined, selected: string | undefined): NodePaint {
  const ids = node.calls.map((c) => c.invocationId);
  const [first] = node.calls;
  const status = node.group || first === undefined ? groupStatus(node.calls) : callStatusFromProto(first.status);
  const plan = planWords(ids, marks);
  const markers: string[] = [];
  if (node.calls.some((c) => c.reusedFromCallId)) markers.push("reused");
  if (node.calls.some((c) => c.overridden)) markers.push("overridden");
  const classes = [
    "node",
    `status-${status}`,
    node.group ? "group" : "",
    node.id === selected ? "selected" : "",
    ...plan.map((w) => `plan-${w}`),
    ...markers.map((m) => `marker-${m}`),
  ]
    .filter(Boolean)
    .join(" ");
  const overrideKey = ids.map((id) => marks?.overrideTargets.get(id)).find(Boolean);
  const words = [
    ...markers.map((m) => (m === "reused" ? "↺ reused" : "✎ overridden")),
    ...plan.map((w) => (w === "override" && overrideKey ? `◆ ${overrideKey}` : w)),
  ];
  return { status, plan, classes, subtitle: nodeSubtitle(node), marks: words.join(" · ") };
}
