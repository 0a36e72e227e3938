import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DivergenceKind } from "#gen/kitaru/errors/v1/errors_pb.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ExecutionVerification } from "../../clients/ts/src/index.ts";
import { execution } from "../client/builders.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

// Issue 16: flow versions wherever an execution is shown, and `executions verify`.

const T = new Date("2026-12-07T10:00:00.000Z");
const divergence = {
  execId: "kr-held",
  sourceExecId: "kr-held",
  invocationId: "write_draft",
  kind: DivergenceKind.CALL_REPLACED,
  recorded: "checkpoint 'write_draft' (invocation 'write_draft') as call 2",
  seen: "checkpoint 'write_draft_v2' (invocation 'write_draft_v2'), which the record does not hold, as call 2",
  recordedFlowVersion: "v1",
  flowVersion: "v2",
  replayCommand: "kitaru executions replay kr-held --from write_draft",
  replayFrom: "write_draft",
};
const held = execution({
  execId: "kr-held",
  status: ExecutionStatus.RUNNING,
  endTime: undefined,
  flowVersion: "v1",
  flowVersionRuns: [{ flowVersion: "v1", startTime: timestampFromDate(T) }],
  versionHold: { requiredFlowVersion: "v1", divergence, createTime: timestampFromDate(T) },
});
const resumedOnV2 = execution({
  execId: "kr-moved",
  flowVersion: "v1",
  flowVersionRuns: [
    { flowVersion: "v1", startTime: timestampFromDate(T) },
    { flowVersion: "v2", startTime: timestampFromDate(T) },
  ],
});

describe("flow versions in the CLI", () => {
  it("get shows the version that started it, the versions that ran it, and a hold with both ways out", async () => {
    const { stdout } = await cli(["executions", "get", "kr-held"], fakeClient({ get: async () => held }));
    assert.match(stdout, /Status: running \(waiting for a runner of flow version v1\)/);
    assert.match(stdout, /Flow version: v1\n/);
    assert.match(stdout, /Held for flow version v1 since 2026-12-07T10:00:00.000Z:/);
    assert.match(stdout, /flow version v2 diverged at 'write_draft' \(call replaced\)/);
    assert.match(stdout, /to continue it on the new code: kitaru executions replay kr-held --from write_draft/);
    assert.match(stdout, /or start a runner of flow version v1 to finish it as recorded/);

    const moved = await cli(["executions", "get", "kr-moved"], fakeClient({ get: async () => resumedOnV2 }));
    assert.match(moved.stdout, /Flow version: v1 \(ran on v1 → v2\)/);
  });

  it("get -o json carries flow_version, flow_version_runs and version_hold", async () => {
    const { stdout } = await cli(["executions", "get", "kr-held", "-o", "json"], fakeClient({ get: async () => held }));
    const item = envelope(stdout)["item"] as Record<string, unknown>;
    assert.equal(item["flow_version"], "v1");
    assert.deepEqual(item["flow_version_runs"], [{ flow_version: "v1", started_at: T.toISOString() }]);
    const hold = item["version_hold"] as Record<string, unknown>;
    assert.equal(hold["required_flow_version"], "v1");
    assert.equal((hold["divergence"] as Record<string, unknown>)["replay_command"], "kitaru executions replay kr-held --from write_draft");
    assert.equal((hold["divergence"] as Record<string, unknown>)["flow_version"], "v2");
  });

  it("list shows the version that ran each execution last, and which are held", async () => {
    const { stdout } = await cli(["executions", "list"], fakeClient({ list: async () => [held, resumedOnV2] }));
    const lines = stdout.split("\n");
    assert.match(lines[0]!, /^ID\s+FLOW\s+STATUS\s+VERSION\s+STARTED\s+ORIGINAL$/);
    assert.match(lines[1]!, /^kr-held\s+content_pipeline\s+running \(held for v1\)\s+v1\s/);
    assert.match(lines[2]!, /^kr-moved\s+content_pipeline\s+completed\s+v2\s/);
  });

  it("diff says when the code version changed between the two executions", async () => {
    const comparison = {
      baseExecId: "kr-a",
      otherExecId: "kr-b",
      calls: [],
      inputChanges: [],
      resultChanges: [],
      counts: { reused: 0, same_output: 0, changed_output: 0, overridden: 0, new: 0, not_reached: 0 },
      baseFlowVersion: "v1",
      otherFlowVersion: "v2",
    };
    const text = await cli(["executions", "diff", "kr-a", "kr-b"], fakeClient({ compare: async () => comparison }));
    assert.match(text.stdout, /flow version: v1 → v2 \(code version changed\)/);
    const same = await cli(["executions", "diff", "kr-a", "kr-b"], fakeClient({ compare: async () => ({ ...comparison, otherFlowVersion: "v1" }) }));
    assert.match(same.stdout, /flow version: v1 \(same code\)/);
    const json = envelope((await cli(["executions", "diff", "kr-a", "kr-b", "-o", "json"], fakeClient({ compare: async () => comparison }))).stdout);
    const item = json["item"] as Record<string, unknown>;
    assert.deepEqual([item["base_flow_version"], item["other_flow_version"], item["code_version_changed"]], ["v1", "v2", true]);
  });
});

