// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { errorToStatus, KitaruStateError } from "#contract/errors/index.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { JsonChangeKind } from "#gen/kitaru/runner/v1/lineage_pb.ts";
import { ReplayJobItemSchema, ReplayJobItemState, ReplayJobSchema, ReplayJobState } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import type { ReplayJob, ReplayJobItem, ReplayJobProgress } from "../../clients/ts/src/index.ts";
import { replayJobFromProto, replayJobItemFromProto } from "../../clients/ts/src/convert/replay-job.ts";
import { json, T0 } from "../client/builders.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

function job(state: ReplayJobState, totals: Record<string, number>): ReplayJob {
  return replayJobFromProto(
    create(ReplayJobSchema, {
      jobId: "rj-abc",
      requestId: "r-1",
      state,
      spec: { selection: { flowName: "content_pipeline", statuses: [ExecutionStatus.FAILED] }, from: "write_draft", overrides: { "checkpoint.research": "x" } },
      sourceExecIds: ["kr-s1", "kr-s2", "kr-s3"],
      totals: { sources: 3, ...totals },
      createTime: timestampFromDate(T0),
      ...(state === ReplayJobState.RUNNING ? {} : { endTime: timestampFromDate(T0) }),
    }),
  );
}

const items: ReplayJobItem[] = [
  replayJobItemFromProto(
    create(ReplayJobItemSchema, {
      index: 0,
      sourceExecId: "kr-s1",
      state: ReplayJobItemState.SETTLED,
      replayExecId: "kr-r1",
      replayStatus: ExecutionStatus.COMPLETED,
      resultChanged: true,
      resultChanges: [{ path: "", kind: JsonChangeKind.CHANGED, before: json("old"), after: json("new") }],
      reusedCalls: 1,
      reexecutedCalls: 0,
      changedCalls: 2,
    }),
  ),
  replayJobItemFromProto(
    create(ReplayJobItemSchema, {
      index: 1,
      sourceExecId: "kr-s2",
      state: ReplayJobItemState.SETTLED,
      replayExecId: "kr-r2",
      replayStatus: ExecutionStatus.COMPLETED,
      reusedCalls: 3,
    }),
  ),
  replayJobItemFromProto(
    create(ReplayJobItemSchema, {
      index: 2,
      sourceExecId: "kr-s3",
      state: ReplayJobItemState.REFUSED,
      error: errorToStatus(new KitaruStateError("Checkpoint 'write_draft' not found. Available: draft, publish.")).details,
    }),
  ),
];

const running = job(ReplayJobState.RUNNING, { pending: 2, running: 1 });
const done = job(ReplayJobState.SUCCEEDED, { completed: 2, refused: 1, resultsChanged: 1 });

async function* reports(...jobs: ReplayJob[]): AsyncGenerator<ReplayJobProgress> {
  for (const [i, j] of jobs.entries()) yield { job: j, items: i === 0 ? items : [] };
}

