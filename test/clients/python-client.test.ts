/**
 * The generated Python client (clients/python) against a live runner: starts a
 * runner with the content_pipeline flow on a fresh test database and runs the
 * client's pytest suite with KITARU_RUNNER_ADDR pointing at it.
 *
 * The venv and the generated stubs come from scripts/install-python-client.sh,
 * which scripts/test.sh runs first; this test fails (it does not skip) when
 * they are missing.
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
const PYTHON = path.join(REPO_ROOT, "clients/python/.venv/bin/python");
const GEN_DIR = path.join(REPO_ROOT, "clients/python/kitaru_client/gen/kitaru");

/** Runs a command without blocking the event loop (the runner answers from this process). */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
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

describe("Python client (clients/python) against a live runner", () => {
  let env: RunnerEnv;

  before(async () => {
    env = await createRunnerEnv([contentPipeline, chattyFlow, flakyFlow]);
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  it("passes its pytest suite: stub calls, and error classes from status details", async () => {
    assert.ok(
      existsSync(PYTHON) && existsSync(GEN_DIR),
      `the Python client is not installed (${PYTHON}, ${GEN_DIR}); run scripts/install-python-client.sh (scripts/test.sh does)`,
    );
    const { code, output } = await run(
      PYTHON,
      ["-m", "pytest", "-q", "-p", "no:cacheprovider", "clients/python/tests"],
      { ...process.env, KITARU_RUNNER_ADDR: env.runner.address, PYTHONDONTWRITEBYTECODE: "1" },
      120_000,
    );
    assert.equal(code, 0, `pytest failed:\n${output}`);
    const summary = /(\d+) passed/.exec(output);
    assert.ok(summary && Number(summary[1]) > 0, `pytest reported no passed tests:\n${output}`);
    assert.doesNotMatch(output, /\d+ (failed|error|skipped)/, `pytest failed, errored or skipped tests:\n${output}`);
  });
});
