// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LogEntry, LogFollowEvent } from "../../clients/ts/src/index.ts";
import { KitaruStateError } from "../../clients/ts/src/index.ts";
import { T0, waitPb } from "../client/builders.ts";
import { waitFromProto } from "../../clients/ts/src/convert/wait.ts";
import { cli, envelope, fakeClient } from "./fakes.ts";

function entry(message: string, rest: Partial<LogEntry> = {}): LogEntry {
  return {
    execId: "kr-1",
    invocationId: "research",
    checkpointName: "research",
    callId: "call-r1",
    attempt: 1,
    time: T0,
    level: "info",
    message,
    source: "console",
    ...rest,
  };
}

const entries = [
  entry("searching"),
  entry("odd result", { level: "warn", source: "logger" }),
  entry("drafting", { invocationId: "write_draft", checkpointName: "write_draft", callId: "call-w1" }),
];

async function* events(list: LogFollowEvent[]): AsyncGenerator<LogFollowEvent> {
  for (const event of list) yield event;
}

describe("kitaru executions logs", () => {
  it("prints messages, with time and level at -v and the checkpoint at -vv", async () => {
    const client = fakeClient({ logs: async () => entries });
    assert.equal((await cli(["executions", "logs", "kr-1"], client)).stdout, "searching\nodd result\ndrafting");
    assert.equal(
      (await cli(["executions", "logs", "kr-1", "-v"], client)).stdout,
      "2026-03-01 10:00:00 INFO  searching\n2026-03-01 10:00:00 WARNING odd result\n2026-03-01 10:00:00 INFO  drafting",
    );
    assert.equal((await cli(["executions", "logs", "kr-1", "-vv"], client)).stdout.split("\n")[2], "2026-03-01 10:00:00 INFO  [write_draft] drafting");
  });

  it("passes --checkpoint and --limit to the client, and groups by checkpoint with --grouped", async () => {
    const client = fakeClient({ logs: async () => entries });
    const { stdout } = await cli(["executions", "logs", "kr-1", "--checkpoint", "research", "--limit", "2", "--grouped"], client);
    assert.deepEqual(client.calls[0], ["logs", "kr-1", { checkpoint: "research", limit: 2 }]);
    assert.equal(stdout, `── checkpoint: research ${"─".repeat(30)}\nsearching\nodd result\n\n── checkpoint: write_draft ${"─".repeat(30)}\ndrafting`);
  });

  it("prints Kitaru's {command, items, count} with Kitaru's log entry keys", async () => {
    const { stdout } = await cli(["executions", "logs", "kr-1", "-o", "json"], fakeClient({ logs: async () => entries }));
    const out = envelope(stdout);
    assert.equal(out["command"], "executions.logs");
    assert.equal(out["count"], 3);
    assert.deepEqual((out["items"] as unknown[])[1], {
      message: "odd result",
      level: "WARNING",
      timestamp: T0.toISOString(),
      source: "step",
      checkpoint_name: "research",
      invocation_id: "research",
      call_id: "call-r1",
      attempt: 1,
      exec_id: "kr-1",
      origin: "logger",
    });
  });

  it("says so when there is nothing to show", async () => {
    const { code, stdout } = await cli(["executions", "logs", "kr-1"], fakeClient({ logs: async () => [] }));
    assert.equal(code, 0);
    assert.match(stdout, /^No log entries found for execution kr-1\./);
  });

  it("refuses Kitaru's invalid combinations before calling anything", async () => {
    const client = fakeClient();
    const grouped = await cli(["executions", "logs", "kr-1", "--grouped", "-o", "json"], client);
    assert.equal(grouped.code, 1);
    assert.match(grouped.stderr, /`--grouped` cannot be combined with `--output json`/);
    assert.match((await cli(["executions", "logs", "kr-1", "--interval", "0"], client)).stderr, /`--interval` must be > 0\./);
    assert.match((await cli(["executions", "logs", "kr-1", "--source", "runner"], client)).stderr, /`--source runner` is not available/);
    assert.match((await cli(["executions", "logs", "kr-1", "--limit", "0"], client)).stderr, /`--limit` must be >= 1/);
    assert.deepEqual(client.calls, []);
  });

  it("reports a typed error from the client as Kitaru does", async () => {
    const client = fakeClient({
      logs: async () => {
        throw new KitaruStateError("No checkpoint call in execution 'kr-1' matches 'nope'.");
      },
    });
    const { code, stderr } = await cli(["executions", "logs", "kr-1", "--checkpoint", "nope", "-o", "json"], client);
    assert.equal(code, 1);
    assert.deepEqual(envelope(stderr), {
      command: "executions.logs",
      error: { message: "No checkpoint call in execution 'kr-1' matches 'nope'.", type: "KitaruStateError" },
    });
  });

  it("--follow prints lines as they come, the wait once, and exits 0 when completed", async () => {
    const wait = waitFromProto(waitPb());
    const client = fakeClient({
      followLogs: () =>
        events([
          { kind: "statusChanged", status: "running", result: undefined, metadata: {} },
          { kind: "log", entry: entries[0]! },
          { kind: "statusChanged", status: "waiting", result: undefined, metadata: {} },
          { kind: "statusChanged", status: "running", result: undefined, metadata: {} },
          { kind: "log", entry: entries[2]! },
          { kind: "statusChanged", status: "completed", result: "done", metadata: {} },
        ]),
      pendingWaits: async () => [wait],
    });
    const { code, stdout } = await cli(["executions", "logs", "kr-1", "--follow"], client);
    assert.equal(code, 0);
    assert.equal(stdout, `searching\n[Execution is waiting for input on: ${wait.name}]\ndrafting\n[Execution completed successfully]`);
  });

  it("--follow -o json emits JSONL log, waiting and terminal events; a failure exits 1 with the recovery command", async () => {
    const client = fakeClient({
      followLogs: () =>
        events([
          { kind: "log", entry: entries[0]! },
          {
            kind: "statusChanged",
            status: "failed",
            result: undefined,
            metadata: {},
            failure: { origin: "user_code", message: "boom", exceptionType: "Error", invocationId: "research", traceback: TRACEBACK },
          },
        ]),
    });
    const { code, stdout } = await cli(["executions", "logs", "kr-1", "--follow", "-o", "json"], client);
    assert.equal(code, 1);
    const lines = stdout.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l["command"], l["event"]]),
      [
        ["executions.logs", "log"],
        ["executions.logs", "terminal"],
      ],
    );
    // Issue 19 item 13: the failure's type, origin, call and traceback are in the last line, as Kitaru's stream ends.
    assert.deepEqual(lines[1]!["item"], {
      status: "failed",
      message: "boom",
      exception_type: "Error",
      origin: "user_code",
      invocation_id: "research",
      traceback: TRACEBACK,
      recovery_command: "kitaru executions retry kr-1",
    });
  });

  it("--follow ends a failed execution with its failure and traceback in text too (issue 19 item 13)", async () => {
    const failed: LogFollowEvent = {
      kind: "statusChanged",
      status: "failed",
      result: undefined,
      metadata: {},
      failure: { origin: "user_code", message: "boom", exceptionType: "Error", invocationId: "research", traceback: TRACEBACK },
    };
    const { code, stdout } = await cli(
      ["executions", "logs", "kr-1", "--follow"],
      fakeClient({ followLogs: () => events([{ kind: "log", entry: entries[0]! }, failed]) }),
    );
    assert.equal(code, 1);
    assert.equal(
      stdout,
      [
        "searching",
        "[Execution failed: Error: boom (checkpoint 'research')]",
        "  Error: boom",
        "      at research (/app/flows.ts:7:11)",
        "Retry it with: kitaru executions retry kr-1",
      ].join("\n"),
    );
  });

  it("accepts Kitaru's --no-follow and --exec-id (issue 19 item 13)", async () => {
    const client = fakeClient({ logs: async () => entries, followLogs: () => events([]) });
    assert.equal((await cli(["executions", "logs", "--exec-id", "kr-1", "--no-follow"], client)).stdout, "searching\nodd result\ndrafting");
    assert.deepEqual(client.calls[0], ["logs", "kr-1", { checkpoint: undefined, limit: undefined }]);
    assert.equal((await cli(["executions", "logs", "kr-1", "--follow", "--no-follow"], client)).code, 0);
    assert.deepEqual(client.calls[1]?.[0], "logs", "the last of --follow and --no-follow wins");
    const both = await cli(["executions", "logs", "kr-1", "--exec-id", "kr-2"], client);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /Give the execution ID once: as an argument \('kr-1'\) or with `--exec-id` \('kr-2'\)/);
  });
});

