import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { BadRequestSchema } from "#gen/google/rpc/error_details_pb.ts";
import { ExecutionStatus, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { KitaruNotFoundError, KitaruUsageError } from "#contract/errors/index.ts";
import { ledgerEntryFlow, orderIntakeFlow } from "../fixtures/flows/order-intake.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { expectRpcError, jsonValue } from "./rpc-helpers.ts";

const UNKNOWN_ID = "kr-aaaaaaaaaaaaaaaa";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("API errors and listing", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([orderIntakeFlow, ledgerEntryFlow]);
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  /** Every RPC that takes an execution ID, called with `execId`. */
  const executionRpcs = (execId: string): Record<string, () => Promise<unknown>> => ({
    GetExecution: () => env.client.getExecution({ execId }),
    ListPendingWaits: () => env.client.listPendingWaits({ execId }),
    ResolveWait: () => env.client.resolveWait({ execId, wait: "hold", value: jsonValue(1) }),
    AbortWait: () => env.client.abortWait({ execId, wait: "hold" }),
    RetryExecution: () => env.client.retryExecution({ execId }),
    CancelExecution: () => env.client.cancelExecution({ execId }),
    WatchExecution: async () => {
      for await (const _ of env.client.watchExecution({ execId })) {
        /* the first read fails */
      }
    },
    GetCallGraph: () => env.internalClient.getCallGraph({ execId }),
  });

  const listAll = async (flowName: string) => (await env.client.listExecutions({ flowName, pageSize: 200 })).executions;

  it("rejects a StartExecution without a flow name as a usage error", async () => {
    for (const flowName of ["", "   "]) {
      const { reason } = await expectRpcError(env.client.startExecution({ flowName, input: {} }), Code.InvalidArgument, KitaruUsageError);
      assert.equal(reason, "KITARU_USAGE_ERROR");
    }
  });

  it("rejects input failing the flow's schema with a field violation per path, and creates nothing", async () => {
    const { error, raw } = await expectRpcError(
      env.client.startExecution({
        flowName: "order_intake",
        input: {
          customer: { email: "not an email" },
          items: [
            { sku: "tea", qty: 2 },
            { sku: "", qty: 0 },
          ],
        },
      }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.deepEqual(error.violations.map((v) => v.field).sort(), ["customer.email", "items.1.qty", "items.1.sku"]);
    assert.ok(error.violations.every((v) => v.description.length > 0));
    const [badRequest] = raw.findDetails(BadRequestSchema);
    assert.deepEqual(badRequest?.fieldViolations.map((v) => v.field).sort(), ["customer.email", "items.1.qty", "items.1.sku"]);

    const missing = await expectRpcError(env.client.startExecution({ flowName: "order_intake", input: {} }), Code.InvalidArgument, KitaruUsageError);
    assert.deepEqual(missing.error.violations.map((v) => v.field).sort(), ["customer", "items"]);
    assert.deepEqual(await listAll("order_intake"), []);
  });

  it("answers NOT_FOUND for a flow the runner does not have", async () => {
    const { error } = await expectRpcError(env.client.startExecution({ flowName: "no_such_flow", input: {} }), Code.NotFound, KitaruNotFoundError);
    assert.equal(error.resourceType, "flow");
    assert.equal(error.resourceName, "no_such_flow");
    assert.match(error.message, /ledger_entry, order_intake/);
  });

  it("rejects a negative page_size, a page_token it did not issue and an unknown status filter", async () => {
    await expectRpcError(env.client.listExecutions({ pageSize: -1 }), Code.InvalidArgument, KitaruUsageError);
    await expectRpcError(env.client.listExecutions({ status: 42 as ExecutionStatus }), Code.InvalidArgument, KitaruUsageError);
    const foreign = Buffer.from(JSON.stringify({ x: 1 })).toString("base64url");
    for (const pageToken of ["not a token!", foreign]) {
      await expectRpcError(env.client.listExecutions({ pageToken }), Code.InvalidArgument, KitaruUsageError);
    }
  });

  it("rejects an empty exec_id on every execution RPC", async () => {
    for (const [rpc, call] of Object.entries(executionRpcs(""))) {
      await assert.doesNotReject(expectRpcError(call, Code.InvalidArgument, KitaruUsageError), `${rpc} with an empty exec_id`);
    }
  });

  it("answers NOT_FOUND for an unknown execution on every execution RPC", async () => {
    for (const [rpc, call] of Object.entries(executionRpcs(UNKNOWN_ID))) {
      const { error, reason } = await expectRpcError(call, Code.NotFound, KitaruNotFoundError).catch((e: Error) => {
        throw new Error(`${rpc}: ${e.message}`);
      });
      assert.equal(reason, "KITARU_NOT_FOUND", rpc);
      assert.equal(error.resourceName, UNKNOWN_ID, rpc);
    }
  });

  it("returns the same execution for a repeated request_id, even when the repeats race", async () => {
    const input = { customer: { email: "ana@example.com" }, items: [{ sku: "tea", qty: 3 }] };
    const first = (await env.client.startExecution({ flowName: "order_intake", input, requestId: "order-42" })).execution!;
    const again = (await env.client.startExecution({ flowName: "order_intake", input, requestId: "order-42" })).execution!;
    assert.equal(again.execId, first.execId);
    const listed = await listAll("order_intake");
    assert.deepEqual(
      listed.map((e) => e.execId),
      [first.execId],
      "one execution for the request ID",
    );
    const done = await eventually(
      async () => (await env.client.getExecution({ execId: first.execId })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      30_000,
    );
    assert.equal(done.result?.kind.value, "3 items for ana@example.com");
    const other = (await env.client.startExecution({ flowName: "order_intake", input, requestId: "order-43" })).execution!;
    assert.notEqual(other.execId, first.execId);

    // The same request arriving at once over several connections still starts one execution.
    const racing = await Promise.all(
      Array.from({ length: 10 }, () => env.newClient().startExecution({ flowName: "order_intake", input, requestId: "order-44" })),
    );
    assert.equal(new Set(racing.map((r) => r.execution!.execId)).size, 1);
    assert.equal((await listAll("order_intake")).length, 3);
  });

  it("refuses a request_id reused for another input or flow, naming the execution it created", async () => {
    const input = { customer: { email: "bo@example.com" }, items: [{ sku: "tea", qty: 1 }] };
    const first = (await env.client.startExecution({ flowName: "order_intake", input, requestId: "order-50" })).execution!;
    // The same input with its keys in another order is the same request.
    const reordered = { items: [{ qty: 1, sku: "tea" }], customer: { email: "bo@example.com" } };
    assert.equal((await env.client.startExecution({ flowName: "order_intake", input: reordered, requestId: "order-50" })).execution!.execId, first.execId);
    const other = { ...input, items: [{ sku: "tea", qty: 2 }] };
    const { error, reason } = await expectRpcError(
      env.client.startExecution({ flowName: "order_intake", input: other, requestId: "order-50" }),
      Code.InvalidArgument,
      KitaruUsageError,
    );
    assert.equal(reason, "KITARU_USAGE_ERROR");
    assert.ok(
      error.message.startsWith(`Request ID 'order-50' was already used for a different request (it created execution '${first.execId}').`),
      error.message,
    );
    assert.deepEqual(error.violations, [{ field: "request_id", description: "already used for a different flow and input" }]);
    assert.equal(error.metadata["execId"], first.execId);
    assert.equal((await listAll("order_intake")).filter((e) => e.execId === first.execId).length, 1);
  });

  it("lists executions newest first, filtered by flow and status, across pages without gaps or duplicates", async () => {
    const started: string[] = [];
    const holding = new Set([2, 5]);
    for (let n = 0; n < 7; n++) {
      const { execution } = await env.client.startExecution({ flowName: "ledger_entry", input: { n, hold: holding.has(n) } });
      started.push(execution!.execId);
      await sleep(5); // distinct creation times
    }
    const status = async () => new Map((await listAll("ledger_entry")).map((e) => [e.execId, e.status]));
    const settled = await eventually(status, (s) => [...s.values()].every((v) => v === ExecutionStatus.COMPLETED || v === ExecutionStatus.WAITING), 30_000);
    const newestFirst = [...started].reverse();
    const waitingIds = newestFirst.filter((_, i) => holding.has(6 - i));
    const completedIds = newestFirst.filter((id) => !waitingIds.includes(id));
    assert.deepEqual([...settled.keys()], newestFirst);

    const ids = (executions: readonly Execution[]) => executions.map((e) => e.execId);
    assert.deepEqual(ids((await env.client.listExecutions({ flowName: "ledger_entry", status: ExecutionStatus.WAITING })).executions), waitingIds);
    assert.deepEqual(ids((await env.client.listExecutions({ flowName: "ledger_entry", status: ExecutionStatus.COMPLETED })).executions), completedIds);
    const everything = ids((await env.client.listExecutions({ pageSize: 200 })).executions);
    assert.ok(everything.length > started.length && started.every((id) => everything.includes(id)), "no filter lists every flow");

    for (const [pageSize, filter, expected] of [
      [3, {}, newestFirst],
      [2, { status: ExecutionStatus.COMPLETED }, completedIds],
      [7, {}, newestFirst],
    ] as const) {
      const pages: string[][] = [];
      let pageToken = "";
      do {
        const page = await env.client.listExecutions({ flowName: "ledger_entry", ...filter, pageSize, pageToken });
        pages.push(ids(page.executions));
        pageToken = page.nextPageToken;
        assert.ok(pages.length <= expected.length + 1, "paging ends");
      } while (pageToken !== "");
      assert.deepEqual(pages.flat(), expected, `pages of ${pageSize}: ${JSON.stringify(pages)}`);
      assert.ok(
        pages.slice(0, -1).every((p) => p.length === pageSize),
        "every page but the last is full",
      );
    }
  });
});
