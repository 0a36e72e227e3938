/**
 * One version for everything a release ships (issue 19: the Python client
 * said 0.2.0 while the npm package was 0.1.0): the npm package, the CLI's
 * `--version`, and the Python client's distribution and `__version__`. The
 * Go client's version is the repository's tag (Go modules have no version
 * field). docs/client.md says so.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { VERSION } from "../../clients/cli/src/help.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");

describe("the version of what a release ships", () => {
  it("is one: the npm package's, the CLI's and the Python client's", () => {
    const npm = (JSON.parse(read("package.json")) as { version: string }).version;
    const pyproject = /^version = "([^"]+)"$/m.exec(read("clients/python/pyproject.toml"))?.[1];
    const python = /^__version__ = "([^"]+)"$/m.exec(read("clients/python/kitaru_client/__init__.py"))?.[1];
    assert.deepEqual({ cli: VERSION, pyproject, python }, { cli: npm, pyproject: npm, python: npm });
  });
});
