/**
 * The replay composer without the page: the request its fields make, the
 * marks a plan draws on the graph, and which plan and request ID are current
 * as the fields change.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { ReplayPlan } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { PlanMarks } from "./graph-model.ts";

/** The composer's fields as typed. */
export interface ReplayFields {
  /** The call to replay from (an invocation ID). */
  readonly from: string;
  /** The new input, JSON text ("" keeps the source's: `{}`). */
  readonly input: string;
  /** Override rows: a key such as `checkpoint.research` and a JSON value's text; rows without a key are left out. */
  readonly overrides: readonly { readonly key: string; readonly value: string }[];
}

/** What PlanReplay and ReplayExecution are asked. */
export interface ReplayRequest {
  readonly from: string;
  readonly args: JsonObject;
  readonly overrides: JsonObject;
}

/** The request `fields` make, or the sentence saying which field is not JSON. */
export function replayRequest(fields: ReplayFields): ReplayRequest | string {
  let args: JsonValue;
  try {
    args = fields.input.trim() === "" ? {} : (JSON.parse(fields.input) as JsonValue);
  } catch {
    return "input: not valid JSON";
  }
  if (args === null || typeof args !== "object" || Array.isArray(args)) return "input: must be a JSON object";
  const overrides: JsonObject = {};
  for (const row of fields.overrides) {
    const key = row.key.trim();
    if (key === "") continue;
    try {
      overrides[key] = JSON.parse(row.value) as JsonValue;
    } catch {
      return `${key}: the value is not valid JSON`;
    }
  }
  return { from: fields.from.trim(), args, overrides };
}

/** The marks `plan` draws on the graph. */
export function planMarks(plan: ReplayPlan): PlanMarks {
  const ids = (calls: readonly { invocationId: string }[]) => new Set(calls.map((c) => c.invocationId));
  const overrideTargets = new Map<string, string>();
  const consumers = new Set<string>();
  for (const override of plan.overrides) {
    if (override.target) overrideTargets.set(override.target.invocationId, override.key);
    for (const consumer of override.consumerInvocationIds) consumers.add(consumer);
  }
  return {
    from: plan.fromCall?.invocationId ?? plan.from,
    roots: ids(plan.roots),
    reexecute: ids(plan.reexecute),
    reuse: ids(plan.reuse),
    overrideTargets,
    consumers,
  };
}

/**
 * Which plan answer counts and which request ID a replay carries. Each change
 * of the fields starts over: a plan asked before it is dropped when it
 * arrives, Replay waits for a plan of the current fields, and the replay gets
 * a new request ID (a second click on the same composed replay reuses it, so
 * it starts one execution).
 */
export class ReplayDraft {
  readonly #newRequestId: () => string;
  #generation = 0;
  #planned = false;
  #requestId: string;

  /** `newRequestId` makes a fresh request ID. */
  constructor(newRequestId: () => string) {
    this.#newRequestId = newRequestId;
    this.#requestId = newRequestId();
  }

  /** The fields changed. */
  changed(): void {
    this.#requestId = this.#newRequestId();
    this.#planned = false;
  }

  /** A plan is being asked for; returns its ticket for {@link answered}. */
  planning(): number {
    return ++this.#generation;
  }

  /** The plan of `ticket` arrived (`ok`: a plan, else a failure); false when a newer one was asked since (drop it). */
  answered(ticket: number, ok: boolean): boolean {
    if (ticket !== this.#generation) return false;
    this.#planned = ok;
    return true;
  }

  /** Whether Replay may start: the current fields were planned without error. */
  get canReplay(): boolean {
    return this.#planned;
  }

  /** The request ID of the replay as composed now. */
  get requestId(): string {
    return this.#requestId;
  }
}
