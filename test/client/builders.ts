/**
 * Real protobuf messages for tests, built with `create(...)`, and their plain
 * models through the client's converters.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  CheckpointCallSchema,
  CheckpointCallStatus,
  ExecutionSchema,
  ExecutionStatus,
  WaitSchema,
  WaitStatus,
  type CheckpointCall as CheckpointCallPb,
  type Execution as ExecutionPb,
  type Wait as WaitPb,
} from "#gen/kitaru/runner/v1/execution_pb.ts";
import { valueFromJson } from "../../clients/ts/src/convert/json.ts";
import { executionFromProto, type Execution } from "../../clients/ts/src/convert/execution.ts";
import type { Wait } from "../../clients/ts/src/convert/wait.ts";
import { waitFromProto } from "../../clients/ts/src/convert/wait.ts";

export const T0 = new Date("2026-03-01T10:00:00.000Z");
export const T1 = new Date("2026-03-01T10:00:05.000Z");
export const ts = timestampFromDate;
export const json = valueFromJson;

/** A checkpoint call message; completed `research` by default. */
export function callPb(init: MessageInitShape<typeof CheckpointCallSchema> = {}): CheckpointCallPb {
  return create(CheckpointCallSchema, {
    callId: "c-research-1",
    invocationId: "research",
    name: "research",
    status: CheckpointCallStatus.COMPLETED,
    attempts: 1,
    sequence: 1n,
    output: json("notes"),
    startTime: ts(T0),
    endTime: ts(T1),
    ...init,
  });
}

/** A pending wait message named `approve`. */
export function waitPb(init: MessageInitShape<typeof WaitSchema> = {}): WaitPb {
  return create(WaitSchema, {
    waitId: "w-approve-1",
    name: "approve",
    question: "Publish the draft?",
    schema: { type: "boolean" },
    status: WaitStatus.PENDING,
    createTime: ts(T0),
    execId: "kr-test",
    ...init,
  });
}

/** An execution message; a completed `content_pipeline` run by default. */
export function executionPb(init: MessageInitShape<typeof ExecutionSchema> = {}): ExecutionPb {
  return create(ExecutionSchema, {
    name: "executions/kr-test",
    execId: "kr-test",
    flowName: "content_pipeline",
    status: ExecutionStatus.COMPLETED,
    input: { topic: "AI" },
    result: json("final text"),
    createTime: ts(T0),
    updateTime: ts(T1),
    endTime: ts(T1),
    ...init,
  });
}

/** The plain model of {@link executionPb}. */
export function execution(init: MessageInitShape<typeof ExecutionSchema> = {}): Execution {
  return executionFromProto(executionPb(init));
}

/** The plain model of {@link waitPb}. */
export function wait(init: MessageInitShape<typeof WaitSchema> = {}): Wait {
  return waitFromProto(waitPb(init));
}
