import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCli } from "../../clients/cli/src/cli.ts";
import { VERSION } from "../../clients/cli/src/help.ts";
import { cli, envelope, fakeClient, fakeIo } from "./fakes.ts";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/kitaru.mjs", import.meta.url));

describe("kitaru dispatch", () => {
  it("prints help and the version without opening a client", async () => {
    const client = fakeClient();
    const help = await cli(["--help"], client);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: kitaru <command>/);
    assert.match((await cli(["executions", "--help"], client)).stdout, /replay <exec_id>/);
    assert.match((await cli(["executions", "input", "--help"], client)).stdout, /--interactive/);
    assert.equal((await cli(["--version"], client)).stdout, "0.1.0");
    assert.equal(VERSION, "0.1.0");
    assert.deepEqual(client.calls, []);
    assert.equal(client.closed, false);
  });

  it("prints a JSON error without type for an unknown command", async () => {
    const { code, stderr } = await cli(["nope", "-o", "json"]);
    assert.equal(code, 1);
    assert.deepEqual(Object.keys(envelope(stderr)["error"] as object), ["message"]);
  });

  it("hands `runner ...` and `planner ...` to the services and keeps the process alive", async () => {
    const started: unknown[] = [];
    const deps = {
      io: fakeIo(),
      createClient: () => fakeClient(),
      startService: async (service: string, argv: readonly string[]) => void started.push([service, argv]),
    };
    assert.equal(await runCli(["runner", "--port", "0"], deps), undefined);
    assert.equal(await runCli(["planner"], deps), undefined);
    assert.deepEqual(started, [
      ["runner", ["--port", "0"]],
      ["planner", []],
    ]);
  });

  it("reports a service that fails to start and exits 1", async () => {
    const io = fakeIo();
    const code = await runCli(["runner"], {
      io,
      createClient: () => fakeClient(),
      startService: async () => {
        throw new Error("port in use");
      },
    });
    assert.equal(code, 1);
    assert.deepEqual(io.stderr, ["Error: port in use"]);
  });

  it("reports a client that cannot be created (bad URL) as a usage error", async () => {
    const io = fakeIo();
    const code = await runCli(["executions", "get", "kr-1", "-o", "json"], {
      io,
      createClient: () => {
        throw Object.assign(new Error("`runnerUrl` must be an http:// or https:// URL."), { name: "KitaruUsageError" });
      },
      startService: async () => undefined,
    });
    assert.equal(code, 1);
    assert.equal((envelope(io.stderr.join("\n"))["error"] as Record<string, unknown>)["type"], "KitaruUsageError");
  });
});

describe("bin/kitaru.mjs", () => {
  it("runs from any working directory", async () => {
    const { stdout } = await run(process.execPath, [bin, "--version"], { cwd: "/" });
    assert.equal(stdout, "0.1.0\n");
  });

  it("runs through npx from the repository root", async () => {
    const { stdout } = await run("npx", ["--no-install", "kitaru", "executions", "--help"], { cwd: repoRoot });
    assert.match(stdout, /Usage: kitaru executions <subcommand>/);
  });

  it("exits 1 with the JSON error envelope on stderr", async () => {
    await assert.rejects(run(process.execPath, [bin, "executions", "input", "kr-1", "-o", "json"], { cwd: repoRoot }), (error: unknown) => {
      const failed = error as { code: number; stdout: string; stderr: string };
      assert.equal(failed.code, 1);
      assert.equal(failed.stdout, "");
      assert.deepEqual(JSON.parse(failed.stderr), {
        command: "executions.input",
        error: { message: "`--value` is required (or use `--abort` / `--interactive`)." },
      });
      return true;
    });
  });
});
