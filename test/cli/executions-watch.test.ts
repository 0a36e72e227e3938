// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CheckpointCallStatus, WaitStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { checkpointCallFromProto, waitFromProto, type ExecutionEvent } from "../../clients/ts/src/index.ts";
import { callPb, T0, waitPb } from "../client/builders.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

const call = (init: Parameters<typeof callPb>[0]) => checkpointCallFromProto(callPb(init));
const base = { execId: "kr-1", time: T0 };

const history: ExecutionEvent[] = [
  { ...base, kind: "statusChanged", metadata: {}, status: "running", result: undefined },
  { ...base, kind: "callReused", call: call({ status: CheckpointCallStatus.REUSED, reusedFromCallId: "c-old", attempts: 0, overridden: true }) },
  { ...base, kind: "callStarted", call: call({ invocationId: "write_draft", status: CheckpointCallStatus.RUNNING }) },
  { ...base, kind: "callCompleted", call: call({ invocationId: "write_draft", attempts: 2 }) },
  { ...base, kind: "waitPending", wait: waitFromProto(waitPb()) },
  { ...base, kind: "waitResolved", wait: waitFromProto(waitPb({ status: WaitStatus.RESOLVED })) },
  {
    ...base,
    kind: "callFailed",
    call: call({
      invocationId: "review",
      status: CheckpointCallStatus.FAILED,
      attempts: 1,
      failure: { origin: 1, message: "boom", exceptionType: "TypeError" },
    }),
  },
  {
    ...base,
    kind: "statusChanged",
    metadata: {},
    status: "failed",
    result: undefined,
    failure: { origin: "user_code", message: "boom", exceptionType: "TypeError", invocationId: "review" },
  },
];

const watching = (events: ExecutionEvent[]) =>
  fakeClient({
    watch: async function* () {
      yield* events;
    },
  });

describe("kitaru executions watch", () => {
  it("prints one progress line per event and exits 1 when the execution failed", async () => {
    const client = watching(history);
    const { code, stdout } = await cli(["executions", "watch", "kr-1", "--follow-waits"], client);
    assert.equal(code, 1);
    assert.equal(
      stdout,
      [
        "Status: running",
        "  ✓ research (reused from c-old, output overridden)",
        "  … write_draft started",
        "  ✓ write_draft completed (2 attempts)",
        "  ⏸ wait approve pending: Publish the draft?",
        "  ▶ wait approve resolved",
        "  ✗ review failed after 1 attempt: TypeError: boom",
        "Status: failed (user_code: TypeError: boom)",
      ].join("\n"),
    );
    assert.deepEqual(client.calls, [["watch", "kr-1", { followWaits: true }]]);
  });

  it("prints JSON lines {command, event} in snake_case and exits 0 when completed or waiting", async () => {
    const events: ExecutionEvent[] = [
      history[1]!,
      { ...base, kind: "waitPending", wait: waitFromProto(waitPb()) },
      { ...base, kind: "statusChanged", metadata: {}, status: "waiting", result: undefined },
    ];
    const { code, stdout } = await cli(["executions", "watch", "kr-1", "-o", "json"], watching(events));
    assert.equal(code, 0);
    const lines = stdout.split("\n").map(envelope);
    assert.equal(lines.length, 3);
    assert.ok(lines.every((line) => line["command"] === "executions.watch"));
    const reused = lines[0]!["event"] as Record<string, unknown>;
    assert.equal(reused["kind"], "call_reused");
    assert.equal(reused["exec_id"], "kr-1");
    assert.equal((reused["call"] as Record<string, unknown>)["reused_from_call_id"], "c-old");
    assert.equal((lines[1]!["event"] as Record<string, unknown>)["kind"], "wait_pending");
    assert.deepEqual(lines[2]!["event"], {
      kind: "status_changed",
      exec_id: "kr-1",
      time: T0.toISOString(),
      status: "waiting",
      result: null,
      failure: null,
      metadata: {},
      flow_version: null,
      version_hold: null,
    });
  });

  it("shows aborted waits", async () => {
    const { stdout } = await cli(
      ["executions", "watch", "kr-1"],
      watching([{ ...base, kind: "waitResolved", wait: waitFromProto(waitPb({ status: WaitStatus.ABORTED })) }]),
    );
    assert.equal(stdout, "  ■ wait approve aborted");
  });
});
