// @tier unit
/** The executions list's filters, address and paging (clients/console/src/state/executions-list.ts), without a browser. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ExecutionSchema, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { ExecutionsListState, executionHref, originText } from "../../clients/console/src/state/executions-list.ts";

describe("the console's executions list, without the page", () => {
  it("asks ListExecutions for the address's filters, the unknown status as any", () => {
    const state = new ExecutionsListState(new URLSearchParams("flow=content_pipeline&status=waiting"));
    assert.deepEqual(state.request(), { flowName: "content_pipeline", status: ExecutionStatus.WAITING, pageSize: 25, pageToken: "" });
    assert.equal(new ExecutionsListState(new URLSearchParams("status=sleeping")).request().status, ExecutionStatus.UNSPECIFIED);
    assert.deepEqual(new ExecutionsListState(new URLSearchParams("")).request(), {
      flowName: "",
      status: ExecutionStatus.UNSPECIFIED,
      pageSize: 25,
      pageToken: "",
    });
  });

  it("pages older with the next page token and newer back to the tokens it came by", () => {
    const state = new ExecutionsListState(new URLSearchParams(""));
    assert.equal(state.hasNewer, false);
    state.received("t2");
    assert.equal(state.hasOlder, true);
    state.older();
    assert.equal(state.request().pageToken, "t2");
    state.received("t3");
    state.older();
    assert.deepEqual([state.request().pageToken, state.pageLabel, state.hasNewer], ["t3", "page 3", true]);
    state.received("");
    assert.equal(state.hasOlder, false, "the last page");
    state.older();
    assert.equal(state.request().pageToken, "t3", "no page past the last");
    state.newer();
    assert.deepEqual([state.request().pageToken, state.pageLabel], ["t2", "page 2"]);
    state.newer();
    assert.deepEqual([state.request().pageToken, state.pageLabel, state.hasNewer], ["", "page 1", false]);
  });

  it("goes back to the first page on new filters and names them in the address", () => {
    const state = new ExecutionsListState(new URLSearchParams(""));
    state.received("t2");
    state.older();
    assert.equal(state.filter("content_pipeline", "failed"), "#/executions?flow=content_pipeline&status=failed");
    assert.deepEqual(state.request(), { flowName: "content_pipeline", status: ExecutionStatus.FAILED, pageSize: 25, pageToken: "" });
    assert.equal(state.pageLabel, "page 1");
    assert.equal(state.filter("", ""), "#/executions");
    assert.equal(state.filter("a b&c", ""), "#/executions?flow=a+b%26c");
  });

  it("says where an execution comes from and links to it", () => {
    assert.equal(originText(create(ExecutionSchema, { originalExecId: "kr-a", replay: { from: "write_draft" } })), "replay of kr-a from write_draft");
    assert.equal(originText(create(ExecutionSchema, { retryCount: 2 })), "retry 2");
    assert.equal(originText(create(ExecutionSchema, {})), "");
    assert.equal(executionHref("kr-a/b"), "#/executions/kr-a%2Fb");
  });
});