const TRACEBACK = "Error: boom\n    at research (/app/flows.ts:7:11)\n";

describe("kitaru flows list", () => {
  const flows = [
    {
      name: "content_pipeline",
      inputSchema: { type: "object", properties: { topic: { type: "string" }, audience: { type: "string" } }, required: ["topic"] },
      flowVersion: "src-3f9a1c0e7b2d",
    },
    { name: "no_schema", inputSchema: undefined, flowVersion: "src-3f9a1c0e7b2d" },
  ];

  it("prints each flow with its input fields", async () => {
    const { code, stdout } = await cli(["flows", "list"], fakeClient({ listFlows: async () => flows }));
    assert.equal(code, 0);
    assert.equal(
      stdout,
      "content_pipeline  input: topic (string, required), audience (string)\nno_schema  input: any JSON object\nFlow version: src-3f9a1c0e7b2d",
    );
  });

  it("prints {command, items, count} with the input JSON schemas", async () => {
    const { stdout } = await cli(["flows", "list", "-o", "json"], fakeClient({ listFlows: async () => flows }));
    assert.deepEqual(envelope(stdout), {
      command: "flows.list",
      items: [
        { name: "content_pipeline", input_schema: flows[0]!.inputSchema, flow_version: "src-3f9a1c0e7b2d" },
        { name: "no_schema", input_schema: null, flow_version: "src-3f9a1c0e7b2d" },
      ],
      count: 2,
    });
  });
});
