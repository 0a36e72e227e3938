/**
 * The jobs list's "New replay job" form without the page: the job spec its
 * fields make (or the sentence saying which field is wrong), and the rows of
 * a plan-only answer (per source: re-executed and reused counts, or the
 * typed error that refused it).
 */
import type { JsonObject, JsonValue, MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { errorFromStatus } from "#contract/errors/index.ts";
import { replayJobItemStateFromProto } from "#contract/replay-job.ts";
import { type ExecutionStatus, executionStatusToProto } from "#contract/status.ts";
import type { ReplayJobItem, ReplayJobSpecSchema } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { executionHref } from "./executions-list.ts";

/** The statuses a job may select by; none ticked leaves the planner's default (all four). */
export const JOB_FORM_STATUSES = ["completed", "failed", "cancelled", "waiting"] as const satisfies readonly ExecutionStatus[];

/** The form's fields as typed. */
export interface JobFormFields {
  readonly flow: string;
  readonly statuses: readonly (typeof JOB_FORM_STATUSES)[number][];
  /** A `datetime-local` input's value (local time), or "". */
  readonly since: string;
  readonly until: string;
  /** A number input's value, or "". */
  readonly limit: string;
  readonly from: string;
  /** A JSON object's text such as `{"checkpoint.research": "Edited"}`, or "". */
  readonly overrides: string;
  /** Wait names separated by commas, or "". */
  readonly answerWaits: string;
}

/** What StartReplayJob is asked for in `spec`. */
export type JobSpecInit = MessageInitShape<typeof ReplayJobSpecSchema>;

/** The most sources one job holds (the planner refuses more). */
const MAX_LIMIT = 10_000;

function localTime(name: string, value: string): Date | string | undefined {
  if (value.trim() === "") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? `${name}: not a date and time` : date;
}

function overridesObject(text: string): JsonObject | string {
  if (text.trim() === "") return {};
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (error) {
    return `overrides: not valid JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return 'overrides: must be a JSON object such as {"checkpoint.research": "Edited notes"}';
  }
  return value;
}

/** The spec `fields` make (`planOnly`: a dry run that creates nothing), or the sentence naming the first wrong field. */
export function jobSpec(fields: JobFormFields, planOnly: boolean): JobSpecInit | string {
  const flowName = fields.flow.trim();
  if (flowName === "") return "flow: required";
  const from = fields.from.trim();
  if (from === "") return "from: required (a checkpoint name, invocation ID or call ID)";
  const since = localTime("since", fields.since);
  if (typeof since === "string") return since;
  const until = localTime("until", fields.until);
  if (typeof until === "string") return until;
  if (since && until && since.getTime() >= until.getTime()) return "until: must be later than since";
  let limit = 0;
  if (fields.limit.trim() !== "") {
    limit = Number(fields.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return `limit: a whole number from 1 to ${MAX_LIMIT}`;
  }
  const overrides = overridesObject(fields.overrides);
  if (typeof overrides === "string") return overrides;
  return {
    selection: {
      flowName,
      statuses: fields.statuses.map(executionStatusToProto),
      ...(since ? { since: timestampFromDate(since) } : {}),
      ...(until ? { until: timestampFromDate(until) } : {}),
      limit,
    },
    from,
    overrides,
    answerWaitsFromSource: fields.answerWaits
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
    planOnly,
  };
}

/** One source of a plan-only answer as its row shows it. */
export interface PlanRow {
  readonly index: number;
  readonly sourceExecId: string;
  readonly sourceHref: string;
  /** "planned" or "refused". */
  readonly state: string;
  /** Planned sources: the calls the replay would run again and those it would reuse. */
  readonly reexecuted: number | undefined;
  readonly reused: number | undefined;
  /** Refused sources: the typed error a replay of it would fail with. */
  readonly error: { readonly name: string; readonly message: string } | undefined;
}

/** The rows of a plan-only answer, in the job's order. */
export function planRows(items: readonly ReplayJobItem[]): PlanRow[] {
  return [...items]
    .sort((a, b) => a.index - b.index)
    .map((item) => {
      const error = item.error ? errorFromStatus(item.error) : undefined;
      return {
        index: item.index,
        sourceExecId: item.sourceExecId,
        sourceHref: executionHref(item.sourceExecId),
        state: replayJobItemStateFromProto(item.state),
        reexecuted: item.plan?.reexecute.length,
        reused: item.plan?.reuse.length,
        error: error ? { name: error.name, message: error.message } : undefined,
      };
    });
}

/** The line above the plan's rows: "3 sources: 2 planned, 1 refused" (no sources: says so). */
export function planHeadline(rows: readonly PlanRow[]): string {
  if (rows.length === 0) return "No execution matches this selection.";
  const refused = rows.filter((row) => row.error !== undefined).length;
  return `${rows.length} source${rows.length === 1 ? "" : "s"}: ${rows.length - refused} planned, ${refused} refused`;
}