describe("kitaru executions verify", () => {
  const compatible: ExecutionVerification = {
    execId: "kr-ok",
    flowName: "article",
    status: "waiting",
    recordedFlowVersion: "v1",
    verdict: "compatible",
    outcome: "would wait at 'approve'",
    matchedCalls: 2,
    recordedCalls: 2,
  };
  const diverged: ExecutionVerification = {
    execId: "kr-bad",
    flowName: "article",
    status: "waiting",
    recordedFlowVersion: "v1",
    verdict: "diverged",
    outcome: "diverges at 'write_draft'",
    matchedCalls: 1,
    recordedCalls: 2,
    divergence: {
      execId: "kr-bad",
      sourceExecId: "kr-bad",
      invocationId: "write_draft",
      kind: "call_replaced",
      recorded: "checkpoint 'write_draft'",
      seen: "checkpoint 'write_draft_v2'",
      recordedDependencies: [],
      seenDependencies: [],
      recordedFlowVersion: "v1",
      flowVersion: "v2",
      replayCommand: "kitaru executions replay kr-bad --from write_draft",
    },
  };

  it("asks the runner by filter, prints each verdict with the evidence and exits 1 on a divergence", async () => {
    const client = fakeClient({ verify: async () => ({ flowVersion: "v2", results: [compatible, diverged] }) });
    const { code, stdout } = await cli(["executions", "verify", "--flow", "article", "--status", "waiting", "--limit", "50"], client);
    assert.equal(code, 1);
    assert.deepEqual(client.calls, [["verify", { flow: "article", status: "waiting", limit: 50 }]]);
    assert.match(stdout, /^Checked against flow version v2 \(the runner's code\):/);
    assert.match(stdout, /kr-ok {2}article {2}waiting {2}\(recorded by v1, 2\/2 calls matched\) {2}compatible: would wait at 'approve'/);
    assert.match(stdout, /kr-bad .* DIVERGED at 'write_draft' \(call replaced\)/);
    assert.match(stdout, /recorded: {2}checkpoint 'write_draft'\n {6}this code: checkpoint 'write_draft_v2'/);
    assert.match(stdout, /to continue it on this code: kitaru executions replay kr-bad --from write_draft/);
    assert.match(stdout, /2 checked: 1 compatible, 1 diverged$/);
  });

  it("exits 0 when every execution is compatible, and passes IDs as given", async () => {
    const client = fakeClient({ verify: async () => ({ flowVersion: "v2", results: [compatible] }) });
    const { code } = await cli(["executions", "verify", "kr-ok"], client);
    assert.equal(code, 0);
    assert.deepEqual(client.calls, [["verify", { execIds: ["kr-ok"] }]]);
  });

  it("-o json prints {command, flow_version, items, count} and keeps the exit code", async () => {
    const client = fakeClient({ verify: async () => ({ flowVersion: "v2", results: [diverged] }) });
    const { code, stdout } = await cli(["executions", "verify", "kr-bad", "-o", "json"], client);
    assert.equal(code, 1);
    const out = envelope(stdout);
    assert.equal(out["command"], "executions.verify");
    assert.equal(out["flow_version"], "v2");
    assert.equal(out["count"], 1);
    const item = (out["items"] as Record<string, unknown>[])[0]!;
    assert.equal(item["verdict"], "diverged");
    assert.equal((item["divergence"] as Record<string, unknown>)["kind"], "call_replaced");
  });

  it("with --flows, checks each history read from the runner against the module loaded here", async () => {
    const history = { execId: "kr-ok", flowName: "article", status: "waiting" as const, input: {}, calls: [], waits: [] };
    const client = fakeClient({ list: async () => [execution({ execId: "kr-ok" })], history: async () => history });
    const loaded: unknown[] = [];
    const { code, stdout } = await cli(
      ["executions", "verify", "--status", "waiting", "--flows", "./new-flows.ts"],
      client,
      undefined,
      {},
      async (path, options) => {
        loaded.push([path, options]);
        return { flowVersion: "src-123456789abc", verify: async (h) => ({ ...compatible, execId: h.execId }) };
      },
    );
    assert.equal(code, 0);
    assert.deepEqual(loaded, [["./new-flows.ts", { flowVersion: undefined }]]);
    assert.deepEqual(client.calls, [
      ["list", { flow: undefined, status: "waiting", limit: 20 }],
      ["history", "kr-ok"],
    ]);
    assert.match(stdout, /^Checked against flow version src-123456789abc \(\.\/new-flows\.ts\):/);
  });

  it("refuses IDs with a filter, and --flow-version without --flows", async () => {
    const both = await cli(["executions", "verify", "kr-1", "--status", "waiting"]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /Give execution IDs or `--flow`\/`--status`\/`--limit`, not both/);
    const version = await cli(["executions", "verify", "--flow-version", "abc"]);
    assert.equal(version.code, 1);
    assert.match(version.stderr, /`--flow-version` names the version of `--flows`/);
  });
});
