// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { CallAttemptStatus, CheckpointCallStatus, ExecutionStatus, FailureOrigin, FailureSchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruNotFoundError, KitaruUsageError } from "../../clients/ts/src/index.ts";
import { callPb, execution, waitPb } from "../client/builders.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

const replayed = execution({
  execId: "kr-new",
  originalExecId: "kr-old",
  checkpointCount: 2,
  checkpoints: [
    callPb({ status: CheckpointCallStatus.REUSED, reusedFromCallId: "c-old", attempts: 0, callId: "c-new" }),
    callPb({ callId: "c-w", invocationId: "write_draft", name: "write_draft", sequence: 2n, attempts: 2 }),
  ],
});

describe("kitaru executions get", () => {
  it("prints the snapshot with checkpoint statuses and the reused marker", async () => {
    const client = fakeClient({ get: async () => replayed });
    const { code, stdout, stderr } = await cli(["executions", "get", "kr-new"], client);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.match(stdout, /^Kitaru execution\n  Execution ID: kr-new\n  Flow: content_pipeline\n  Status: completed\n  Original execution: kr-old/);
    assert.match(stdout, /Checkpoints \(2\):\n    research  \(reused from c-old\)\n    write_draft  \(completed, 2 attempts\)/);
    assert.match(stdout, /Pending waits: none/);
    assert.deepEqual(client.calls, [["get", "kr-new"]]);
    assert.equal(client.closed, true);
  });

  it("prints a {command, item} envelope with snake_case keys", async () => {
    const { code, stdout } = await cli(["executions", "get", "kr-new", "-o", "json"], fakeClient({ get: async () => replayed }));
    assert.equal(code, 0);
    const out = envelope(stdout);
    assert.equal(out["command"], "executions.get");
    const item = out["item"] as Record<string, unknown>;
    assert.equal(item["exec_id"], "kr-new");
    assert.equal(item["flow_name"], "content_pipeline");
    assert.equal(item["status"], "completed");
    assert.equal(item["original_exec_id"], "kr-old");
    assert.deepEqual(item["input"], { topic: "AI" });
    assert.equal(item["result"], "final text");
    assert.equal(item["failure"], null);
    assert.deepEqual(item["pending_waits"], []);
    assert.equal(item["pending_wait"], null);
    const [first] = item["checkpoints"] as Record<string, unknown>[];
    assert.deepEqual(
      {
        call_id: first?.["call_id"],
        invocation_id: first?.["invocation_id"],
        name: first?.["name"],
        status: first?.["status"],
        reused_from_call_id: first?.["reused_from_call_id"],
        output: first?.["output"],
      },
      { call_id: "c-new", invocation_id: "research", name: "research", status: "reused", reused_from_call_id: "c-old", output: "notes" },
    );
  });

  it("serializes failure (with divergence) and pending waits in snake_case", async () => {
    const failed = execution({
      status: ExecutionStatus.FAILED,
      result: undefined,
      pendingWaits: [waitPb()],
      failure: create(FailureSchema, {
        origin: FailureOrigin.DIVERGENCE,
        message: "order changed",
        exceptionType: "KitaruDivergenceError",
        invocationId: "write_draft",
        divergence: { execId: "kr-test", sourceExecId: "kr-old", invocationId: "write_draft", recorded: "a", seen: "b" },
      }),
    });
    const { stdout } = await cli(["executions", "get", "kr-test", "-o", "json"], fakeClient({ get: async () => failed }));
    const item = envelope(stdout)["item"] as Record<string, unknown>;
    const failure = item["failure"] as Record<string, unknown>;
    assert.equal(failure["origin"], "divergence");
    assert.equal(failure["exception_type"], "KitaruDivergenceError");
    assert.equal(failure["invocation_id"], "write_draft");
    assert.equal((failure["divergence"] as Record<string, unknown>)["source_exec_id"], "kr-old");
    assert.deepEqual(item["pending_waits"], [{ wait_id: "w-approve-1", name: "approve", question: "Publish the draft?", schema: { type: "boolean" } }]);
    // Issue 19 item 13: Kitaru's field name and shape, beside kitaru's list.
    assert.deepEqual(item["pending_wait"], {
      wait_id: "w-approve-1",
      name: "approve",
      question: "Publish the draft?",
      schema: { type: "boolean" },
      metadata: {},
      entered_waiting_at: "2026-03-01T10:00:00.000Z",
    });
  });

  it("takes the execution ID as Kitaru's --exec-id too (issue 19 item 13)", async () => {
    const client = fakeClient({ get: async () => replayed });
    const { code, stdout } = await cli(["executions", "get", "--exec-id", "kr-new", "-o", "json"], client);
    assert.equal(code, 0, stdout);
    assert.deepEqual(client.calls[0], ["get", "kr-new"]);
  });

  it("shows execution and checkpoint metadata, the stack trace and earlier attempts' errors", async () => {
    const failed = execution({
      status: ExecutionStatus.FAILED,
      result: undefined,
      metadata: { run: "nightly" },
      failure: create(FailureSchema, {
        origin: FailureOrigin.USER_CODE,
        message: "refused",
        exceptionType: "UpstreamError",
        invocationId: "research",
        traceback: "UpstreamError: refused\n    at fetch (flows.ts:3:9)",
      }),
      checkpoints: [
        callPb({
          status: CheckpointCallStatus.FAILED,
          attempts: 2,
          metadata: { tries: 2 },
          failure: create(FailureSchema, { origin: FailureOrigin.USER_CODE, message: "refused", exceptionType: "UpstreamError" }),
          attemptHistory: [
            { number: 1, status: CallAttemptStatus.FAILED, failure: { message: "timeout", exceptionType: "TimeoutError" } },
            { number: 2, status: CallAttemptStatus.FAILED, failure: { message: "refused", exceptionType: "UpstreamError" } },
          ],
        }),
      ],
    });
    const { stdout } = await cli(["executions", "get", "kr-f"], fakeClient({ get: async () => failed }));
    assert.match(stdout, /  Traceback:\n    UpstreamError: refused\n        at fetch \(flows\.ts:3:9\)\n/);
    assert.match(stdout, /  Metadata: \{"run":"nightly"\}/);
    assert.match(
      stdout,
      /    research  \(failed, 2 attempts, UpstreamError: refused\)\n      metadata: \{"tries":2\}\n      attempt 1 failed: TimeoutError: timeout/,
    );

    const item = envelope((await cli(["executions", "get", "kr-f", "-o", "json"], fakeClient({ get: async () => failed }))).stdout)["item"] as Record<
      string,
      unknown
    >;
    assert.deepEqual(item["metadata"], { run: "nightly" });
    assert.equal((item["failure"] as Record<string, unknown>)["traceback"], "UpstreamError: refused\n    at fetch (flows.ts:3:9)");
    const [call] = item["checkpoints"] as Record<string, unknown>[];
    assert.deepEqual(call?.["metadata"], { tries: 2 });
    assert.equal(call?.["attempt_count"], 2);
    assert.deepEqual(
      (call?.["attempts"] as Record<string, unknown>[] | undefined)?.map((a) => [
        a["attempt"],
        a["status"],
        (a["failure"] as Record<string, unknown>)["message"],
      ]),
      [
        [1, "failed", "timeout"],
        [2, "failed", "refused"],
      ],
    );
  });

  it("prints a typed error as JSON on stderr and exits 1", async () => {
    const client = fakeClient({
      get: async () => {
        throw new KitaruNotFoundError("Execution 'kr-x' not found.", { resourceType: "execution", resourceName: "kr-x" });
      },
    });
    const { code, stdout, stderr } = await cli(["executions", "get", "kr-x", "-o", "json"], client);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.deepEqual(envelope(stderr), {
      command: "executions.get",
      error: { message: "Execution 'kr-x' not found.", type: "KitaruNotFoundError" },
    });
    assert.equal(client.closed, true);
  });

  it("prints Error: <message> in text mode and exits 1", async () => {
    const client = fakeClient({
      get: async () => {
        throw new KitaruNotFoundError("Execution 'kr-x' not found.", { resourceType: "execution", resourceName: "kr-x" });
      },
    });
    const { code, stderr } = await cli(["executions", "get", "kr-x"], client);
    assert.equal(code, 1);
    assert.equal(stderr, "Error: Execution 'kr-x' not found.");
  });
});

