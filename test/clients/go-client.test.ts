/**
 * The generated Go client (clients/go) against a live runner: starts a runner
 * with the content_pipeline flow on a fresh test database and runs
 * `go test -count=1 -v ./...` in clients/go with KITARU_RUNNER_ADDR pointing
 * at it: the offline decoding tests (clients/go/kitaru) and the live ones
 * (clients/go/livetest, every test named TestLive*), which must have run and
 * passed, not skipped.
 *
 * The plugins, the generated code (clients/go/gen) and the module cache come
 * from scripts/install-go-client.sh; this test runs it when clients/go/gen is
 * missing (scripts/test.sh normally has run it already).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { chattyFlow, flakyFlow } from "../fixtures/flows/observability.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, type RunnerEnv } from "../support/runner-env.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const GO_DIR = path.join(REPO_ROOT, "clients/go");
const GEN_DIR = path.join(GO_DIR, "gen/kitaru");
const INSTALL = path.join(REPO_ROOT, "scripts/install-go-client.sh");

/** The live tests in clients/go/livetest/live_test.go; each must pass. */
const LIVE_TESTS = [
  "TestLiveGeneratedStubRunsContentPipeline",
  "TestLiveStartExecutionIsIdempotentOnRequestID",
  "TestLiveUnknownExecutionIsNotFoundWithResourceFromDetails",
  "TestLiveUnknownFlowIsNotFoundNamingTheFlow",
  "TestLiveInvalidInputIsUsageErrorWithFieldViolations",
  "TestLiveResolveWaitWithoutPendingWaitsIsStateError",
  "TestLiveMetadataAndLogsOfAChattyExecution",
  "TestLiveFailureCarriesItsStackTraceAndEveryAttempt",
];

function goBinary(): string {
  const onPath = (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, "go")));
  return onPath ? "go" : "/usr/local/go/bin/go";
}

/** Runs a command without blocking the event loop (the runner answers from this process). */
function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("Go client (clients/go) against a live runner", () => {
  let env: RunnerEnv;

  before(async () => {
    if (!existsSync(GEN_DIR)) {
      // First run on a fresh clone: plugins, generation, module download, build.
      const { code, output } = await run("bash", [INSTALL], { cwd: REPO_ROOT, env: process.env, timeoutMs: 600_000 });
      assert.equal(code, 0, `scripts/install-go-client.sh failed:\n${output}`);
    }
    env = await createRunnerEnv([contentPipeline, chattyFlow, flakyFlow]);
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  it("passes go test: offline error decoding, and stub calls and error types from status details", async () => {
    assert.ok(existsSync(GEN_DIR), `the Go client is not generated (${GEN_DIR}); run scripts/install-go-client.sh`);
    const { code, output } = await run(goBinary(), ["test", "-count=1", "-v", "./..."], {
      cwd: GO_DIR,
      env: { ...process.env, KITARU_RUNNER_ADDR: env.runner.address, GOTOOLCHAIN: "local" },
      timeoutMs: 300_000,
    });
    assert.equal(code, 0, `go test failed:\n${output}`);
    for (const name of LIVE_TESTS) {
      assert.match(output, new RegExp(`^\\s*--- PASS: ${name} `, "m"), `${name} did not pass:\n${output}`);
    }
    assert.doesNotMatch(output, /--- (SKIP|FAIL)/, `go test skipped or failed tests:\n${output}`);
    // Every TestLive* in the output is in LIVE_TESTS (a new live test is listed here too).
    const ran = [...output.matchAll(/^=== RUN\s+(TestLive\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(ran)].sort(), [...LIVE_TESTS].sort());
    assert.match(output, /^ok\s+github\.com\/kitaru-dev\/kitaru\/clients\/go\/kitaru\s/m, `the offline tests did not pass:\n${output}`);
    assert.match(output, /^ok\s+github\.com\/kitaru-dev\/kitaru\/clients\/go\/livetest\s/m, `the live tests did not pass:\n${output}`);
  });
});
