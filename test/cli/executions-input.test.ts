// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruWaitValidationError } from "../../clients/ts/src/index.ts";
import { ACTION_PROMPT, VALUE_PROMPT } from "../../clients/cli/src/commands/executions-input.ts";
import { execution, wait } from "../client/builders.ts";
import { cli, envelope, fakeClient, fakeIo } from "./fakes.ts";

const waiting = execution({ execId: "kr-1", status: ExecutionStatus.WAITING, result: undefined });
const running = execution({ execId: "kr-1", status: ExecutionStatus.RUNNING, result: undefined });
const cancelled = execution({ execId: "kr-1", status: ExecutionStatus.CANCELLED, result: undefined });
const approve = wait({ execId: "kr-1" });
const review = wait({ execId: "kr-1", waitId: "w-review-1", name: "review", question: "", schema: undefined });

describe("kitaru executions input --value / --abort", () => {
  it("auto-detects the single pending wait and resolves it by wait ID", async () => {
    const client = fakeClient({ pendingWaits: async () => [approve], input: async () => running });
    const { code, stdout } = await cli(["executions", "input", "kr-1", "--value", "true"], client);
    assert.equal(code, 0);
    assert.equal(stdout, "Resolved wait input for execution: kr-1\n  Status: running");
    assert.deepEqual(client.calls, [
      ["pendingWaits", "kr-1"],
      ["input", "kr-1", { wait: "w-approve-1", value: true }],
    ]);
  });

  it("reads --value from an @file", async () => {
    const client = fakeClient({ pendingWaits: async () => [approve], input: async () => running });
    const { code, stderr } = await cli(["executions", "input", "kr-1", "--value", "@answer.json"], client, undefined, { "answer.json": '{"approved": true}' });
    assert.equal(code, 0, stderr);
    assert.deepEqual(client.calls.at(-1), ["input", "kr-1", { wait: approve.waitId, value: { approved: true } }]);
  });

  it("prints the refreshed execution as the JSON item", async () => {
    const client = fakeClient({ pendingWaits: async () => [approve], input: async () => running });
    const { stdout } = await cli(["executions", "input", "kr-1", "--value", '{"ok":1}', "-o", "json"], client);
    const out = envelope(stdout);
    assert.equal(out["command"], "executions.input");
    assert.equal((out["item"] as Record<string, unknown>)["status"], "running");
  });

  it("refuses when there is no pending wait", async () => {
    const { code, stderr } = await cli(["executions", "input", "kr-1", "--value", "1"], fakeClient({ pendingWaits: async () => [] }));
    assert.equal(code, 1);
    assert.equal(stderr, "Error: Execution 'kr-1' has no pending waits to resolve.");
  });

  it("refuses several pending waits, naming them and pointing to --interactive", async () => {
    const client = fakeClient({ pendingWaits: async () => [approve, review] });
    const { code, stderr } = await cli(["executions", "input", "kr-1", "--value", "1", "-o", "json"], client);
    assert.equal(code, 1);
    assert.deepEqual(envelope(stderr)["error"], {
      message: "Execution 'kr-1' has multiple pending waits (approve, review). Use `kitaru executions input kr-1 --interactive` to resolve them.",
      type: "KitaruStateError",
    });
    assert.deepEqual(
      client.calls.map((c) => c[0]),
      ["pendingWaits"],
    );
  });

  it("aborts the single pending wait", async () => {
    const client = fakeClient({ pendingWaits: async () => [approve], abortWait: async () => cancelled });
    const { code, stdout } = await cli(["executions", "input", "kr-1", "--abort"], client);
    assert.equal(code, 0);
    assert.equal(stdout, "Aborted wait for execution: kr-1\n  Status: cancelled");
    assert.deepEqual(client.calls.at(-1), ["abortWait", "kr-1", { wait: "w-approve-1" }]);
  });

  it("reports a wait validation error with its type", async () => {
    const client = fakeClient({
      pendingWaits: async () => [approve],
      input: async () => {
        throw new KitaruWaitValidationError("Wait input failed validation for 'approve'.", {
          execId: "kr-1",
          waitName: "approve",
          waitId: "w-approve-1",
          violations: [],
        });
      },
    });
    const { code, stderr } = await cli(["executions", "input", "kr-1", "--value", '"yes"', "-o", "json"], client);
    assert.equal(code, 1);
    assert.equal((envelope(stderr)["error"] as Record<string, unknown>)["type"], "KitaruWaitValidationError");
  });
});