describe("kitaru executions replay --flow (a replay job)", () => {
  it("starts the job with the selection and prints it with how to follow it", async () => {
    const client = fakeClient({ "jobs.start": async () => running });
    const { code, stdout } = await cli(
      [
        "executions",
        "replay",
        "--flow",
        "content_pipeline",
        "--status",
        "failed",
        "--from",
        "write_draft",
        "--overrides",
        '{"checkpoint.research":"x"}',
        "--request-id",
        "r-1",
      ],
      client,
    );
    assert.equal(code, 0);
    const [, options] = client.calls[0] as [string, Record<string, unknown>];
    assert.deepEqual(
      [options["flow"], options["statuses"], options["from"], options["overrides"], options["requestId"]],
      ["content_pipeline", ["failed"], "write_draft", { "checkpoint.research": "x" }, "r-1"],
    );
    assert.match(stdout, /^Replay job: rj-abc\n  State: running\n  Selected: 3 executions \(flow content_pipeline, status failed\)/);
    assert.match(stdout, /Follow it: kitaru jobs watch rj-abc/);
  });

  it("with --wait prints a progress line per change, then each source → replay; exit 1 when a source was refused", async () => {
    const client = fakeClient({ "jobs.start": async () => running, "jobs.watch": () => reports(running, running, done), "jobs.items": async () => items });
    const { code, stdout } = await cli(["executions", "replay", "--flow", "content_pipeline", "--from", "write_draft", "--wait"], client);
    assert.equal(code, 1);
    const lines = stdout.split("\n");
    assert.deepEqual(
      lines.filter((l) => l.startsWith("[")),
      ["[0/3] 1 running, 2 pending, 0 results changed", "[3/3] 2 completed, 1 refused, 1 result changed (succeeded)"],
    );
    assert.ok(
      lines.some((l) => /^kr-s1 +kr-r1 +completed +changed +1 reused, 0 re-run, 2 changed$/.test(l)),
      stdout,
    );
    assert.ok(
      lines.some((l) => /^ +result "old" → "new"$/.test(l)),
      stdout,
    );
    assert.ok(
      lines.some((l) => /^kr-s3 +- +refused$/.test(l)),
      stdout,
    );
    assert.ok(
      lines.some((l) => /^ +KitaruStateError: Checkpoint 'write_draft' not found/.test(l)),
      stdout,
    );
  });

  it("with --plan prints every source's plan or error and starts nothing", async () => {
    const client = fakeClient({ "jobs.plan": async () => ({ job: done, items }) });
    const { code, stdout } = await cli(["executions", "replay", "--ids", "kr-s1,kr-s2,kr-s3", "--from", "write_draft", "--plan", "-o", "json"], client);
    assert.equal(code, 1);
    assert.deepEqual(
      client.calls.map((c) => c[0]),
      ["jobs.plan"],
    );
    const item = envelope(stdout)["item"] as { items: { state: string; error: { type: string } | null }[] };
    assert.deepEqual(
      item.items.map((i) => [i.state, i.error?.type ?? null]),
      [
        ["settled", null],
        ["settled", null],
        ["refused", "KitaruStateError"],
      ],
    );
  });

  it("keeps the single replay of one execution", async () => {
    const client = fakeClient({ replay: async () => ({ execId: "kr-new", originalExecId: "kr-old", status: "running" }) as never });
    const { code, stdout } = await cli(["executions", "replay", "kr-old", "--from", "write_draft"], client);
    assert.equal(code, 0);
    assert.match(stdout, /^Replayed execution: kr-new/);
    assert.equal(client.calls[0]?.[0], "replay");
  });
});

describe("kitaru jobs", () => {
  it("get and cancel print the job with its totals; -o json the item", async () => {
    const client = fakeClient({ "jobs.get": async () => done, "jobs.cancel": async () => done });
    assert.match((await cli(["jobs", "get", "rj-abc"], client)).stdout, /Totals: 2 completed, 1 refused, 1 result changed/);
    const item = envelope((await cli(["jobs", "cancel", "rj-abc", "-o", "json"], client)).stdout);
    assert.equal(item["command"], "jobs.cancel");
    assert.deepEqual((item["item"] as { totals: unknown; summary: string }).summary, "2 completed, 1 refused, 1 result changed");
  });

  it("list prints a table of jobs, or says there are none", async () => {
    const { stdout } = await cli(["jobs", "list"], fakeClient({ "jobs.list": async () => [done] }));
    assert.match(stdout, /^JOB +STATE +CREATED +TOTALS\nrj-abc +succeeded +2026-.*Z +2 completed, 1 refused, 1 result changed$/);
    assert.equal((await cli(["jobs", "list"], fakeClient({ "jobs.list": async () => [] }))).stdout, "No replay jobs.");
  });

  it("diff prints each source → replay and the totals, and passes --changed on", async () => {
    const client = fakeClient({ "jobs.get": async () => done, "jobs.items": async () => items.slice(0, 1) });
    const { code, stdout } = await cli(["jobs", "diff", "rj-abc", "--changed"], client);
    assert.equal(code, 1, "a source was refused");
    assert.deepEqual(
      client.calls.find((c) => c[0] === "jobs.items"),
      ["jobs.items", "rj-abc", { changedOnly: true }],
    );
    assert.match(stdout, /\n\nrj-abc \(succeeded\): 2 completed, 1 refused, 1 result changed$/);
    const json = envelope((await cli(["jobs", "diff", "rj-abc", "-o", "json"], client)).stdout);
    const first = (json["item"] as { items: Record<string, unknown>[] }).items[0];
    assert.deepEqual([first?.["replay_exec_id"], first?.["result_changed"], first?.["changed_calls"]], ["kr-r1", true, 2]);
  });

  it("watch streams one JSON line per report with -o json", async () => {
    const client = fakeClient({ "jobs.watch": () => reports(running, done) });
    const { code, stdout } = await cli(["jobs", "watch", "rj-abc", "-o", "json"], client);
    assert.equal(code, 1);
    const lines = stdout.split("\n").map((l) => JSON.parse(l) as { command: string; event: { job: { state: string }; items: unknown[] } });
    assert.deepEqual(
      lines.map((l) => [l.command, l.event.job.state, l.event.items.length]),
      [
        ["jobs.watch", "running", 3],
        ["jobs.watch", "succeeded", 0],
      ],
    );
  });
});