describe("kitaru executions list", () => {
  it("prints a table, newest first", async () => {
    const client = fakeClient({ list: async () => [replayed, execution({ execId: "kr-old" })] });
    const { code, stdout } = await cli(["executions", "list", "--flow", "content_pipeline", "--status", "completed", "--limit", "2"], client);
    assert.equal(code, 0);
    const lines = stdout.split("\n");
    assert.match(lines[0]!, /^ID\s+FLOW\s+STATUS\s+VERSION\s+STARTED\s+ORIGINAL$/);
    assert.match(lines[1]!, /^kr-new\s+content_pipeline\s+completed\s+-\s+2026-03-01T10:00:00.000Z\s+kr-old$/);
    assert.match(lines[2]!, /^kr-old\s+content_pipeline\s+completed\s+-\s+\S+\s+-$/);
    assert.deepEqual(client.calls, [["list", { flow: "content_pipeline", status: "completed", limit: 2 }]]);
  });

  it("prints {command, items, count}", async () => {
    const { stdout } = await cli(["executions", "list", "-o", "json"], fakeClient({ list: async () => [replayed] }));
    const out = envelope(stdout);
    assert.equal(out["command"], "executions.list");
    assert.equal(out["count"], 1);
    assert.equal((out["items"] as Record<string, unknown>[])[0]?.["exec_id"], "kr-new");
  });

  it("shows page N of size S (reading the first N*S) and says how to get the next page", async () => {
    const all = Array.from({ length: 6 }, (_, i) => execution({ execId: `kr-${i}` }));
    const client = fakeClient({ list: async (options) => all.slice(0, options?.limit) });
    const { stdout } = await cli(["executions", "list", "--page", "2", "--size", "3", "--flow", "f"], client);
    assert.deepEqual(client.calls, [["list", { flow: "f", status: undefined, limit: 6 }]]);
    const lines = stdout.split("\n");
    assert.deepEqual(
      lines.slice(1, 4).map((l) => l.split(/\s+/)[0]),
      ["kr-3", "kr-4", "kr-5"],
    );
    assert.equal(lines[4], "Page 2 (3 per page). Next: kitaru executions list --flow f --page 3 --size 3");
    // JSON has the page's items only, and no note.
    const json = envelope((await cli(["executions", "list", "--page", "2", "--size", "3", "-o", "json"], client)).stdout);
    assert.deepEqual(
      (json["items"] as Record<string, unknown>[]).map((i) => i["exec_id"]),
      ["kr-3", "kr-4", "kr-5"],
    );
  });

  it("says so when nothing matches", async () => {
    const { stdout } = await cli(["executions", "list"], fakeClient({ list: async () => [] }));
    assert.equal(stdout, "No executions found.");
  });

  it("passes the client's usage error for a bad status through with its type", async () => {
    const client = fakeClient({
      list: async () => {
        throw new KitaruUsageError("Unsupported status filter 'done'. Expected one of: running, waiting, completed, failed, cancelled.");
      },
    });
    const { code, stderr } = await cli(["executions", "list", "--status", "done", "-o", "json"], client);
    assert.equal(code, 1);
    assert.deepEqual((envelope(stderr)["error"] as Record<string, unknown>)["type"], "KitaruUsageError");
  });
});

describe("kitaru executions latest, retry, cancel", () => {
  it("prints the newest execution like get", async () => {
    const client = fakeClient({ latest: async () => replayed });
    const { stdout } = await cli(["executions", "latest", "--flow", "content_pipeline"], client);
    assert.match(stdout, /Execution ID: kr-new/);
    assert.deepEqual(client.calls, [["latest", { flow: "content_pipeline", status: undefined }]]);
  });

  it("prints retried and cancelled executions", async () => {
    const running = execution({ status: ExecutionStatus.RUNNING, result: undefined });
    const cancelled = execution({ status: ExecutionStatus.CANCELLED, result: undefined });
    const retried = await cli(["executions", "retry", "kr-test"], fakeClient({ retry: async () => running }));
    assert.equal(retried.stdout, "Retried execution: kr-test\n  Status: running");
    const stopped = await cli(["executions", "cancel", "kr-test", "-o", "json"], fakeClient({ cancel: async () => cancelled }));
    const out = envelope(stopped.stdout);
    assert.equal(out["command"], "executions.cancel");
    assert.equal((out["item"] as Record<string, unknown>)["status"], "cancelled");
  });
});
