/**
 * An execution's family and a comparison, side by side: the lineage tree
 * (the original, its replays, their replays; GetExecutionLineage) and two
 * executions compared call by call (CompareExecutions): reused, same output,
 * changed output with its JSON changes, overridden, new, not reached.
 */
import { CallComparisonKind, type ExecutionLineage, type JsonChange, JsonChangeKind } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { callStatusFromProto, executionStatusFromProto } from "#contract/status.ts";
import { button, h, replaceChildren } from "./dom.ts";
import { versionChange } from "./flow-version.ts";
import { errorLine, runner } from "./rpc.ts";
import { executionHref } from "./state/executions-list.ts";
import { timeText } from "./state/format.ts";
import { changeText, COMPARISON_LABEL, countsText, firstComparison, type LineageTreeNode, lineageTree } from "./state/lineage.ts";
import { statusBadge } from "./value-elements.ts";

function changesList(changes: readonly JsonChange[]): HTMLElement | null {
  return changes.length === 0
    ? null
    : h("ul", { class: "changes mono" }, ...changes.map((c) => h("li", { class: `change-${JsonChangeKind[c.kind].toLowerCase()}` }, changeText(c))));
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
    let lineage: ExecutionLineage | undefined;
    try {
      lineage = (await runner.getExecutionLineage({ execId: this.#execId })).lineage;
    } catch (error) {
      replaceChildren(this.#tree, h("p", { class: "form-error" }, errorLine(error)));
      return;
    }
    if (lineage === undefined) return;
    this.#drawTree(lineage);
    const first = firstComparison(lineage, this.#execId);
    if (first) await this.compare(first.base, first.other);
    else replaceChildren(this.#diff, h("p", { class: "muted" }, "No replay of this execution yet: replay it to compare."));
  }

  #drawTree(lineage: ExecutionLineage): void {
    const item = ({ node, current, children }: LineageTreeNode): HTMLLIElement =>
      h(
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
          node.parentExecId
            ? button("diff", () => this.compare(node.parentExecId, node.execId), { class: "small", title: `compare with ${node.parentExecId}` })
            : null,
        ),
        children.length > 0 ? h("ul", {}, ...children.map(item)) : null,
      );
    replaceChildren(
      this.#tree,
      h("ul", { class: "tree" }, ...lineageTree(lineage, this.#execId).map(item)),
      lineage.truncated ? h("p", { class: "muted" }, "(more executions not shown)") : null,
    );
  }

  /** Shows `other` compared with `base`. */
  async compare(base: string, other: string): Promise<void> {
    try {
      const { comparison } = await runner.compareExecutions({ baseExecId: base, otherExecId: other });
      if (comparison === undefined) return;
      replaceChildren(
        this.#diff,
        h(
          "p",
          { class: "diff-title" },
          h("a", { href: executionHref(base), class: "mono" }, base),
          " → ",
          h("a", { href: executionHref(other), class: "mono" }, other),
        ),
        versionChange(comparison.baseFlowVersion, comparison.otherFlowVersion),
        h("p", { class: "muted" }, countsText(comparison.counts)),
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
                { "data-diff-call": call.invocationId, "data-kind": COMPARISON_LABEL[call.kind] },
                h("td", { class: "mono" }, call.invocationId),
                h("td", {}, h("span", { class: `kind kind-${CallComparisonKind[call.kind].toLowerCase()}` }, COMPARISON_LABEL[call.kind])),
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
