// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ExecutionStatus, WaitStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { replayPlanFromProto } from "../../clients/ts/src/index.ts";
import { execution, json, waitPb } from "../client/builders.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

// `--answer-waits-from-source` (issue 20): the CLI passes the wait names on and shows, in
// `executions get` and `replay --plan`, which waits were (or would be) answered from the source.

const copied = waitPb({
  waitId: "w-1",
  name: "approve",
  status: WaitStatus.RESOLVED,
  value: json(true),
  execId: "kr-new",
  answeredBy: "copied from execution kr-old",
  answerSourceExecId: "kr-old",
});
const leftForInput = waitPb({
  waitId: "w-2",
  name: "review",
  question: "Looks right?",
  execId: "kr-new",
  sourceAnswerNote: "Not answered from execution kr-old: its wait 'review' was never answered.",
});
const replayed = execution({
  execId: "kr-new",
  originalExecId: "kr-old",
  status: ExecutionStatus.WAITING,
  result: undefined,
  replay: { from: "draft", roots: ["draft"], answerWaitsFromSource: ["approve", "review"] },
  waits: [copied, leftForInput],
  pendingWaits: [leftForInput],
});

const plan = replayPlanFromProto(
  create(ReplayPlanSchema, {
    sourceExecId: "kr-old",
    flowName: "approval",
    from: "draft",
    roots: [{ invocationId: "draft" }],
    reexecute: [{ invocationId: "draft" }],
    input: { topic: "t" },
    answerWaitsFromSource: ["approve", "review"],
  }),
);

describe("kitaru executions replay --answer-waits-from-source", () => {
  it("passes the comma-separated wait names to the replay", async () => {
    const client = fakeClient({ replay: async () => replayed });
    const { code } = await cli(["executions", "replay", "kr-old", "--from", "draft", "--answer-waits-from-source", "approve,review"], client);
    assert.equal(code, 0);
    assert.deepEqual(client.calls, [
      ["replay", "kr-old", { from: "draft", args: undefined, overrides: undefined, answerWaitsFromSource: ["approve", "review"], requestId: undefined }],
    ]);
  });

  it("sends no wait names without the flag", async () => {
    const client = fakeClient({ replay: async () => replayed });
    await cli(["executions", "replay", "kr-old", "--from", "draft"], client);
    const request = client.calls[0]?.[2] as Record<string, unknown>;
    assert.equal("answerWaitsFromSource" in request, false);
  });

  it("refuses a blank name before opening a client", async () => {
    const client = fakeClient();
    const { code, stderr } = await cli(["executions", "replay", "kr-old", "--from", "draft", "--answer-waits-from-source", "approve,"], client);
    assert.equal(code, 1);
    assert.match(stderr, /`--answer-waits-from-source` takes wait names separated by commas, none blank/);
    assert.deepEqual(client.calls, []);
  });

  it("--plan shows which waits would be answered from the source, in text and JSON", async () => {
    const argv = ["executions", "replay", "kr-old", "--from", "draft", "--answer-waits-from-source", "approve,review", "--plan"];
    const { stdout } = await cli(argv, fakeClient({ planReplay: async () => plan }));
    assert.match(stdout, /  Waits answered from the source: approve, review\n/);
    const json = await cli([...argv, "-o", "json"], fakeClient({ planReplay: async () => plan }));
    assert.deepEqual((envelope(json.stdout)["item"] as Record<string, unknown>)["answer_waits_from_source"], ["approve", "review"]);
  });
});

describe("kitaru executions get, a replay that answered waits from its source", () => {
  it("says which wait was copied from which execution, and why another waits", async () => {
    const { stdout } = await cli(["executions", "get", "kr-new"], fakeClient({ get: async () => replayed }));
    assert.match(stdout, /  Waits answered from the source: approve, review\n/);
    assert.match(stdout, /    review \(w-2\): Looks right\?\n      Not answered from execution kr-old: its wait 'review' was never answered\.\n/);
    assert.match(stdout, /  Wait approve: answered, copied from execution kr-old\n/);
  });

  it("-o json carries the provenance on each wait", async () => {
    const { stdout } = await cli(["executions", "get", "kr-new", "-o", "json"], fakeClient({ get: async () => replayed }));
    const item = envelope(stdout)["item"] as Record<string, unknown>;
    assert.deepEqual((item["replay"] as Record<string, unknown>)["answer_waits_from_source"], ["approve", "review"]);
    const [first, second] = item["waits"] as Record<string, unknown>[];
    assert.equal(first?.["answered_by"], "copied from execution kr-old");
    assert.equal(first?.["answer_source_exec_id"], "kr-old");
    assert.equal(first?.["source_answer_note"], null);
    assert.equal(second?.["answered_by"], null);
    assert.equal(second?.["source_answer_note"], "Not answered from execution kr-old: its wait 'review' was never answered.");
  });
});
