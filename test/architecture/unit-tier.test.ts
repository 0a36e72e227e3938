/**
 * scripts/test.sh runs a file marked `// @tier unit` with the guard against
 * processes (test/support/no-processes.ts): a unit test that starts one
 * fails, naming the command; the same file unmarked runs in the integration
 * tier, where starting processes is allowed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "kitaru-unit-tier-"));

const STARTS_A_PROCESS = [
  'import assert from "node:assert/strict";',
  'import { execFileSync } from "node:child_process";',
  'import { it } from "node:test";',
  'it("asks git for its version", () => assert.match(execFileSync("git", ["--version"], { encoding: "utf8" }), /git version/));',
  "",
].join("\n");

/** `bash scripts/test.sh <file>` for a test file with `text`; its exit code and output. */
async function runTestCommand(name: string, text: string): Promise<{ code: number | null; output: string }> {
  const file = path.join(work, name);
  writeFileSync(file, text);
  const env: NodeJS.ProcessEnv = { ...process.env, KITARU_TEST_STORE: "sqlite" };
  delete env["NODE_TEST_CONTEXT"]; // this test's own runner's: the nested run must report as a run of its own
  const child = spawn("bash", ["scripts/test.sh", file], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, output }; // not a terminal: no colours
}

describe("the unit tier of scripts/test.sh", () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  it("fails a unit test that starts a process, naming the command", async () => {
    const { code, output } = await runTestCommand("starts-a-process.test.ts", `// @tier unit\n${STARTS_A_PROCESS}`);
    assert.equal(code, 1, output);
    assert.match(output, /child_process\.execFileSync\(git --version\): a unit-tier test may not start a process/);
    assert.match(output, /^FAILED: 0 passed, 1 failed .*in \d+s$/m);
  });

  it("runs the same test unmarked, in the integration tier", async () => {
    const { code, output } = await runTestCommand("starts-a-process-unmarked.test.ts", STARTS_A_PROCESS);
    assert.equal(code, 0, output);
    assert.match(output, /^1 passed, 0 failed in \d+s$/m);
  });
});
