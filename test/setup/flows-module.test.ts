/**
 * Issue 11: `kitaru runner --flows <module>` with a module that cannot be
 * loaded exits 1 with the module's path, the module's own error (message and
 * where: its stack frame, the syntax error's location, the missing import)
 * and what to check; never a stack of kitaru's internals.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { runKitaru } from "./kitaru-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "kitaru-flows-module-"));
const esm = path.join(dir, "project");
mkdirSync(esm);
writeFileSync(path.join(esm, "package.json"), '{ "type": "module" }\n');

function module(name: string, source: string, where = esm): string {
  const file = path.join(where, name);
  writeFileSync(file, source);
  return file;
}

async function runnerWith(flows: string) {
  return await runKitaru(["runner", "--flows", flows, "--port", "0", "--db-path", path.join(dir, "never-opened.db")]);
}

/** The first line, then the rest; checks the parts every such message has. */
function expectLoadFailure(run: { code: number | null; stderr: string }, file: string): string[] {
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stderr.trimEnd().split("\n");
  assert.ok(lines[0]?.startsWith(`kitaru runner: cannot load the flows module '${file}' (--flows / KITARU_FLOWS): `), run.stderr);
  assert.doesNotMatch(run.stderr, /services\/runner\/src|clients\/cli\/src|node:internal/, "no kitaru internals in the message");
  return lines;
}

describe("kitaru runner --flows <a module that cannot be loaded>", { concurrency: true }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("that throws: shows its error and the module's own stack frame", async () => {
    const file = module("throws.ts", 'const key = process.env["NO_SUCH_KEY"];\nif (!key) throw new Error("NO_SUCH_KEY is not set");\nexport {};\n');
    const lines = expectLoadFailure(await runnerWith(file), file);
    assert.match(lines[0]!, /: it threw Error: NO_SUCH_KEY is not set$/);
    assert.equal(lines[1], `    at <anonymous> (${file}:2:17)`);
    assert.equal(lines.at(-1), `  Fix what it does when it loads; check that it loads on its own with: node --import tsx ${file}`);
  });

  it("with a TypeScript syntax error: shows file:line:column", async () => {
    const file = module("syntax.ts", "export const x = {;\n");
    const lines = expectLoadFailure(await runnerWith(file), file);
    assert.match(lines[0]!, /: it does not compile$/);
    assert.equal(lines[1], `    ${file}:1:18: ERROR: Expected identifier but found ";"`);
  });

  it("with a JavaScript syntax error: shows the line and a caret", async () => {
    // Its own directory: beside syntax.ts, tsx would load that for syntax.js.
    const js = path.join(esm, "js");
    mkdirSync(js);
    const file = module("syntax.js", "export const a = 1;\nexport const x = {;\n", js);
    const lines = expectLoadFailure(await runnerWith(file), file);
    assert.match(lines[0]!, /: it has a syntax error: Unexpected token ';'$/);
    assert.deepEqual(lines.slice(1, 3), [`    ${file}:2`, "    export const x = {;"]);
  });

  it("that imports a missing package: names the package and how to install it", async () => {
    const file = module("missing.ts", 'import { helper } from "no-such-package-xyz";\nexport const h = helper;\n');
    const lines = expectLoadFailure(await runnerWith(file), file);
    assert.match(lines[0]!, /: it imports 'no-such-package-xyz', which cannot be found \(imported from .*missing\.ts\)$/);
    assert.equal(lines[1], "  Install it in the module's project (npm install no-such-package-xyz), or fix the import.");
  });

  it("outside a project that depends on kitaru: says where 'kitaru' must resolve", async () => {
    const file = module("outside.ts", 'import { flow } from "kitaru";\nexport const f = flow;\n');
    const lines = expectLoadFailure(await runnerWith(file), file);
    assert.match(lines[0]!, /: it imports 'kitaru', which cannot be found/);
    assert.match(lines[1]!, /keep it in a project that depends on kitaru/);
  });

  it('that is TypeScript with ES module syntax outside a "type": "module" package: loads it (was "Cannot require() ES Module ... in a cycle")', async () => {
    const file = module("commonjs.ts", "export const notAFlow = 1;\n", dir);
    const run = await runnerWith(file);
    assert.equal(run.code, 1, run.stderr);
    // It loaded: what is left to say is that it exports no flow.
    assert.match(run.stderr, /exports no flow \(it exports: (default, )?notAFlow\)/);
    assert.doesNotMatch(run.stderr, /CommonJS|cycle/);
  });

  it("that exports no flow: lists what it exports", async () => {
    const file = module("noflows.ts", "export const notAFlow = 1;\nexport function helper() {}\n");
    const run = await runnerWith(file);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr,
      `kitaru runner: The flows module '${file}' exports no flow (it exports: helper, notAFlow). Export the objects returned by flow(...). Check --flows / KITARU_FLOWS.\n`,
    );
  });

  it("that does not exist: names the path it looked for and the working directory", async () => {
    const run = await runnerWith("./no-such-flows.ts");
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^kitaru runner: the flows module '\.\/no-such-flows\.ts' \(.*no-such-flows\.ts\) does not exist \(relative paths start from the working directory, .*\): give the file that exports your flow\(\.\.\.\) objects with --flows \/ KITARU_FLOWS\n$/,
    );
  });
});
