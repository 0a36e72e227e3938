// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseArgs, type ParseResult } from "../../clients/cli/src/parse-args.ts";

function command(argv: string[]) {
  const result = parseArgs(argv);
  assert.ok(result.ok, `expected ${argv.join(" ")} to parse: ${result.ok ? "" : result.errorMessage}`);
  return result.command;
}

function failure(argv: string[]): Extract<ParseResult, { ok: false }> {
  const result = parseArgs(argv);
  assert.ok(!result.ok, `expected ${argv.join(" ")} to be refused`);
  return result;
}

describe("parseArgs: top level", () => {
  it("asks for help without arguments or with -h/--help", () => {
    for (const argv of [[], ["--help"], ["-h"], ["help"]]) assert.deepEqual(command(argv), { kind: "help", topic: "kitaru" });
  });

  it("asks for group and command help", () => {
    assert.deepEqual(command(["executions"]), { kind: "help", topic: "executions" });
    assert.deepEqual(command(["flows", "--help"]), { kind: "help", topic: "flows" });
    assert.deepEqual(command(["executions", "replay", "--help"]), { kind: "help", topic: "executions.replay" });
    assert.deepEqual(command(["executions", "input", "-h"]), { kind: "help", topic: "executions.input" });
  });

  it("prints the version", () => {
    assert.deepEqual(command(["--version"]), { kind: "version" });
    assert.deepEqual(command(["-V"]), { kind: "version" });
  });

  it("hands runner and planner the rest of the line unparsed", () => {
    assert.deepEqual(command(["runner", "--port", "50051", "--weird"]), {
      kind: "service",
      service: "runner",
      argv: ["--port", "50051", "--weird"],
    });
    assert.deepEqual(command(["planner"]), { kind: "service", service: "planner", argv: [] });
  });

  it("refuses unknown commands and subcommands", () => {
    assert.match(failure(["exec"]).errorMessage, /Unknown command 'exec'/);
    assert.match(failure(["executions", "resume", "kr-1"]).errorMessage, /Unknown executions subcommand 'resume'. Expected one of: get, list/);
  });
});

describe("parseArgs: output and positionals", () => {
  it("reads -o/--output in every form", () => {
    for (const argv of [["-o", "json"], ["-ojson"], ["--output", "json"], ["--output=json"]]) {
      assert.equal(command(["executions", "get", "kr-1", ...argv]).kind, "executions.get");
      assert.deepEqual(command(["executions", "get", "kr-1", ...argv]), { kind: "executions.get", execId: "kr-1", output: "json" });
    }
    assert.deepEqual(command(["executions", "get", "kr-1"]), { kind: "executions.get", execId: "kr-1", output: "text" });
  });

  it("refuses an unknown output format with Kitaru's message", () => {
    const result = failure(["executions", "get", "kr-1", "-o", "yaml"]);
    assert.equal(result.errorMessage, "`--output` must be either `text` or `json`.");
    assert.equal(result.commandName, "executions.get");
  });

  it("refuses a missing or extra positional", () => {
    assert.match(failure(["executions", "get"]).errorMessage, /^Missing execution ID\. Usage: kitaru executions get <exec_id>/);
    assert.match(failure(["flows", "run"]).errorMessage, /^Missing flow name\./);
    assert.match(failure(["executions", "cancel", "kr-1", "kr-2"]).errorMessage, /^Unexpected argument 'kr-2'/);
  });

  it("refuses unknown options and options missing their value", () => {
    assert.match(failure(["executions", "get", "kr-1", "--from", "x"]).errorMessage, /Unknown option '--from' for `kitaru executions get`/);
    assert.equal(failure(["executions", "replay", "kr-1", "--from"]).errorMessage, "Option `--from` requires a value.");
    assert.equal(failure(["executions", "replay", "kr-1", "--from", "a", "--plan=yes"]).errorMessage, "Option `--plan` does not take a value.");
  });

  it("keeps the requested output format for errors", () => {
    const result = failure(["executions", "replay", "kr-1", "-o", "json"]);
    assert.equal(result.output, "json");
    assert.equal(result.commandName, "executions.replay");
  });
});

