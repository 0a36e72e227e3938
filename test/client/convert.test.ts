// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { DivergenceDetailSchema, DivergenceKind } from "#gen/kitaru/errors/v1/errors_pb.ts";
import {
  CheckpointCallStatus,
  ExecutionEventSchema,
  ExecutionStatus,
  FailureOrigin,
  FailureSchema,
  ReplayOriginSchema,
  StatusChangeSchema,
  WaitStatus,
} from "#gen/kitaru/runner/v1/execution_pb.ts";
import { PlannedCallSchema, ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { checkpointCallFromProto } from "../../clients/ts/src/convert/checkpoint-call.ts";
import { executionEventFromProto } from "../../clients/ts/src/convert/event.ts";
import { executionFromProto } from "../../clients/ts/src/convert/execution.ts";
import { jsonFromValue, valueFromJson } from "../../clients/ts/src/convert/json.ts";
import { replayPlanFromProto } from "../../clients/ts/src/convert/replay-plan.ts";
import { executionStatusFromProto, executionStatusToProto, EXECUTION_STATUSES } from "#contract/status.ts";
import { callPb, executionPb, json, T0, T1, ts, waitPb } from "./builders.ts";

describe("JSON values", () => {
  it("round-trips every JSON kind through google.protobuf.Value", () => {
    const value = { s: "x", n: 1.5, b: true, nil: null, list: [1, "two", { three: 3 }] };
    assert.deepEqual(jsonFromValue(valueFromJson(value)), value);
  });

  it("reads an unset Value as undefined and a Value without kind as null", () => {
    assert.equal(jsonFromValue(undefined), undefined);
    assert.equal(jsonFromValue(create(ValueSchema)), null);
  });
});

describe("executionFromProto", () => {
  it("converts every field to camelCase plain values", () => {
    const execution = executionFromProto(
      executionPb({
        execId: "kr-new",
        originalExecId: "kr-old",
        retryCount: 2,
        checkpointCount: 2,
        pendingWaits: [waitPb({ execId: "kr-new" })],
        checkpoints: [
          callPb({ status: CheckpointCallStatus.REUSED, reusedFromCallId: "c-old", attempts: 0, overridden: true }),
          callPb({ callId: "c-w", invocationId: "write_draft", name: "write_draft", sequence: 2n, dataDependencies: ["research"] }),
        ],
        replay: create(ReplayOriginSchema, { from: "write_draft", roots: ["write_draft"], overrideKeys: ["checkpoint.research"] }),
      }),
    );
    assert.equal(execution.execId, "kr-new");
    assert.equal(execution.flowName, "content_pipeline");
    assert.equal(execution.status, "completed");
    assert.deepEqual(execution.input, { topic: "AI" });
    assert.equal(execution.result, "final text");
    assert.equal(execution.originalExecId, "kr-old");
    assert.equal(execution.retryCount, 2);
    assert.equal(execution.failure, undefined);
    assert.deepEqual(execution.createTime, T0);
    assert.deepEqual(execution.updateTime, T1);
    assert.deepEqual(execution.endTime, T1);
    assert.deepEqual(execution.replay, { from: "write_draft", roots: ["write_draft"], overrideKeys: ["checkpoint.research"] });
    const [wait] = execution.pendingWaits;
    assert.equal(wait?.name, "approve");
    assert.equal(wait?.status, "pending");
    assert.deepEqual(wait?.schema, { type: "boolean" });
    assert.equal(wait?.value, undefined);
    const [reused, written] = execution.checkpoints;
    assert.equal(reused?.status, "reused");
    assert.equal(reused?.reusedFromCallId, "c-old");
    assert.equal(reused?.overridden, true);
    assert.equal(written?.sequence, 2);
    assert.equal(typeof written?.sequence, "number");
    assert.deepEqual(written?.dataDependencies, ["research"]);
  });

  it("leaves result undefined when unset but keeps a JSON null result", () => {
    assert.equal(executionFromProto(executionPb({ status: ExecutionStatus.RUNNING, result: undefined })).result, undefined);
    assert.equal(executionFromProto(executionPb({ result: json(null) })).result, null);
  });

  it("converts failure metadata with its divergence detail", () => {
    const execution = executionFromProto(
      executionPb({
        status: ExecutionStatus.FAILED,
        result: undefined,
        failure: create(FailureSchema, {
          origin: FailureOrigin.DIVERGENCE,
          message: "order changed",
          exceptionType: "DivergenceError",
          invocationId: "write_draft",
          divergence: create(DivergenceDetailSchema, {
            execId: "kr-new",
            sourceExecId: "kr-old",
            invocationId: "write_draft",
            kind: DivergenceKind.ORDER_CHANGED,
            recorded: "after research",
            seen: "before research",
            recordedDependencies: ["research"],
          }),
        }),
      }),
    );
    assert.equal(execution.status, "failed");
    assert.deepEqual(execution.failure, {
      origin: "divergence",
      message: "order changed",
      exceptionType: "DivergenceError",
      invocationId: "write_draft",
      divergence: {
        execId: "kr-new",
        sourceExecId: "kr-old",
        invocationId: "write_draft",
        kind: "order_changed",
        recorded: "after research",
        seen: "before research",
        recordedDependencies: ["research"],
        seenDependencies: [],
      },
    });
  });

  it("maps every public status both ways", () => {
    for (const status of EXECUTION_STATUSES) {
      assert.equal(executionStatusFromProto(executionStatusToProto(status)), status);
    }
  });
});

describe("checkpointCallFromProto", () => {
  it("keeps a failed call's failure and leaves output undefined when not recorded", () => {
    const call = checkpointCallFromProto(
      callPb({
        status: CheckpointCallStatus.FAILED,
        attempts: 3,
        output: undefined,
        endTime: undefined,
        failure: create(FailureSchema, { origin: FailureOrigin.USER_CODE, message: "boom", exceptionType: "TypeError" }),
      }),
    );
    assert.equal(call.status, "failed");
    assert.equal(call.attempts, 3);
    assert.equal(call.output, undefined);
    assert.equal(call.endTime, undefined);
    assert.equal(call.failure?.origin, "user_code");
  });
});

describe("replayPlanFromProto", () => {
  it("converts roots, re-executed and reused calls and overrides", () => {
    const planned = (invocationId: string, sequence: bigint) =>
      create(PlannedCallSchema, { invocationId, callId: `c-${invocationId}`, name: invocationId, sequence });
    const plan = replayPlanFromProto(
      create(ReplayPlanSchema, {
        sourceExecId: "kr-old",
        flowName: "content_pipeline",
        from: "write_draft",
        fromCall: planned("write_draft", 2n),
        roots: [planned("write_draft", 2n)],
        reexecute: [planned("write_draft", 2n), planned("review", 3n)],
        reuse: [planned("research", 1n)],
        overrides: [
          {
            key: "checkpoint.research",
            selector: "research",
            target: planned("research", 1n),
            value: json("Edited notes"),
            consumerInvocationIds: ["write_draft"],
          },
        ],
        input: { topic: "New topic" },
      }),
    );
    assert.deepEqual(plan.fromCall, { invocationId: "write_draft", callId: "c-write_draft", name: "write_draft", sequence: 2 });
    assert.deepEqual(
      plan.reexecute.map((c) => c.invocationId),
      ["write_draft", "review"],
    );
    assert.deepEqual(
      plan.reuse.map((c) => c.invocationId),
      ["research"],
    );
    assert.deepEqual(plan.overrides[0], {
      key: "checkpoint.research",
      selector: "research",
      target: { invocationId: "research", callId: "c-research", name: "research", sequence: 1 },
      value: "Edited notes",
      consumerInvocationIds: ["write_draft"],
    });
    assert.deepEqual(plan.input, { topic: "New topic" });
  });
});

describe("executionEventFromProto", () => {
  const event = (kind: Parameters<typeof create<typeof ExecutionEventSchema>>[1]) =>
    executionEventFromProto(create(ExecutionEventSchema, { execId: "kr-test", time: ts(T0), ...kind }));

  it("tags call events with their kind and the converted call", () => {
    for (const kase of ["callStarted", "callCompleted", "callReused", "callFailed"] as const) {
      const converted = event({ kind: { case: kase, value: callPb() } });
      assert.equal(converted?.kind, kase);
      assert.ok(converted && "call" in converted);
      assert.equal(converted.call.invocationId, "research");
      assert.deepEqual(converted.time, T0);
    }
  });

  it("tags wait events and status changes", () => {
    const pending = event({ kind: { case: "waitPending", value: waitPb() } });
    assert.equal(pending?.kind, "waitPending");
    assert.ok(pending?.kind === "waitPending" && pending.wait.name === "approve");
    const resolved = event({ kind: { case: "waitResolved", value: waitPb({ status: WaitStatus.ABORTED }) } });
    assert.ok(resolved?.kind === "waitResolved" && resolved.wait.status === "aborted");
    const done = event({
      kind: { case: "statusChanged", value: create(StatusChangeSchema, { status: ExecutionStatus.COMPLETED, result: json(42) }) },
    });
    assert.deepEqual(done, { execId: "kr-test", time: T0, kind: "statusChanged", status: "completed", result: 42, metadata: {} });
  });

  it("skips an event whose kind this client does not know", () => {
    assert.equal(event({}), undefined);
  });
});
