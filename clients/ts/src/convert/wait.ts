/**
 * The plain `Wait` model and its conversion from protobuf.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Wait as WaitPb } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { dateFromTimestamp, jsonFromValue, objectFromStruct } from "./json.ts";
import { waitStatusFromProto, type WaitStatus } from "#contract/status.ts";

/**
 * A point in a flow body waiting for external input.
 *
 * Answer a pending wait with `client.executions.input(execId, { wait, value })`;
 * `wait` may be its name or its `waitId`.
 */
export interface Wait {
  /** Globally unique wait ID. */
  readonly waitId: string;
  /** The wait's name (`name_2`, ... for a repeated name). */
  readonly name: string;
  /** The question shown to whoever answers; `""` when the flow gave none. */
  readonly question: string;
  /** JSON Schema of the expected value; `undefined` when any JSON value is accepted. */
  readonly schema: JsonObject | undefined;
  /** Free-form metadata given by the flow (`{}` when none). */
  readonly metadata: JsonObject;
  readonly status: WaitStatus;
  /** The accepted value once resolved; `undefined` while pending. */
  readonly value: JsonValue | undefined;
  /** When the flow reached it. */
  readonly createTime: Date | undefined;
  /** When it was resolved or aborted. */
  readonly resolveTime: Date | undefined;
  /** The execution it belongs to. */
  readonly execId: string;
  /**
   * Who or what answered, when it was not an input: `copied from execution
   * <id>` for an answer a replay copied from its source. Absent otherwise.
   */
  readonly answeredBy?: string | undefined;
  /** The execution whose recorded answer was copied; absent unless `answeredBy` says so. */
  readonly answerSourceExecId?: string | undefined;
  /** Why a wait the replay was asked to answer from its source waits for an input instead; absent otherwise. */
  readonly sourceAnswerNote?: string | undefined;
}

/** The plain {@link Wait} of a `kitaru.runner.v1.Wait`. */
export function waitFromProto(wait: WaitPb): Wait {
  return {
    waitId: wait.waitId,
    name: wait.name,
    question: wait.question,
    schema: wait.schema === undefined ? undefined : objectFromStruct(wait.schema),
    metadata: objectFromStruct(wait.metadata),
    status: waitStatusFromProto(wait.status),
    value: jsonFromValue(wait.value),
    createTime: dateFromTimestamp(wait.createTime),
    resolveTime: dateFromTimestamp(wait.resolveTime),
    execId: wait.execId,
    ...(wait.answeredBy === "" ? {} : { answeredBy: wait.answeredBy }),
    ...(wait.answerSourceExecId === "" ? {} : { answerSourceExecId: wait.answerSourceExecId }),
    ...(wait.sourceAnswerNote === "" ? {} : { sourceAnswerNote: wait.sourceAnswerNote }),
  };
}