describe("parseArgs: executions replay", () => {
  it("parses selectors, JSON objects and flags", () => {
    assert.deepEqual(
      command([
        "executions",
        "replay",
        "kr-a8f3c2",
        "--from",
        "write_draft",
        "--args",
        '{"topic":"New topic"}',
        "--overrides",
        '{"checkpoint.research":"Edited notes"}',
        "--wait",
        "--request-id",
        "r-1",
        "-o",
        "json",
      ]),
      {
        kind: "executions.replay",
        execId: "kr-a8f3c2",
        selection: undefined,
        concurrency: undefined,
        from: "write_draft",
        args: { topic: "New topic" },
        overrides: { "checkpoint.research": "Edited notes" },
        allowOverrideTypeChange: false,
        answerWaitsFromSource: [],
        plan: false,
        wait: true,
        requestId: "r-1",
        output: "json",
      },
    );
  });

  it("splits --answer-waits-from-source at commas, keeping each name as given", () => {
    const parsed = command(["executions", "replay", "kr-1", "--from", "a", "--answer-waits-from-source", "approve,review_2"]);
    assert.ok(parsed.kind === "executions.replay");
    assert.deepEqual(parsed.answerWaitsFromSource, ["approve", "review_2"]);
    assert.match(failure(["executions", "replay", "kr-1", "--from", "a", "--answer-waits-from-source", ",a"]).errorMessage, /none blank/);
  });

  it("requires --from", () => {
    assert.match(failure(["executions", "replay", "kr-1"]).errorMessage, /^`--from` is required/);
  });

  it("refuses --plan with --wait or --request-id", () => {
    assert.equal(failure(["executions", "replay", "kr-1", "--from", "a", "--plan", "--wait"]).errorMessage, "`--wait` cannot be used with `--plan`.");
    assert.match(
      failure(["executions", "replay", "kr-1", "--from", "a", "--plan", "--request-id", "r"]).errorMessage,
      /^`--request-id` cannot be used with `--plan`/,
    );
  });

  it("refuses --args and --overrides that are not JSON objects", () => {
    assert.equal(
      failure(["executions", "replay", "kr-1", "--from", "a", "--args", "[1]"]).errorMessage,
      '`--args` must be a JSON object (for example: \'{"topic": "AI"}\').',
    );
    assert.equal(
      failure(["executions", "replay", "kr-1", "--from", "a", "--overrides", '"x"']).errorMessage,
      '`--overrides` must be a JSON object (for example: \'{"checkpoint.research": "Edited notes"}\').',
    );
    assert.match(
      failure(["executions", "replay", "kr-1", "--from", "a", "--overrides", "{bad}"]).errorMessage,
      /^Invalid JSON for `--overrides`: .* \(line 1, column 2\)\.$/,
    );
  });
});

