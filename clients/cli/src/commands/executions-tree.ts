/**
 * `kitaru executions tree <exec_id> [--max N]`: the execution's family as a
 * tree: its original, the replays of it and of its replays.
 *
 * @module
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { ExecutionLineage, LineageNode } from "../../../ts/src/index.ts";
import { printItem } from "../output.ts";
import type { CommandRunner } from "./context.ts";

/** The family as JSON: Kitaru-style snake_case keys. */
function lineageItem(lineage: ExecutionLineage): JsonObject {
  return {
    exec_id: lineage.execId,
    root_exec_id: lineage.rootExecId,
    truncated: lineage.truncated,
    nodes: lineage.nodes.map((node) => ({
      exec_id: node.execId,
      flow_name: node.flowName,
      status: node.status,
      edge: node.edge,
      parent_exec_id: node.parentExecId === "" ? null : node.parentExecId,
      replay: node.replay === undefined ? null : { from: node.replay.from, roots: [...node.replay.roots], override_keys: [...node.replay.overrideKeys] },
      retry_count: node.retryCount,
      checkpoint_count: node.checkpointCount,
      flow_version: node.flowVersion || null,
      created_at: node.createTime?.toISOString() ?? null,
    })),
  };
}

/** One line per execution, indented under its parent with tree branches; the asked execution marked. */
function renderLineage(lineage: ExecutionLineage): string[] {
  const children = new Map<string, LineageNode[]>();
  for (const node of lineage.nodes) {
    if (node.parentExecId === "") continue;
    const siblings = children.get(node.parentExecId);
    if (siblings === undefined) children.set(node.parentExecId, [node]);
    else siblings.push(node);
  }
  const lines: string[] = [];
  const describe = (node: LineageNode): string => {
    const parts = [node.execId, node.status];
    if (node.replay !== undefined) {
      const overrides = node.replay.overrideKeys.length > 0 ? `, overrides ${node.replay.overrideKeys.join(", ")}` : "";
      parts.push(`replay from ${node.replay.from}${overrides}`);
    } else {
      parts.push(`original (${node.flowName})`);
    }
    parts.push(`${node.checkpointCount} call${node.checkpointCount === 1 ? "" : "s"}`);
    if (node.flowVersion !== "") parts.push(`flow version ${node.flowVersion}`);
    if (node.retryCount > 0) parts.push(`retried ${node.retryCount}×`);
    return `${parts.join("  ")}${node.execId === lineage.execId ? "  ←" : ""}`;
  };
  const walk = (node: LineageNode, prefix: string, branch: string) => {
    lines.push(`${prefix}${branch}${describe(node)}`);
    const below = children.get(node.execId) ?? [];
    const childPrefix = branch === "" ? "" : `${prefix}${branch === "└── " ? "    " : "│   "}`;
    for (const [i, child] of below.entries()) walk(child, childPrefix, i === below.length - 1 ? "└── " : "├── ");
  };
  const root = lineage.nodes[0];
  if (root !== undefined) walk(root, "", "");
  if (lineage.truncated) lines.push(`… more executions than shown (--max)`);
  return lines;
}

/** Prints the tree (text) or `{"command": "executions.tree", "item"}`. */
export const runExecutionsTree: CommandRunner<"executions.tree"> = async (command, { io, client }) => {
  const lineage = await client.executions.lineage(command.execId, command.max === undefined ? {} : { maxNodes: command.max });
  if (command.output === "json") printItem(io, command.kind, lineageItem(lineage));
  else for (const line of renderLineage(lineage)) io.out(line);
  return 0;
};