describe("kitaru executions input --interactive", () => {
  it("needs a terminal unless input is injected", async () => {
    const { code, stderr } = await cli(["executions", "input", "kr-1", "-i"], fakeClient(), fakeIo([], false));
    assert.equal(code, 1);
    assert.equal(stderr, "Error: Interactive mode requires a terminal (TTY) for input and output.");
  });

  it("shows each wait, continues with a JSON value and resolves by wait ID", async () => {
    const client = fakeClient({ get: async () => waiting, pendingWaits: async () => [approve], input: async () => running });
    const io = fakeIo(["c", "not json", '{"approved": true}']);
    const { code, stdout, stderr } = await cli(["executions", "input", "kr-1", "--interactive"], client, io);
    assert.equal(code, 0);
    assert.match(stdout, /Execution: kr-1\nFlow: content_pipeline\nStatus: waiting\nWait: approve\nWait ID: w-approve-1\nQuestion: Publish the draft\?/);
    assert.match(stdout, /JSON schema:\n\{\n  "type": "boolean"\n\}/);
    assert.match(stdout, /Resolved wait input for execution: kr-1\n  Status: running$/);
    assert.match(stderr, /^Error: Invalid JSON for `--value`: Unexpected token 'o'/);
    assert.deepEqual(io.prompts, [ACTION_PROMPT, VALUE_PROMPT, VALUE_PROMPT]);
    assert.deepEqual(client.calls.at(-1), ["input", "kr-1", { wait: "w-approve-1", value: { approved: true } }]);
  });

  it("sends null for an empty value and at end of input", async () => {
    const client = fakeClient({ get: async () => waiting, pendingWaits: async () => [approve, review], input: async () => running });
    const { code } = await cli(["executions", "input", "kr-1", "-i"], client, fakeIo(["c", "", "continue", null]));
    assert.equal(code, 0);
    const inputs = client.calls.filter((c) => c[0] === "input");
    assert.deepEqual(inputs, [
      ["input", "kr-1", { wait: "w-approve-1", value: null }],
      ["input", "kr-1", { wait: "w-review-1", value: null }],
    ]);
  });

  it("aborts, skips, re-prompts on unknown actions and stops at quit", async () => {
    const third = wait({ execId: "kr-1", waitId: "w-3", name: "third" });
    const client = fakeClient({
      get: async () => waiting,
      pendingWaits: async () => [approve, review, third],
      abortWait: async () => cancelled,
    });
    const io = fakeIo(["x", "a", "s", "q"]);
    const { code, stdout } = await cli(["executions", "input", "kr-1", "-i"], client, io);
    assert.equal(code, 0);
    assert.match(stdout, /Please answer c, a, s or q\./);
    assert.match(stdout, /Aborted wait for execution: kr-1\n  Status: cancelled/);
    assert.match(stdout, /Skipped wait review\./);
    assert.deepEqual(
      client.calls.filter((c) => c[0] === "abortWait"),
      [["abortWait", "kr-1", { wait: "w-approve-1" }]],
    );
    assert.equal(io.prompts.length, 4);
  });

  it("sweeps every waiting execution when no ID is given", async () => {
    const other = execution({ execId: "kr-2", status: ExecutionStatus.WAITING, result: undefined });
    const client = fakeClient({
      list: async () => [waiting, other],
      pendingWaits: async (execId: string) => [wait({ execId, waitId: `w-${execId}` })],
      input: async () => running,
    });
    const { code } = await cli(["executions", "input", "--interactive"], client, fakeIo(["c", "1", "c", "2"]));
    assert.equal(code, 0);
    assert.deepEqual(client.calls[0], ["list", { status: "waiting" }]);
    assert.deepEqual(
      client.calls.filter((c) => c[0] === "input"),
      [
        ["input", "kr-1", { wait: "w-kr-1", value: 1 }],
        ["input", "kr-2", { wait: "w-kr-2", value: 2 }],
      ],
    );
  });

  it("says when there is nothing to answer", async () => {
    const one = await cli(["executions", "input", "kr-1", "-i"], fakeClient({ get: async () => waiting, pendingWaits: async () => [] }));
    assert.equal(one.code, 0);
    assert.equal(one.stdout, "No pending waits found for execution 'kr-1'.");
    const all = await cli(["executions", "input", "-i"], fakeClient({ list: async () => [] }));
    assert.equal(all.stdout, "No pending waits found for any execution.");
  });

  it("prints per-wait errors, goes on, and exits 1 at the end", async () => {
    let first = true;
    const client = fakeClient({
      get: async () => waiting,
      pendingWaits: async () => [approve, review],
      input: async () => {
        if (first) {
          first = false;
          throw new KitaruWaitValidationError("Wait input failed validation for 'approve'.", {
            execId: "kr-1",
            waitName: "approve",
            waitId: "w-approve-1",
            violations: [],
          });
        }
        return running;
      },
    });
    const { code, stdout, stderr } = await cli(["executions", "input", "kr-1", "-i"], client, fakeIo(["c", '"x"', "c", "true"]));
    assert.equal(code, 1);
    assert.equal(stderr, "Error: Wait input failed validation for 'approve'.");
    assert.match(stdout, /Resolved wait input for execution: kr-1/);
  });

  it("stops with Interrupted. on Ctrl-C", async () => {
    const client = fakeClient({ get: async () => waiting, pendingWaits: async () => [approve] });
    const { code, stderr } = await cli(["executions", "input", "kr-1", "-i"], client, fakeIo(["c", "^C"]));
    assert.equal(code, 1);
    assert.equal(stderr, "Interrupted.");
  });
});
