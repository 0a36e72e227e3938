// @tier unit
/** The jobs list's "New replay job" form without the page (clients/console/src/state/replay-job-form.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { errorToStatus, KitaruNotFoundError } from "#contract/errors/index.ts";
import { StartReplayJobRequestSchema } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { ReplayJobItemSchema, ReplayJobItemState } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { type JobFormFields, jobSpec, planHeadline, planRows } from "../../clients/console/src/state/replay-job-form.ts";

const empty: JobFormFields = { flow: "", statuses: [], since: "", until: "", limit: "", from: "", overrides: "", answerWaits: "" };
const minimal: JobFormFields = { ...empty, flow: " content_pipeline ", from: " write_draft " };

/** The request the form's spec makes, as it goes on the wire. */
function request(fields: JobFormFields, planOnly: boolean) {
  const spec = jobSpec(fields, planOnly);
  if (typeof spec === "string") assert.fail(`refused: ${spec}`);
  return create(StartReplayJobRequestSchema, { spec });
}

describe("the console's new replay job form, without the page", () => {
  it("asks for the flow and from, and leaves statuses, window and limit to the planner's defaults", () => {
    assert.equal(jobSpec(empty, true), "flow: required");
    assert.match(jobSpec({ ...empty, flow: "content_pipeline" }, true) as string, /^from: required/);
    const spec = request(minimal, true).spec!;
    assert.equal(spec.selection!.flowName, "content_pipeline");
    assert.equal(spec.from, "write_draft");
    assert.deepEqual(spec.selection!.statuses, []);
    assert.equal(spec.selection!.since, undefined);
    assert.equal(spec.selection!.limit, 0);
    assert.deepEqual(spec.overrides, {});
    assert.deepEqual(spec.answerWaitsFromSource, []);
    assert.equal(spec.planOnly, true);
    assert.equal(request(minimal, false).spec!.planOnly, false);
  });

  it("sends every field given: statuses, local times, limit, overrides and wait names", () => {
    const spec = request(
      {
        ...minimal,
        statuses: ["failed", "waiting"],
        since: "2026-12-01T08:30",
        until: "2026-12-02T00:00",
        limit: "25",
        overrides: '{"checkpoint.research": "Edited notes", "checkpoint.plan": {"steps": 2}}',
        answerWaits: " approval, ,review ",
      },
      false,
    ).spec!;
    assert.deepEqual(spec.selection!.statuses, [ExecutionStatus.FAILED, ExecutionStatus.WAITING]);
    // datetime-local values are the browser's local time.
    assert.equal(timestampDate(spec.selection!.since!).getTime(), new Date(2026, 11, 1, 8, 30).getTime());
    assert.equal(timestampDate(spec.selection!.until!).getTime(), new Date(2026, 11, 2).getTime());
    assert.equal(spec.selection!.limit, 25);
    assert.deepEqual(spec.overrides, { "checkpoint.research": "Edited notes", "checkpoint.plan": { steps: 2 } });
    assert.deepEqual(spec.answerWaitsFromSource, ["approval", "review"]);
  });

  it("refuses overrides that are not a JSON object, a bad limit and an empty window, saying which field", () => {
    assert.match(jobSpec({ ...minimal, overrides: "{checkpoint.research: 1}" }, true) as string, /^overrides: not valid JSON/);
    for (const text of ['["a"]', '"text"', "null", "3"]) {
      assert.match(jobSpec({ ...minimal, overrides: text }, true) as string, /^overrides: must be a JSON object/, text);
    }
    for (const limit of ["0", "-2", "2.5", "10001"]) {
      assert.equal(jobSpec({ ...minimal, limit }, true), "limit: a whole number from 1 to 10000", limit);
    }
    assert.equal(jobSpec({ ...minimal, since: "2026-12-02T00:00", until: "2026-12-01T00:00" }, true), "until: must be later than since");
    assert.equal(jobSpec({ ...minimal, since: "yesterday" }, true), "since: not a date and time");
  });

  it("shows a plan-only answer's sources in order: counts of planned ones, the typed error of refused ones", () => {
    const planned = create(ReplayJobItemSchema, {
      index: 0,
      sourceExecId: "kr-a",
      state: ReplayJobItemState.PLANNED,
      plan: { reexecute: [{ invocationId: "write_draft" }, { invocationId: "publish" }], reuse: [{ invocationId: "research" }] },
    });
    const refused = create(ReplayJobItemSchema, {
      index: 1,
      sourceExecId: "kr-b",
      state: ReplayJobItemState.REFUSED,
      error: errorToStatus(new KitaruNotFoundError("Execution 'kr-b' was not found.", { resourceType: "execution", resourceName: "kr-b" })).details,
    });
    const rows = planRows([refused, planned]);
    assert.deepEqual(
      rows.map((r) => [r.sourceExecId, r.sourceHref, r.state, r.reexecuted, r.reused, r.error?.name]),
      [
        ["kr-a", "#/executions/kr-a", "planned", 2, 1, undefined],
        ["kr-b", "#/executions/kr-b", "refused", undefined, undefined, "KitaruNotFoundError"],
      ],
    );
    assert.equal(rows[1]!.error!.message, "Execution 'kr-b' was not found.");
    assert.equal(planHeadline(rows), "2 sources: 1 planned, 1 refused");
    assert.equal(planHeadline([]), "No execution matches this selection.");
  });
});
