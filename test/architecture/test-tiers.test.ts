// @tier unit
/**
 * Which tier a test file runs in (scripts/test-tiers.ts): the `// @tier`
 * line, else the directory, else integration; and every test file of the
 * repository has exactly one.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { filesOfTier, MONGODB_PASS, TIERS, testFiles, tierOf, TierMarkerError } from "../../scripts/test-tiers.ts";

const IMPORTS = 'import { it } from "node:test";\n';

describe("test tiers", () => {
  it("takes the tier a file's first line names", () => {
    assert.equal(tierOf("test/engine/x.test.ts", `// @tier unit\n${IMPORTS}`), "unit");
    assert.equal(tierOf("test/engine/x.test.ts", `// @tier release\n${IMPORTS}`), "release");
    assert.equal(tierOf("test/faults/x.test.ts", `// @tier unit\n${IMPORTS}`), "unit", "the line wins over the directory");
  });

  it("puts a file without the line in its directory's tier, and anything else in the integration tier", () => {
    assert.equal(tierOf("test/faults/new-scenario.test.ts", IMPORTS), "faults");
    for (const dir of ["package", "deploy", "console", "clients"]) assert.equal(tierOf(`test/${dir}/x.test.ts`, IMPORTS), "release", dir);
    assert.equal(tierOf("test/runner/new.test.ts", IMPORTS), "integration");
    assert.equal(tierOf("test/runner/new.test.ts", `/**\n * Mentions unit tests and @tier in prose.\n */\n${IMPORTS}`), "integration");
  });

  it("refuses a `@tier` line that is misplaced or names no tier, with the file and line", () => {
    assert.throws(
      () => tierOf("test/a.test.ts", `// @tier unti\n${IMPORTS}`),
      (e: unknown) => e instanceof TierMarkerError && /test\/a\.test\.ts:1: .*names no tier/.test(e.message),
    );
    assert.throws(
      () => tierOf("test/a.test.ts", `/** doc */\n// @tier unit\n${IMPORTS}`),
      (e: unknown) => e instanceof TierMarkerError && /test\/a\.test\.ts:2: .*must be the file's first line/.test(e.message),
    );
  });

  it("gives every test file of the repository exactly one tier", () => {
    const all = testFiles();
    assert.ok(all.length > 50, `only ${all.length} test files found`);
    const byTier = TIERS.flatMap((tier) => filesOfTier(tier));
    assert.deepEqual([...byTier].sort(), all);
    assert.ok(filesOfTier("unit").includes("test/architecture/test-tiers.test.ts"));
  });

  it("runs again on MongoDB only files that exist, the fault suite's from its own directory", () => {
    for (const [tier, files] of Object.entries(MONGODB_PASS)) {
      for (const file of files) {
        assert.ok(existsSync(file) && file.endsWith(".test.ts"), `${tier}'s MongoDB pass names ${file}, which is no test file`);
        if (tier === "faults") assert.equal(tierOf(file, readFileSync(file, "utf8")), "faults", file);
      }
    }
  });
});
