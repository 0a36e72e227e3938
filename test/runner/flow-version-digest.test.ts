import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { flowVersionOf } from "../../services/runner/src/flow-version.ts";

// Issue 16: the default flow version is a digest of the flows module and the
// files of the project it imports: stable across machines (paths are relative
// to the module) and restarts, changed by any change to those sources.

const fixtures = fileURLToPath(new URL("../fixtures/flows/deploys/", import.meta.url));

describe("the default flow version", () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-digest-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** A copy of the deploy fixtures in a fresh directory (another "machine"). */
  function copy(name: string): string {
    const dir = path.join(scratch, name);
    cpSync(fixtures, dir, { recursive: true });
    return dir;
  }

  it("is the same for the same sources in another directory, and names how many files it covers", async () => {
    const original = await flowVersionOf(path.join(fixtures, "v1.ts"), undefined);
    assert.match(original.version, /^src-[0-9a-f]{12}$/);
    assert.match(original.source, /3 files/, "v1.ts, variants.ts and marker.ts");
    const copied = await flowVersionOf(path.join(copy("same"), "v1.ts"), undefined);
    assert.equal(copied.version, original.version);
  });

  it("changes when a file the module imports changes, not when an unrelated file does", async () => {
    const dir = copy("changed");
    const before = (await flowVersionOf(path.join(dir, "v1.ts"), undefined)).version;
    writeFileSync(path.join(dir, "unrelated.ts"), "export const x = 1;\n");
    assert.equal((await flowVersionOf(path.join(dir, "v1.ts"), undefined)).version, before);
    appendFileSync(path.join(dir, "marker.ts"), "\n// a change in an imported file\n");
    assert.notEqual((await flowVersionOf(path.join(dir, "v1.ts"), undefined)).version, before);
  });

  it("is the given version when one is given, and still a digest of the module when its imports cannot be followed", async () => {
    assert.deepEqual(await flowVersionOf(path.join(fixtures, "v1.ts"), "git-abc123"), {
      version: "git-abc123",
      source: "--flow-version / KITARU_FLOW_VERSION",
    });
    const dir = copy("broken");
    writeFileSync(path.join(dir, "broken.ts"), 'import { x } from "./does-not-exist.ts";\nexport const y = x;\n');
    const broken = await flowVersionOf(path.join(dir, "broken.ts"), undefined);
    assert.match(broken.version, /^src-[0-9a-f]{12}$/);
    assert.match(broken.source, /1 file \(its imports could not be followed: /);
  });
});
