// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { waitFromProto, type ExecutionEvent } from "../../clients/ts/src/index.ts";
import { execution, T0, waitPb } from "../client/builders.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

const started = execution({ execId: "kr-9", status: ExecutionStatus.RUNNING, result: undefined });

describe("kitaru flows run", () => {
  it("starts the flow with its input and request ID", async () => {
    const client = fakeClient({ run: async () => started });
    const { code, stdout } = await cli(["flows", "run", "content_pipeline", "--args", '{"topic":"AI"}', "--request-id", "r-1"], client);
    assert.equal(code, 0);
    assert.equal(stdout, "Started execution: kr-9\n  Flow: content_pipeline\n  Status: running");
    assert.deepEqual(client.calls, [["run", "content_pipeline", { topic: "AI" }, { requestId: "r-1" }]]);
  });

  it("prints the execution as {command: flows.run, item}", async () => {
    const { stdout } = await cli(["flows", "run", "content_pipeline", "-o", "json"], fakeClient({ run: async () => started }));
    const out = envelope(stdout);
    assert.equal(out["command"], "flows.run");
    assert.equal((out["item"] as Record<string, unknown>)["exec_id"], "kr-9");
  });

  it("--wait stops at a pending wait, says how to answer it, and exits 0", async () => {
    const waiting = execution({ execId: "kr-9", status: ExecutionStatus.WAITING, result: undefined, pendingWaits: [waitPb({ execId: "kr-9" })] });
    const pending: ExecutionEvent = { kind: "waitPending", execId: "kr-9", time: T0, wait: waitFromProto(waitPb()) };
    const client = fakeClient({
      run: async () => started,
      watch: async function* () {
        yield pending;
      },
      get: async () => waiting,
    });
    const { code, stdout } = await cli(["flows", "run", "content_pipeline", "--wait"], client);
    assert.equal(code, 0);
    assert.match(stdout, /  ⏸ wait approve pending: Publish the draft\?\nStatus: waiting\n/);
    assert.match(stdout, /Answer with: kitaru executions input kr-9 --value '<json>'$/);
    assert.deepEqual(client.calls.at(-1), ["get", "kr-9", { view: "full" }]);
  });

  it("--wait -o json prints only the final execution on stdout", async () => {
    const done = execution({ execId: "kr-9" });
    const client = fakeClient({ run: async () => started, watch: async function* () {}, get: async () => done });
    const { code, stdout } = await cli(["flows", "run", "content_pipeline", "--wait", "-o", "json"], client);
    assert.equal(code, 0);
    assert.equal((envelope(stdout)["item"] as Record<string, unknown>)["result"], "final text");
  });

  it("--wait on a cancelled execution exits 1 with KitaruExecutionError", async () => {
    const cancelled = execution({ execId: "kr-9", status: ExecutionStatus.CANCELLED, result: undefined });
    const client = fakeClient({ run: async () => started, watch: async function* () {}, get: async () => cancelled });
    const { code, stderr } = await cli(["flows", "run", "content_pipeline", "--wait"], client);
    assert.equal(code, 1);
    assert.equal(stderr, "Error: Execution 'kr-9' was cancelled.");
  });
});
