import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { KitaruClient, KitaruNotFoundError } from "../../clients/ts/src/index.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";

// Issue 12: `kitaru executions tree` and `kitaru executions diff`, and the
// client's lineage() and compare(), against the real services.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("executions tree and diff: the TS client and the CLI", () => {
  let env: ServicesEnv;
  let client: KitaruClient;
  let source = "";
  let replay = "";
  let again = "";
  const kitaru = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(root, "bin", "kitaru.mjs"), ...args], {
        env: { ...process.env, KITARU_RUNNER_URL: `http://${env.runner.address}`, KITARU_PLANNER_URL: `http://${env.planner.address}` },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });

  before(async () => {
    env = await createServicesEnv([contentPipeline]);
    client = new KitaruClient({ runnerUrl: `http://${env.runner.address}`, plannerUrl: `http://${env.planner.address}` });
    source = (await client.flows.run("content_pipeline", { topic: "agents" })).execId;
    await client.executions.handle(source).wait();
    replay = (
      await client.executions.replay(source, { from: "write_draft", args: { topic: "New topic" }, overrides: { "checkpoint.research": "Edited notes" } })
    ).execId;
    await client.executions.handle(replay).wait();
    again = (await client.executions.replay(replay, { from: "publish" })).execId;
    await client.executions.handle(again).wait();
  });
  after(async () => {
    await client.close();
    await env.teardown();
    await stopTestServer();
  });

  it("client: lineage() gives the family from any member, compare() the call-by-call diff", async () => {
    const lineage = await client.executions.lineage(again);
    assert.equal(lineage.rootExecId, source);
    assert.deepEqual(
      lineage.nodes.map((n) => [n.execId, n.edge, n.parentExecId]),
      [
        [source, "original", ""],
        [replay, "replay_of", source],
        [again, "replay_of", replay],
      ],
    );
    const comparison = await client.executions.compare(source, replay);
    assert.deepEqual(
      comparison.calls.map((c) => [c.invocationId, c.kind]),
      [
        ["research", "overridden"],
        ["write_draft", "changed_output"],
        ["publish", "changed_output"],
      ],
    );
    assert.deepEqual(comparison.calls[0]!.changes, [{ path: "", kind: "changed", before: "notes on agents", after: "Edited notes" }]);
    assert.deepEqual(comparison.counts, { reused: 0, same_output: 0, changed_output: 2, overridden: 1, new: 0, not_reached: 0 });
    await assert.rejects(client.executions.compare(source, "kr-nope"), KitaruNotFoundError);
  });

  it("cli: `executions tree` draws the family and marks the execution asked about", async () => {
    const { code, stdout, stderr } = await kitaru(["executions", "tree", replay]);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split("\n");
    // The services here serve flows without a --flow-version or module: the registry's "unversioned".
    assert.match(lines[0]!, new RegExp(`^${source}  completed  original \\(content_pipeline\\)  3 calls  flow version unversioned$`));
    assert.match(
      lines[1]!,
      new RegExp(`^└── ${replay}  completed  replay from write_draft, overrides checkpoint.research  3 calls  flow version unversioned  ←$`),
    );
    assert.match(lines[2]!, new RegExp(`^    └── ${again}  completed  replay from publish  3 calls  flow version unversioned$`));
    const json = await kitaru(["executions", "tree", replay, "-o", "json"]);
    const item = JSON.parse(json.stdout) as { command: string; item: { root_exec_id: string; nodes: { exec_id: string; edge: string }[] } };
    assert.equal(item.command, "executions.tree");
    assert.equal(item.item.root_exec_id, source);
    assert.deepEqual(
      item.item.nodes.map((n) => n.edge),
      ["original", "replay_of", "replay_of"],
    );
  });

  it("cli: `executions diff` lists each call's kind and what changed, then input, result and counts", async () => {
    const { code, stdout, stderr } = await kitaru(["executions", "diff", source, replay]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`^${replay} compared with ${source} \\(base\\)\nflow version: unversioned \\(same code\\)\n`));
    assert.match(stdout, /^research\s+overridden\s+"notes on agents" → "Edited notes"$/m);
    assert.match(stdout, /^write_draft\s+changed output\s+"draft about agents from \[notes on agents\]" → "draft about New topic from \[Edited notes\]"$/m);
    assert.match(stdout, /^input: topic: "agents" → "New topic"$/m);
    assert.match(stdout, /^3 calls: 2 changed output, 1 overridden$/m);
    const same = await kitaru(["executions", "diff", replay, again, "-o", "json"]);
    const item = (JSON.parse(same.stdout) as { item: { calls: { invocation_id: string; kind: string }[] } }).item;
    // `again` reuses research as the base recorded it (overridden there):
    // relative to that base it is reused, not overridden again.
    assert.deepEqual(
      item.calls.map((c) => [c.invocation_id, c.kind]),
      [
        ["research", "reused"],
        ["write_draft", "reused"],
        ["publish", "same_output"],
      ],
    );
    const missing = await kitaru(["executions", "diff", source]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Missing execution ID\. Usage: kitaru executions diff <base_exec_id> <other_exec_id>/);
  });
});