describe("parseArgs: executions replay of many (a replay job)", () => {
  const now = new Date("2026-12-07T12:00:00.000Z");
  const parsed = (argv: string[]) => {
    const result = parseArgs(argv, { now: () => now });
    assert.ok(result.ok, result.ok ? "" : result.errorMessage);
    return result.command;
  };

  it("reads the selection: flow, statuses, window (times and durations), labels, IDs, limit", () => {
    const replay = parsed([
      "executions",
      "replay",
      "--flow",
      "content_pipeline",
      "--status",
      "failed,cancelled",
      "--status",
      "waiting",
      "--since",
      "2h",
      "--until",
      "2026-12-07T11:30:00Z",
      "--label",
      "team=growth",
      "--label",
      "tier=a=b",
      "--limit",
      "50",
      "--from",
      "write_draft",
      "--overrides",
      '{"checkpoint.research":"x"}',
      "--concurrency",
      "8",
      "--answer-waits-from-source",
      "approve,review",
      "--wait",
    ]);
    assert.equal(replay.kind, "executions.replay");
    if (replay.kind !== "executions.replay") return;
    assert.equal(replay.execId, undefined);
    assert.deepEqual(replay.selection, {
      flow: "content_pipeline",
      statuses: ["failed", "cancelled", "waiting"],
      since: new Date("2026-12-07T10:00:00.000Z"),
      until: new Date("2026-12-07T11:30:00.000Z"),
      labels: { team: "growth", tier: "a=b" },
      execIds: [],
      limit: 50,
    });
    assert.deepEqual([replay.concurrency, replay.answerWaitsFromSource, replay.wait], [8, ["approve", "review"], true]);
    const byIds = parsed(["executions", "replay", "--ids", "kr-1,kr-2", "--ids", "kr-3", "--from", "a", "--plan"]);
    assert.deepEqual(byIds.kind === "executions.replay" ? [byIds.selection?.execIds, byIds.plan] : [], [["kr-1", "kr-2", "kr-3"], true]);
  });

  it("refuses an ID with a selection, neither, a bad window, and job options on a single replay", () => {
    assert.match(failure(["executions", "replay", "kr-1", "--flow", "f", "--from", "a"]).errorMessage, /^Give one execution ID, or select executions/);
    assert.match(failure(["executions", "replay", "--from", "a"]).errorMessage, /^Missing execution ID\. Give one, or select executions with `--flow NAME`/);
    assert.match(
      failure(["executions", "replay", "--status", "failed", "--from", "a"]).errorMessage,
      /^Select the executions to replay with `--flow NAME` or `--ids/,
    );
    assert.match(failure(["executions", "replay", "--flow", "f", "--since", "yesterday", "--from", "a"]).errorMessage, /^`--since` must be an ISO 8601 time/);
    assert.equal(
      failure(["executions", "replay", "--flow", "f", "--since", "1h", "--until", "2h", "--from", "a"]).errorMessage,
      "`--since` must be before `--until`.",
    );
    assert.equal(failure(["executions", "replay", "--flow", "f", "--label", "team", "--from", "a"]).errorMessage, "`--label` takes KEY=VALUE; got 'team'.");
    assert.match(failure(["executions", "replay", "kr-1", "--from", "a", "--concurrency", "2"]).errorMessage, /applies to a replay job/);
    assert.equal(
      failure(["executions", "replay", "--flow", "f", "--from", "a", "--concurrency", "0"]).errorMessage,
      "`--concurrency` must be between 1 and 64.",
    );
  });
});

describe("parseArgs: jobs", () => {
  it("parses get, list, diff, cancel and watch", () => {
    assert.deepEqual(command(["jobs", "get", "rj-1", "-o", "json"]), { kind: "jobs.get", jobId: "rj-1", output: "json" });
    assert.deepEqual(command(["jobs", "list"]), { kind: "jobs.list", limit: 20, output: "text" });
    assert.deepEqual(command(["jobs", "diff", "rj-1", "--changed"]), { kind: "jobs.diff", jobId: "rj-1", changedOnly: true, output: "text" });
    assert.deepEqual(command(["jobs", "cancel", "rj-1"]), { kind: "jobs.cancel", jobId: "rj-1", output: "text" });
    assert.deepEqual(command(["jobs", "watch", "rj-1"]), { kind: "jobs.watch", jobId: "rj-1", output: "text" });
  });

  it("asks for the job ID and refuses unknown subcommands", () => {
    assert.equal(failure(["jobs", "get"]).errorMessage, "Missing job ID. Usage: kitaru jobs get <job_id>");
    assert.equal(failure(["jobs", "start"]).errorMessage, "Unknown jobs subcommand 'start'. Expected one of: get, list, diff, cancel, watch.");
  });
});

describe("parseArgs: executions input", () => {
  const input = (...rest: string[]) => ["executions", "input", ...rest];

  it("parses --value as JSON, --abort and --interactive", () => {
    assert.deepEqual(command(input("kr-1", "--value", '{"approved":true}')), {
      kind: "executions.input",
      execId: "kr-1",
      mode: { kind: "value", value: { approved: true } },
      output: "text",
    });
    assert.deepEqual(command(input("kr-1", "--value", "-1")), {
      kind: "executions.input",
      execId: "kr-1",
      mode: { kind: "value", value: -1 },
      output: "text",
    });
    assert.deepEqual(command(input("kr-1", "--abort")).kind, "executions.input");
    assert.deepEqual(command(input("-i")), { kind: "executions.input", execId: undefined, mode: { kind: "interactive" }, output: "text" });
  });

  it("refuses every flag combination with Kitaru's messages", () => {
    const cases: [string[], string][] = [
      [input("kr-1", "--interactive", "--value", "1"), "`--value` cannot be used with `--interactive`."],
      [input("kr-1", "--interactive", "--abort"), "`--abort` cannot be used with `--interactive`."],
      [input("kr-1", "--interactive", "-o", "json"), "`--output json` cannot be used with `--interactive`."],
      [input("--value", "1"), "Execution ID is required in non-interactive mode. Use `--interactive` to sweep all waiting executions."],
      [input("kr-1", "--abort", "--value", "1"), "`--value` cannot be used with `--abort`."],
      [input("kr-1"), "`--value` is required (or use `--abort` / `--interactive`)."],
    ];
    for (const [argv, message] of cases) assert.equal(failure(argv).errorMessage, message, argv.join(" "));
  });

  it("refuses --value that is not JSON, with line and column", () => {
    assert.equal(failure(input("kr-1", "--value", "yes")).errorMessage, "Invalid JSON for `--value`: Unexpected token 'y' (line 1, column 1).");
  });
});

describe("parseArgs: list, latest, watch, flows run", () => {
  it("parses list filters and Kitaru's paging: --limit, or --page/--size (default page 1 of 20), never both", () => {
    assert.deepEqual(command(["executions", "list", "--flow", "f", "--status", "failed", "--limit", "5"]), {
      kind: "executions.list",
      flow: "f",
      status: "failed",
      paging: { kind: "limit", limit: 5 },
      output: "text",
    });
    assert.deepEqual((command(["executions", "list"]) as { paging: unknown }).paging, { kind: "page", page: 1, size: 20 });
    assert.deepEqual((command(["executions", "list", "--page", "3", "--size", "5"]) as { paging: unknown }).paging, { kind: "page", page: 3, size: 5 });
    assert.equal(failure(["executions", "list", "--limit", "many"]).errorMessage, "`--limit` must be an integer.");
    assert.equal(failure(["executions", "list", "--limit", "0"]).errorMessage, "`--limit` must be >= 1 when provided.");
    assert.equal(
      failure(["executions", "list", "--limit", "5", "--page", "2"]).errorMessage,
      "`--limit` cannot be combined with `--page` or `--size`; use either `--limit N` or `--page 1 --size N`.",
    );
    assert.equal(failure(["executions", "list", "--page", "0"]).errorMessage, "`--page` must be >= 1.");
    assert.equal(failure(["executions", "list", "--size", "500"]).errorMessage, "`--size` must be between 1 and 200.");
  });

  it("parses latest and watch", () => {
    assert.deepEqual(command(["executions", "latest", "--status", "waiting"]), {
      kind: "executions.latest",
      flow: undefined,
      status: "waiting",
      output: "text",
    });
    assert.deepEqual(command(["executions", "watch", "kr-1", "--follow-waits"]), {
      kind: "executions.watch",
      execId: "kr-1",
      followWaits: true,
      output: "text",
    });
  });

  it("parses flows run with an empty input by default", () => {
    assert.deepEqual(command(["flows", "run", "content_pipeline"]), {
      kind: "flows.run",
      flow: "content_pipeline",
      args: {},
      wait: false,
      requestId: undefined,
      output: "text",
    });
    assert.deepEqual((command(["flows", "run", "f", "--args", '{"topic":"AI"}', "--wait"]) as { args: unknown }).args, { topic: "AI" });
  });
});
