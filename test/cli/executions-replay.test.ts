// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { CheckpointCallStatus, ExecutionStatus, FailureOrigin, FailureSchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { checkpointCallFromProto, KitaruStateError, replayPlanFromProto, type ExecutionEvent } from "../../clients/ts/src/index.ts";
import { callPb, execution, json, T0 } from "../client/builders.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

const started = execution({ execId: "kr-new", originalExecId: "kr-old", status: ExecutionStatus.RUNNING, result: undefined });
const reusedCall = callPb({ callId: "c-new-1", status: CheckpointCallStatus.REUSED, reusedFromCallId: "c-old-1", attempts: 0 });
const rerunCall = callPb({ callId: "c-new-2", invocationId: "write_draft", name: "write_draft", sequence: 2n });
const finished = execution({ execId: "kr-new", originalExecId: "kr-old", checkpoints: [reusedCall, rerunCall], checkpointCount: 2 });

const events: ExecutionEvent[] = [
  { kind: "callReused", execId: "kr-new", time: T0, call: checkpointCallFromProto(reusedCall) },
  { kind: "callStarted", execId: "kr-new", time: T0, call: checkpointCallFromProto(callPb({ ...rerunCall, status: CheckpointCallStatus.RUNNING })) },
  { kind: "callCompleted", execId: "kr-new", time: T0, call: checkpointCallFromProto(rerunCall) },
  { kind: "statusChanged", metadata: {}, execId: "kr-new", time: T0, status: "completed", result: "final text" },
];

const plan = replayPlanFromProto(
  create(ReplayPlanSchema, {
    sourceExecId: "kr-old",
    flowName: "content_pipeline",
    from: "write_draft",
    fromCall: { invocationId: "write_draft", callId: "c-old-2", name: "write_draft", sequence: 2n },
    roots: [{ invocationId: "write_draft" }],
    reexecute: [{ invocationId: "write_draft" }, { invocationId: "review" }],
    reuse: [{ invocationId: "research" }],
    overrides: [
      {
        key: "checkpoint.research",
        selector: "research",
        target: { invocationId: "research", callId: "c-old-1", name: "research", sequence: 1n },
        value: json("Edited notes"),
        consumerInvocationIds: ["write_draft"],
      },
    ],
    input: { topic: "New topic" },
  }),
);

const replayArgv = [
  "executions",
  "replay",
  "kr-old",
  "--from",
  "write_draft",
  "--args",
  '{"topic":"New topic"}',
  "--overrides",
  '{"checkpoint.research":"Edited notes"}',
];

