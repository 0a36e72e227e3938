/**
 * The generated code of the Python and Go clients is committed (users build
 * from it with a plain `pip install` / `go mod tidy`), so it must match
 * proto/: each install script's `--check` regenerates into a temporary
 * directory and compares. Under CI=true the committed files must also be the
 * ones in the working tree (the install scripts regenerate stale code before
 * the tests run, which would otherwise hide it), like scripts/test.sh checks
 * proto/ts/gen.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { run } from "./client-process.ts";

const GENERATED = [
  { name: "Python", script: "scripts/install-python-client.sh", dir: "clients/python/kitaru_client/gen" },
  { name: "Go", script: "scripts/install-go-client.sh", dir: "clients/go/gen" },
] as const;

async function committedInCi(dir: string): Promise<void> {
  if (process.env.CI !== "true") return;
  const inGit = await run("git", ["rev-parse", "--git-dir"], { timeoutMs: 30_000 });
  if (inGit.code !== 0) return;
  const diff = await run("git", ["--no-pager", "diff", "--stat", "HEAD", "--", dir], { timeoutMs: 30_000 });
  assert.equal(diff.code, 0, diff.output);
  assert.equal(diff.output.trim(), "", `${dir} differs from the committed files (regenerated, not committed):\n${diff.output}`);
  const untracked = await run("git", ["ls-files", "--others", "--exclude-standard", "--", dir], { timeoutMs: 30_000 });
  assert.equal(untracked.output.trim(), "", `untracked generated files in ${dir} (commit them):\n${untracked.output}`);
}

describe("committed generated client code", () => {
  for (const { name, script, dir } of GENERATED) {
    it(`${name}: ${dir} matches proto/ (${script} --check)`, async () => {
      const { code, output } = await run("bash", [script, "--check"], { timeoutMs: 600_000 });
      assert.equal(code, 0, `${script} --check failed:\n${output}`);
      await committedInCi(dir);
    });
  }
});
