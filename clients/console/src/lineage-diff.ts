/**
 * An execution's family and a comparison, side by side: the lineage tree
 * (the original, its replays, their replays; GetExecutionLineage) and two
 * executions compared call by call (CompareExecutions): reused, same output,
 * changed output with its JSON changes, overridden, new, not reached.
 */
import type { JsonChange } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { CallComparisonKind, JsonChangeKind, type ExecutionLineage, type LineageNode } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { callStatusFromProto, executionStatusFromProto } from "#contract/status.ts";
import { button, h, replaceChildren } from "./dom.ts";
import { jsonOf, shortJson, statusBadge, timeText } from "./format.ts";
import { executionHref } from "./executions-list.ts";
import { versionChange } from "./flow-version.ts";
import { errorLine, runner } from "./rpc.ts";

const KIND_LABEL: Readonly<Record<CallComparisonKind, string>> = {
  [CallComparisonKind.UNSPECIFIED]: "?",
  [CallComparisonKind.REUSED]: "reused",
  [CallComparisonKind.SAME_OUTPUT]: "same output",
  [CallComparisonKind.CHANGED_OUTPUT]: "changed output",
  [CallComparisonKind.OVERRIDDEN]: "overridden",
  [CallComparisonKind.NEW]: "new",
  [CallComparisonKind.NOT_REACHED]: "not reached",
};

function changeText(change: JsonChange): string {
  const where = change.path === "" ? "" : `${change.path}: `;
  if (change.kind === JsonChangeKind.ADDED) return `${where}+ ${shortJson(jsonOf(change.after), 70)}`;
  if (change.kind === JsonChangeKind.REMOVED) return `${where}− ${shortJson(jsonOf(change.before), 70)}`;
  return `${where}${shortJson(jsonOf(change.before), 50)} → ${shortJson(jsonOf(change.after), 50)}`;
}

function changesList(changes: readonly JsonChange[]): HTMLElement | null {
  return changes.length === 0 ? null : h("ul", { class: "changes mono" }, ...changes.map((c) => h("li", { class: `change-${JsonChangeKind[c.kind].toLowerCase()}` }, changeText(c))));
}

/** The lineage tree and the diff of `execId`, next to each other. */
export class LineageAndDiff {
  readonly element: HTMLElement;
  readonly #execId: string;
  readonly #tree = h("div", { class: "lineage-tree" });
  readonly #diff = h("div", { class: "diff" });

  constructor(execId: string) {
    this.#execId = execId;
    this.element = h(
      "section",
      { class: "lineage-and-diff", "aria-label": "Lineage and diff" },
      h("div", { class: "lineage-column" }, h("h2", {}, "Lineage"), this.#tree),
      h("div", { class: "diff-column" }, h("h2", {}, "Diff"), this.#diff),
    );
  }

  /** Reads the lineage again, and compares the execution with its source (or its latest replay). */
  async refresh(): Promise<void> {
    let lineage: ExecutionLineage;
    try {
      lineage = (await runner.getExecutionLineage({ execId: this.#execId })).lineage!;
    } catch (error) {
      replaceChildren(this.#tree, h("p", { class: "form-error" }, errorLine(error)));
      return;
    }
    this.#drawTree(lineage);
    const self = lineage.nodes.find((n) => n.execId === this.#execId);
    const children = lineage.nodes.filter((n) => n.parentExecId === this.#execId);
    if (self?.parentExecId) await this.compare(self.parentExecId, this.#execId);
    else if (children.length > 0) await this.compare(this.#execId, children[children.length - 1]!.execId);
    else replaceChildren(this.#diff, h("p", { class: "muted" }, "No replay of this execution yet: replay it to compare."));
  }

  #drawTree(lineage: ExecutionLineage): void {
    const byParent = new Map<string, LineageNode[]>();
    for (const node of lineage.nodes) byParent.set(node.parentExecId, [...(byParent.get(node.parentExecId) ?? []), node]);
    const item = (node: LineageNode): HTMLLIElement => {
      const children = byParent.get(node.execId) ?? [];
      const current = node.execId === this.#execId;
      return h(
        "li",
        { "data-lineage": node.execId, class: current ? "current" : undefined },
        h(
          "div",
          { class: "lineage-node" },
          statusBadge(executionStatusFromProto(node.status)),
          h("a", { href: executionHref(node.execId), class: "mono", "aria-current": current ? "page" : undefined }, node.execId),
          h("span", { class: "muted small" }, node.parentExecId ? `replay from ${node.replay?.from ?? "?"}` : "original"),
          node.retryCount ? h("span", { class: "muted small" }, `retried ${node.retryCount}×`) : null,
          h("span", { class: "muted small" }, timeText(node.createTime)),
          node.flowVersion ? h("code", { class: "muted small", "data-lineage-version": node.flowVersion }, node.flowVersion) : null,
          node.parentExecId ? button("diff", () => this.compare(node.parentExecId, node.execId), { class: "small", title: `compare with ${node.parentExecId}` }) : null,
        ),
        children.length > 0 ? h("ul", {}, ...children.map(item)) : null,
      );
    };
    const roots = lineage.nodes.filter((n) => !n.parentExecId || !lineage.nodes.some((m) => m.execId === n.parentExecId));
    replaceChildren(this.#tree, h("ul", { class: "tree" }, ...roots.map(item)), lineage.truncated ? h("p", { class: "muted" }, "(more executions not shown)") : null);
  }

  /** Shows `other` compared with `base`. */
  async compare(base: string, other: string): Promise<void> {
    try {
      const comparison = (await runner.compareExecutions({ baseExecId: base, otherExecId: other })).comparison!;
      const counts = Object.entries(comparison.counts)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${n} ${kind.replace(/_/g, " ")}`)
        .join(" · ");
      replaceChildren(
        this.#diff,
        h("p", { class: "diff-title" }, h("a", { href: executionHref(base), class: "mono" }, base), " → ", h("a", { href: executionHref(other), class: "mono" }, other)),
        versionChange(comparison.baseFlowVersion, comparison.otherFlowVersion),
        h("p", { class: "muted" }, counts),
        comparison.inputChanges.length > 0 ? h("div", {}, h("h3", {}, "input"), changesList(comparison.inputChanges)) : null,
        h(
          "table",
          { class: "diff-table" },
          h("thead", {}, h("tr", {}, ...["Call", "Kind", "Before", "After", "Changes"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            ...comparison.calls.map((call) =>
              h(
                "tr",
                { "data-diff-call": call.invocationId, "data-kind": KIND_LABEL[call.kind] },
                h("td", { class: "mono" }, call.invocationId),
                h("td", {}, h("span", { class: `kind kind-${CallComparisonKind[call.kind].toLowerCase()}` }, KIND_LABEL[call.kind])),
                h("td", { class: "cell-status" }, call.base ? callStatusFromProto(call.base.status) : "–"),
                h("td", { class: "cell-status" }, call.other ? callStatusFromProto(call.other.status) : "–"),
                h("td", {}, changesList(call.changes)),
              ),
            ),
          ),
        ),
        comparison.resultChanges.length > 0 ? h("div", {}, h("h3", {}, "result"), changesList(comparison.resultChanges)) : null,
      );
    } catch (error) {
      replaceChildren(this.#diff, h("p", { class: "form-error" }, errorLine(error)));
    }
  }
}
