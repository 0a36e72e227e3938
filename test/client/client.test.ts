// @tier unit
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ExecutionEventSchema, ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { ReplayPlanSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import type { ListExecutionsRequest } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import {
  DEFAULT_PLANNER_URL,
  DEFAULT_RUNNER_URL,
  flowClient,
  KitaruBackendError,
  KitaruClient,
  KitaruNotFoundError,
  KitaruStateError,
  KitaruUsageError,
  KitaruWaitValidationError,
  type ExecutionEvent,
} from "../../clients/ts/src/index.ts";
import { resolveConnection } from "../../clients/ts/src/connection.ts";
import { jsonFromValue } from "../../clients/ts/src/convert/json.ts";
import { executionPb, json, T0, ts, waitPb } from "./builders.ts";
import { serveRunner, servePlanner, wireError, type FakeServer } from "./fake-services.ts";

const executions = Array.from({ length: 5 }, (_, i) => executionPb({ execId: `kr-${i}`, name: `executions/kr-${i}` }));
const listRequests: ListExecutionsRequest[] = [];
let lastResolve: { execId: string; wait: string; value: unknown } | undefined;
let lastStart: { flowName: string; input: unknown; requestId: string } | undefined;
let lastGetView: ExecutionView | undefined;
/** Request IDs the fake planner saw for `from: "flaky"`; it answers UNAVAILABLE to the first one. */
const flakyReplayIds: string[] = [];

let runner: FakeServer;
let planner: FakeServer;
let client: KitaruClient;

before(async () => {
  runner = await serveRunner({
    getExecution(request) {
      lastGetView = request.view;
      if (request.execId === "kr-missing") {
        throw wireError(new KitaruNotFoundError("Execution 'kr-missing' not found.", { resourceType: "execution", resourceName: "kr-missing" }));
      }
      return { execution: executionPb({ execId: request.execId }) };
    },
    listExecutions(request) {
      listRequests.push(request);
      const matching = request.flowName === "none" ? [] : executions;
      const start = request.pageToken === "" ? 0 : Number(request.pageToken);
      const size = request.pageSize || 2;
      const page = matching.slice(start, start + size);
      const next = start + size < matching.length ? String(start + size) : "";
      return { executions: page, nextPageToken: next };
    },
    listPendingWaits: () => ({ waits: [waitPb()] }),
    resolveWait(request) {
      lastResolve = { execId: request.execId, wait: request.wait, value: jsonFromValue(request.value) };
      if (request.wait === "bad") {
        throw wireError(
          new KitaruWaitValidationError("Wait input failed validation.", {
            execId: request.execId,
            waitName: "approve",
            waitId: "w-1",
            violations: [{ field: "", description: "expected boolean" }],
          }),
        );
      }
      return { execution: executionPb({ execId: request.execId, status: ExecutionStatus.RUNNING }) };
    },
    abortWait: (request) => ({ execution: executionPb({ execId: request.execId, status: ExecutionStatus.CANCELLED }) }),
    retryExecution: (request) => ({ execution: executionPb({ execId: request.execId, status: ExecutionStatus.RUNNING }) }),
    cancelExecution: (request) => ({ execution: executionPb({ execId: request.execId, status: ExecutionStatus.CANCELLED }) }),
    startExecution(request) {
      lastStart = { flowName: request.flowName, input: request.input, requestId: request.requestId };
      return { execution: executionPb({ execId: "kr-started", flowName: request.flowName, status: ExecutionStatus.RUNNING }) };
    },
    async *watchExecution(request) {
      yield {
        event: create(ExecutionEventSchema, {
          execId: request.execId,
          time: ts(T0),
          kind: { case: "statusChanged", value: { status: ExecutionStatus.COMPLETED, result: json("final text") } },
        }),
      };
    },
  });
  planner = await servePlanner({
    replayExecution(request) {
      if (request.from === "flaky") {
        flakyReplayIds.push(request.requestId);
        if (flakyReplayIds.length === 1) throw wireError(new KitaruBackendError("the runner did not answer in time"));
      }
      if (request.from === "nope") {
        throw wireError(
          new KitaruStateError("Checkpoint selector 'nope' matched nothing.", {
            selector: { selector: "nope", source: "from", candidates: [], availableNames: ["research", "write_draft"] },
          }),
        );
      }
      return {
        execution: executionPb({ execId: "kr-replayed", originalExecId: request.execId, status: ExecutionStatus.RUNNING }),
      };
    },
    planReplay: (request) => ({
      plan: create(ReplayPlanSchema, { sourceExecId: request.execId, from: request.from, input: { ...request.args } }),
    }),
  });
  client = new KitaruClient({ runnerUrl: runner.url, plannerUrl: planner.url, token: "s3cret" });
});

after(async () => {
  await client.close();
  await runner.close();
  await planner.close();
});

describe("KitaruClient", () => {
  it("reads an execution from the runner, full view, with the bearer token", async () => {
    const execution = await client.executions.get("kr-1");
    assert.equal(execution.execId, "kr-1");
    assert.equal(lastGetView, ExecutionView.FULL);
    assert.equal(runner.calls.at(-1)?.authorization, "Bearer s3cret");
  });

  it("replays through the planner and returns the new execution with its original", async () => {
    const before = runner.calls.length;
    const replayed = await client.executions.replay("kr-src", {
      from: "write_draft",
      args: { topic: "New topic" },
      overrides: { "checkpoint.research": "Edited notes" },
      requestId: "req-1",
    });
    assert.equal(replayed.execId, "kr-replayed");
    assert.equal(replayed.originalExecId, "kr-src");
    assert.equal(planner.calls.at(-1)?.method, "replayExecution");
    assert.equal(planner.calls.at(-1)?.authorization, "Bearer s3cret");
    assert.equal(runner.calls.length, before);
  });

  it("always sends a request ID with a replay, and retries a backend failure with the same one", async () => {
    const replayed = await client.executions.replay("kr-src", { from: "flaky" });
    assert.equal(replayed.execId, "kr-replayed");
    assert.equal(flakyReplayIds.length, 2, "asked twice");
    assert.match(flakyReplayIds[0] ?? "", /^[0-9a-f-]{36}$/, "a generated UUID");
    assert.equal(flakyReplayIds[1], flakyReplayIds[0], "the retry carries the same request ID");
  });

  it("plans a replay through the planner", async () => {
    const plan = await client.executions.planReplay("kr-src", { from: "write_draft", args: { topic: "T" } });
    assert.equal(plan.sourceExecId, "kr-src");
    assert.deepEqual(plan.input, { topic: "T" });
  });

  it("decodes typed errors from the status details", async () => {
    await assert.rejects(client.executions.get("kr-missing"), (error: unknown) => {
      assert.ok(error instanceof KitaruNotFoundError);
      assert.equal(error.resourceName, "kr-missing");
      return true;
    });
    await assert.rejects(client.executions.replay("kr-src", { from: "nope" }), (error: unknown) => {
      assert.ok(error instanceof KitaruStateError);
      assert.deepEqual(error.selector?.availableNames, ["research", "write_draft"]);
      return true;
    });
    await assert.rejects(client.executions.input("kr-1", { wait: "bad", value: "x" }), (error: unknown) => {
      assert.ok(error instanceof KitaruWaitValidationError);
      assert.deepEqual(error.violations, [{ field: "", description: "expected boolean" }]);
      return true;
    });
  });

  it("rejects an unknown status filter and a limit below 1 without calling the runner", async () => {
    const before = runner.calls.length;
    await assert.rejects(client.executions.list({ status: "done" as never }), {
      name: "KitaruUsageError",
      message: "Unsupported status filter 'done'. Expected one of: running, waiting, completed, failed, cancelled.",
    });
    await assert.rejects(client.executions.list({ limit: 0 }), (error: unknown) => error instanceof KitaruUsageError);
    assert.equal(runner.calls.length, before);
  });

  it("follows pages until limit executions are found", async () => {
    listRequests.length = 0;
    const found = await client.executions.list({ limit: 3, pageSize: 2, status: "completed", flow: "content_pipeline" });
    assert.deepEqual(
      found.map((e) => e.execId),
      ["kr-0", "kr-1", "kr-2"],
    );
    assert.equal(listRequests.length, 2);
    assert.equal(listRequests[0]?.status, ExecutionStatus.COMPLETED);
    assert.equal(listRequests[0]?.flowName, "content_pipeline");
  });

  it("lists every page without a limit, and one page with only a page token", async () => {
    assert.equal((await client.executions.list()).length, 5);
    const page = await client.executions.list({ pageToken: "2", pageSize: 2 });
    assert.deepEqual(
      page.map((e) => e.execId),
      ["kr-2", "kr-3"],
    );
  });

  it("latest returns the newest match in full and explains when there is none", async () => {
    assert.equal((await client.executions.latest()).execId, "kr-0");
    await assert.rejects(client.executions.latest({ flow: "none", status: "failed" }), (error: unknown) => {
      assert.ok(error instanceof KitaruNotFoundError);
      assert.equal(error.message, "No executions found for flow='none' and status='failed'.");
      return true;
    });
  });

  it("answers, aborts, retries and cancels on the runner", async () => {
    assert.equal((await client.executions.pendingWaits("kr-1"))[0]?.name, "approve");
    const resolved = await client.executions.input("kr-1", { wait: "approve", value: true });
    assert.equal(resolved.status, "running");
    assert.deepEqual(lastResolve, { execId: "kr-1", wait: "approve", value: true });
    assert.equal((await client.executions.abortWait("kr-1", { wait: "approve" })).status, "cancelled");
    assert.equal((await client.executions.retry("kr-1")).status, "running");
    assert.equal((await client.executions.cancel("kr-1")).status, "cancelled");
  });

  it("starts a flow with its input and request ID, and generates one when none is given", async () => {
    const started = await client.flows.run("content_pipeline", { topic: "AI" }, { requestId: "r-1" });
    assert.equal(started.execId, "kr-started");
    assert.deepEqual(lastStart, { flowName: "content_pipeline", input: { topic: "AI" }, requestId: "r-1" });
    await client.flows.run("content_pipeline", { topic: "AI" });
    assert.match(lastStart?.requestId ?? "", /^[0-9a-f-]{36}$/);
  });

  it("streams watch events and waits on a handle", async () => {
    const events: ExecutionEvent[] = [];
    for await (const event of client.executions.watch("kr-1")) events.push(event);
    assert.deepEqual(events, [{ kind: "statusChanged", execId: "kr-1", time: T0, status: "completed", result: "final text", metadata: {} }]);
    assert.equal(await client.executions.handle("kr-1").wait(), "final text");
  });

  it("raises KitaruBackendError when the runner cannot be reached", async () => {
    await using unreachable = new KitaruClient({ runnerUrl: "http://127.0.0.1:9", plannerUrl: planner.url });
    await assert.rejects(unreachable.executions.get("kr-1"), (error: unknown) => {
      assert.ok(error instanceof KitaruBackendError);
      assert.match(error.message, /^Cannot reach the kitaru runner at http:\/\/127\.0\.0\.1:9 \(.*\)\. Start it with `kitaru runner`/);
      return true;
    });
    const drain = async () => {
      for await (const _event of unreachable.executions.watch("kr-1")) assert.fail("no events expected");
    };
    await assert.rejects(drain(), (error: unknown) => error instanceof KitaruBackendError);
  });

  it("rejects URLs that are not http(s)", () => {
    assert.throws(() => new KitaruClient({ runnerUrl: "localhost:50051" }), KitaruUsageError);
  });
});

describe("resolveConnection", () => {
  it("prefers options, then KITARU_* variables, then the local defaults", () => {
    const noTls = { caFile: undefined, clientCertFile: undefined, clientKeyFile: undefined };
    assert.deepEqual(resolveConnection({}, {}), { runnerUrl: DEFAULT_RUNNER_URL, plannerUrl: DEFAULT_PLANNER_URL, token: undefined, tls: noTls });
    assert.equal(DEFAULT_RUNNER_URL, "http://127.0.0.1:50051");
    assert.equal(DEFAULT_PLANNER_URL, "http://127.0.0.1:50052");
    const env = { KITARU_RUNNER_URL: "http://r:1", KITARU_PLANNER_URL: "http://p:2", KITARU_TOKEN: "t" };
    assert.deepEqual(resolveConnection({}, env), { runnerUrl: "http://r:1", plannerUrl: "http://p:2", token: "t", tls: noTls });
    assert.deepEqual(resolveConnection({ runnerUrl: "http://x:3", token: "o" }, env), {
      runnerUrl: "http://x:3",
      plannerUrl: "http://p:2",
      token: "o",
      tls: noTls,
    });
    const tlsEnv = { KITARU_CA_FILE: "/ca.pem", KITARU_CLIENT_CERT: "/c.pem", KITARU_CLIENT_KEY: "/k.pem" };
    assert.deepEqual(resolveConnection({ caFile: "/mine.pem" }, tlsEnv).tls, { caFile: "/mine.pem", clientCertFile: "/c.pem", clientKeyFile: "/k.pem" });
  });
});

describe("flowClient", () => {
  it("runs the flow and returns a handle", async () => {
    const pipeline = flowClient<{ topic: string }, string>("content_pipeline", { client });
    const handle = await pipeline.run({ topic: "AI" });
    assert.equal(handle.execId, "kr-started");
    assert.equal(pipeline.flowName, "content_pipeline");
  });

  it("replays an execution of the same flow and refuses one of another flow", async () => {
    const pipeline = flowClient("content_pipeline", { client });
    const handle = await pipeline.replay({ execId: "kr-src", from: "write_draft", overrides: { "checkpoint.research": "x" } });
    assert.equal(handle.execId, "kr-replayed");
    const other = flowClient("other_flow", { client });
    await assert.rejects(other.replay({ execId: "kr-src", from: "write_draft" }), (error: unknown) => {
      assert.ok(error instanceof KitaruUsageError);
      assert.match(error.message, /belongs to flow 'content_pipeline', not 'other_flow'/);
      return true;
    });
  });
});