describe("kitaru executions replay", () => {
  it("replays through the client and prints the new and original execution", async () => {
    const client = fakeClient({ replay: async () => started });
    const { code, stdout } = await cli([...replayArgv, "--request-id", "r-1"], client);
    assert.equal(code, 0);
    assert.equal(stdout, "Replayed execution: kr-new\n  Original execution: kr-old\n  Status: running");
    assert.deepEqual(client.calls, [
      ["replay", "kr-old", { from: "write_draft", args: { topic: "New topic" }, overrides: { "checkpoint.research": "Edited notes" }, requestId: "r-1" }],
    ]);
  });

  it("prints the new execution as the JSON item", async () => {
    const { stdout } = await cli([...replayArgv, "-o", "json"], fakeClient({ replay: async () => started }));
    const out = envelope(stdout);
    assert.equal(out["command"], "executions.replay");
    const item = out["item"] as Record<string, unknown>;
    assert.equal(item["exec_id"], "kr-new");
    assert.equal(item["original_exec_id"], "kr-old");
  });

  it("--plan prints the dry run without replaying", async () => {
    const client = fakeClient({ planReplay: async () => plan });
    const { code, stdout } = await cli([...replayArgv, "--plan"], client);
    assert.equal(code, 0);
    assert.deepEqual(
      client.calls.map((c) => c[0]),
      ["planReplay"],
    );
    assert.match(stdout, /^Replay plan for execution kr-old \(flow content_pipeline\)/);
    assert.match(stdout, /  Roots: write_draft\n  Re-execute \(2\): write_draft, review\n  Reuse \(1\): research/);
    assert.match(stdout, /checkpoint\.research → research, consumers: write_draft, value: "Edited notes"/);
    assert.match(stdout, /Nothing was created \(dry run\)/);
  });

  it("--plan -o json prints roots, reexecute, reuse and overrides", async () => {
    const { stdout } = await cli([...replayArgv, "--plan", "-o", "json"], fakeClient({ planReplay: async () => plan }));
    const item = envelope(stdout)["item"] as Record<string, unknown>;
    assert.deepEqual(item["roots"], ["write_draft"]);
    assert.deepEqual(item["reexecute"], ["write_draft", "review"]);
    assert.deepEqual(item["reuse"], ["research"]);
    assert.deepEqual(item["overrides"], { "checkpoint.research": { target: "research", consumers: ["write_draft"], value: "Edited notes" } });
  });

  it("--wait shows progress per checkpoint, the final status and the reuse summary", async () => {
    const client = fakeClient({
      replay: async () => started,
      watch: async function* () {
        yield* events;
      },
      get: async () => finished,
    });
    const { code, stdout } = await cli([...replayArgv, "--wait"], client);
    assert.equal(code, 0);
    assert.equal(
      stdout,
      [
        "Replayed execution: kr-new\n  Original execution: kr-old\n  Status: running",
        "  ✓ research (reused from c-old-1)",
        "  … write_draft started",
        "  ✓ write_draft completed (1 attempt)",
        "Status: completed",
        '  Result: "final text"',
        "  Reused (1): research",
        "  Re-executed (1): write_draft",
      ].join("\n"),
    );
  });

  it("--wait on a failed replay prints the typed error and exits 1", async () => {
    const failed = execution({
      execId: "kr-new",
      status: ExecutionStatus.FAILED,
      result: undefined,
      failure: create(FailureSchema, { origin: FailureOrigin.DIVERGENCE, message: "order changed", invocationId: "write_draft" }),
    });
    const client = fakeClient({ replay: async () => started, watch: async function* () {}, get: async () => failed });
    const { code, stdout, stderr } = await cli([...replayArgv, "--wait", "-o", "json"], client);
    assert.equal(code, 1);
    assert.equal((envelope(stdout)["item"] as Record<string, unknown>)["status"], "failed");
    const error = envelope(stderr)["error"] as Record<string, unknown>;
    assert.equal(error["type"], "KitaruDivergenceError");
    assert.match(String(error["message"]), /diverged/);
  });

  it("prints the planner's state error with its type", async () => {
    const client = fakeClient({
      replay: async () => {
        throw new KitaruStateError("Checkpoint selector 'nope' is ambiguous.");
      },
    });
    const { code, stderr } = await cli(["executions", "replay", "kr-old", "--from", "nope", "-o", "json"], client);
    assert.equal(code, 1);
    assert.deepEqual(envelope(stderr), {
      command: "executions.replay",
      error: { message: "Checkpoint selector 'nope' is ambiguous.", type: "KitaruStateError" },
    });
  });

  it("reads --args and --overrides from @files, and says which file is bad", async () => {
    const client = fakeClient({ replay: async () => started });
    const files = {
      "args.json": '{"topic": "From a file"}',
      "overrides.json": '{"checkpoint.research": "Edited in a file"}',
      "bad.json": "{oops",
      "list.json": "[1]",
    };
    const ok = await cli(
      ["executions", "replay", "kr-old", "--from", "write_draft", "--args", "@args.json", "--overrides", "@overrides.json"],
      client,
      undefined,
      files,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(client.calls[0], [
      "replay",
      "kr-old",
      { from: "write_draft", args: { topic: "From a file" }, overrides: { "checkpoint.research": "Edited in a file" }, requestId: undefined },
    ]);
    const bad = await cli(["executions", "replay", "kr-old", "--from", "x", "--args", "@bad.json"], client, undefined, files);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: Invalid JSON for `--args` file 'bad\.json': /);
    const notObject = await cli(["executions", "replay", "kr-old", "--from", "x", "--overrides", "@list.json"], client, undefined, files);
    assert.match(notObject.stderr, /`--overrides` must be a JSON object/);
    const missing = await cli(["executions", "replay", "kr-old", "--from", "x", "--args", "@nope.json"], client, undefined, files);
    assert.match(missing.stderr, /^Error: Unable to read `--args` file 'nope\.json': ENOENT/);
  });

  it("prints command-line mistakes without a type and never opens a client", async () => {
    const client = fakeClient();
    const { code, stderr } = await cli(["executions", "replay", "kr-old", "--from", "a", "--plan", "--wait", "-o", "json"], client);
    assert.equal(code, 1);
    assert.deepEqual(envelope(stderr), { command: "executions.replay", error: { message: "`--wait` cannot be used with `--plan`." } });
    assert.deepEqual(client.calls, []);
  });
});
