/**
 * Flow versions on the page: the version that created an execution and the
 * versions that ran it, the banner of an execution held for runners of one
 * version, the source and new versions of a replay plan, and the code change
 * between two compared executions.
 */
import type { Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ReplayPlan } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { divergenceDetailFromProto } from "#contract/failure.ts";
import { h } from "./dom.ts";

/** A flow version as shown: monospace, `unknown` when not recorded. */
function versionText(version: string): HTMLElement {
  return h("code", { class: "flow-version", title: version || "not recorded" }, version || "unknown");
}

/** "code v1" and, when other versions ran the body, "ran on v1 → v2". */
export function executionVersions(execution: Execution): HTMLElement {
  const runs = execution.flowVersionRuns.map((run) => run.flowVersion);
  const others = runs.some((version) => version !== execution.flowVersion);
  return h(
    "span",
    { "data-flow-version": execution.flowVersion, "data-flow-version-runs": runs.join(" ") },
    "code ",
    versionText(execution.flowVersion),
    others ? h("span", {}, " · ran on ", ...runs.flatMap((version, i) => [i > 0 ? " → " : "", versionText(version)])) : null,
  );
}

/**
 * The banner of a held execution: which runner it waits for, where the other
 * code diverged, and the two ways out (the hold's command cancels it before
 * replaying it: a replay needs a source that is not running).
 */
export function versionHoldBanner(execution: Execution): HTMLElement | null {
  const hold = execution.versionHold;
  if (hold === undefined) return null;
  const divergence = hold.divergence === undefined ? undefined : divergenceDetailFromProto(hold.divergence);
  return h(
    "div",
    { class: "version-hold", role: "status", "data-version-hold": hold.requiredFlowVersion },
    h("strong", {}, "Held: waiting for a runner of flow version "),
    versionText(hold.requiredFlowVersion),
    ". ",
    divergence
      ? h(
          "span",
          { "data-hold-divergence": divergence.invocationId },
          "Code of version ",
          versionText(divergence.flowVersion ?? ""),
          ` diverged at ${divergence.invocationId} (${divergence.kind.replace(/_/g, " ")}): the record holds ${divergence.recorded}; that code issued ${divergence.seen}, and ran nothing in its place.`,
        )
      : null,
    h(
      "p",
      {},
      "Start a runner of flow version ",
      versionText(hold.requiredFlowVersion),
      " to finish it as recorded",
      ...(divergence?.replayCommand
        ? [", or move its work to the new code: ", h("code", { class: "replay-command", "data-replay-command": "" }, divergence.replayCommand)]
        : []),
      ".",
    ),
  );
}

/** The plan summary's rows for the code: the source's version and the one the replay runs on. */
export function planVersionRows(plan: ReplayPlan): HTMLElement[] {
  const changed = plan.sourceFlowVersion !== "" && plan.flowVersion !== "" && plan.sourceFlowVersion !== plan.flowVersion;
  return [
    h("dt", {}, "code"),
    h(
      "dd",
      { "data-plan-versions": `${plan.sourceFlowVersion}>${plan.flowVersion}` },
      versionText(plan.sourceFlowVersion),
      " → ",
      versionText(plan.flowVersion),
      changed ? h("span", { class: "muted" }, " (the replay runs on other code than the source)") : h("span", { class: "muted" }, " (same code)"),
    ),
  ];
}

/** "code version changed: v1 → v2" when two compared executions ran on different known versions; null otherwise. */
export function versionChange(base: string, other: string): HTMLElement | null {
  if (base === "" || other === "" || base === other) return null;
  return h("p", { class: "version-change", "data-version-change": `${base}>${other}` }, "code version changed: ", versionText(base), " → ", versionText(other));
}
