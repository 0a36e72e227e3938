/**
 * The npm package from a user's side (issue 11): `npm pack`, installed with
 * `npm install ./kitaru-<version>.tgz zod` into a project outside this
 * repository, flows written there as the README shows, the runner and planner
 * started from there with `npx kitaru`, and a replay with overrides completed
 * through the installed client from plain `node`: ESM and CommonJS, flows in
 * TypeScript and JavaScript. Nothing of the repository (its sources, its
 * node_modules, its dev tools) is reachable from the user's project.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { readmeCode } from "../clients/client-process.ts";
import { installPackage, PACKAGE_TIMEOUT_MS, REPO_ROOT, runCommand, userEnv, userProject } from "../support/installed-package.ts";

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) stopService(child);
});

/** How long a service of the installed package may take to start (a loaded machine is slow, a broken package never starts). */
const START_TIMEOUT_S = 180;

/**
 * Stops a service `startService` started: its whole process group, since
 * `npx` runs `kitaru` as a child of its own, which a signal to `npx` alone
 * would leave running.
 */
function stopService(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

/** Starts `npx kitaru <args>` in `cwd` (in a process group of its own) and resolves with the URL it serves on. */
async function startService(cwd: string, args: readonly string[]): Promise<{ url: string; output: () => string; child: ChildProcess }> {
  const child = spawn("npx", ["kitaru", ...args], { cwd, env: userEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.push(child);
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`kitaru ${args[0]} timed out after ${START_TIMEOUT_S} s, not started:\n${output}`)),
      START_TIMEOUT_S * 1000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving \S+ on (https?:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kitaru ${args[0]} exited (${code}):\n${output}`));
    });
  });
  return { url, output: () => output, child };
}

/** Runs the runner and planner from `project` with `flows`, and resolves with the client environment. */
async function services(project: string, flows: string): Promise<NodeJS.ProcessEnv> {
  const runner = await startService(project, ["runner", "--flows", flows, "--port", "0", "--db-path", ".kitaru/kitaru.db"]);
  const planner = await startService(project, ["planner", "--port", "0", "--runner-url", runner.url]);
  return userEnv({ KITARU_RUNNER_URL: runner.url, KITARU_PLANNER_URL: planner.url });
}

describe("the npm package, installed into a project of the user's own", () => {
  // Pack and install once, with the package's own time limit (each step says "timed out after N s" if it hits it).
  before(() => installPackage(), { timeout: 2 * PACKAGE_TIMEOUT_MS + 300_000 });

  it("packs compiled JavaScript with declarations and a bin, and no sources or dev tools", async () => {
    const project = await userProject();
    const pkg = path.join(project, "node_modules/kitaru");
    const manifest = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")) as { peerDependencies?: Record<string, string> };
    assert.deepEqual(manifest.peerDependencies, { zod: "^4.0.0" });
    for (const file of [
      "dist/clients/ts/src/index.js",
      "dist/clients/ts/src/index.d.ts",
      "dist/services/runner/src/authoring/index.d.ts",
      "bin/kitaru.mjs",
      "dist/console/index.html",
      "dist/console/console.js",
      "dist/console/console.css",
    ]) {
      assert.ok(existsSync(path.join(pkg, file)), `${file} is in the package`);
    }
    assert.ok(!existsSync(path.join(pkg, "services")), "no TypeScript sources");
    assert.ok(!existsSync(path.join(pkg, "test")), "no tests");
    assert.ok(!existsSync(path.join(project, "node_modules/typescript")), "no TypeScript compiler installed with it");
    assert.ok(!existsSync(path.join(project, "node_modules/puppeteer-core")), "no browser driver installed with it");
    assert.ok(!existsSync(path.join(project, "node_modules/@connectrpc/connect-web")), "the console's page is bundled: its libraries are not installed");
    assert.ok(!existsSync(path.join(pkg, "node_modules/zod")), "one zod: the project's (a peer dependency)");
  });

  it("serves TypeScript flows of an ESM project and completes a replay with overrides through the installed client", async () => {
    const project = await userProject();
    const env = await services(project, "./flows.ts");
    const replay = await runCommand(process.execPath, ["replay.mjs"], { cwd: project, env });
    assert.equal(replay.code, 0, replay.output);
    const outcome = JSON.parse(replay.output.trim().split("\n").at(-1)!) as Record<string, unknown>;
    assert.deepEqual(outcome, {
      original: "published: draft about agents from [notes on agents]",
      result: "published: draft about New topic from [Edited notes]",
      originalExecId: true,
      calls: ["research:reused", "write_draft:completed", "publish:completed"],
    });
    // The CLI works from the project too.
    const listed = await runCommand("npx", ["kitaru", "executions", "list", "-o", "json"], { cwd: project, env });
    assert.equal(listed.code, 0, listed.output);
    assert.equal((JSON.parse(listed.output) as { items: unknown[] }).items.length, 2);
    // And the declarations type-check the user's TypeScript (flows and a typed use of the client).
    const tsc = await runCommand(process.execPath, [path.join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: project });
    assert.equal(tsc.code, 0, `tsc over the user's project:\n${tsc.output}`);
  });

  it("runs the client README's replay example from plain node", async () => {
    const project = await userProject({
      "pipeline.ts": readFileSync(path.join(REPO_ROOT, "examples/replay/flows.ts"), "utf8"),
      "readme.mjs": readmeCode("clients/ts/README.md", "js"),
    });
    const env = await services(project, "./pipeline.ts");
    const source = await runCommand("npx", ["kitaru", "flows", "run", "content_pipeline", "--args", '{"topic":"agents"}', "--wait"], { cwd: project, env });
    assert.equal(source.code, 0, source.output);
    const example = await runCommand(process.execPath, ["readme.mjs"], { cwd: project, env });
    assert.equal(example.code, 0, example.output);
    const lines = example.output.trim().split("\n");
    assert.match(lines[0]!, /^reuses \[ 'research' \] re-executes \[ 'write_draft', 'publish' \]$/);
    assert.match(lines[1]!, /^kr-\S+ replays kr-\S+$/);
    assert.match(lines.slice(2).join("\n"), /New topic/);
  });

  it("serves flows of a CommonJS project (TypeScript and plain JavaScript) and answers a CommonJS client", async () => {
    const project = await userProject({
      "package.json": JSON.stringify({ name: "my-cjs-agents", version: "1.0.0", private: true }),
      "more-flows.cjs": [
        'const { z } = require("zod");',
        'const { checkpoint, flow } = require("kitaru");',
        'const shout = checkpoint("shout", async (text) => text.toUpperCase());',
        'exports.shouting = flow("shouting", { input: z.object({ text: z.string() }) }, async ({ text }) => await shout(text));',
      ].join("\n"),
      "client.cjs": [
        'const { KitaruClient } = require("kitaru/client");',
        "(async () => {",
        "  const client = new KitaruClient();",
        '  const started = await client.flows.run("shouting", { text: "hello" });',
        "  const result = await client.executions.handle(started.execId).wait();",
        "  console.log(JSON.stringify({ result, flows: (await client.flows.list()).map((f) => f.name) }));",
        "  await client.close();",
        "})().catch((e) => { console.error(e); process.exit(1); });",
      ].join("\n"),
    });
    // flows.ts in a package without "type": "module" loads as CommonJS (what failed before: "Cannot require() ES Module ... in a cycle").
    const typescriptFlows = await services(project, "./flows.ts");
    const replay = await runCommand(process.execPath, ["replay.mjs"], { cwd: project, env: typescriptFlows });
    assert.equal(replay.code, 0, replay.output);
    // Issue 19 item 8: a failed checkpoint's traceback names the TypeScript source, `.ts` in this CommonJS project as `.mts`
    // (was: 3.6 KB of the URL-encoded compiled module, no flows.ts:line:col).
    for (const file of ["failing-flows.ts", "failing-flows.mts"]) {
      writeFileSync(path.join(project, file), FAILING_FLOWS);
      const runner = await startService(project, ["runner", "--flows", `./${file}`, "--port", "0", "--db-path", `.kitaru/${file}.db`]);
      const env = userEnv({ KITARU_RUNNER_URL: runner.url });
      const failed = await runCommand("npx", ["kitaru", "flows", "run", "failing", "--args", '{"topic":"x"}', "--wait", "-o", "json"], { cwd: project, env });
      assert.equal(failed.code, 1, failed.output);
      const latest = await runCommand("npx", ["kitaru", "executions", "latest", "-o", "json"], { cwd: project, env });
      const traceback = String((JSON.parse(latest.output) as { item: { failure: { traceback: string } } }).item.failure.traceback);
      assert.match(traceback, new RegExp(`^Error: no notes on x\\n\\s+at .*\\(${path.join(project, file).replace(/[.]/g, "\\.")}:5:9\\)`), traceback);
      assert.doesNotMatch(traceback, /data:text\/javascript/);
      stopService(runner.child);
    }
    const javascriptFlows = await services(project, "./more-flows.cjs");
    const client = await runCommand(process.execPath, ["client.cjs"], { cwd: project, env: javascriptFlows });
    assert.equal(client.code, 0, client.output);
    assert.deepEqual(JSON.parse(client.output.trim().split("\n").at(-1)!), { result: "HELLO", flows: ["shouting"] });
  });
});

/** A flow whose checkpoint throws at line 5, column 9 (the `new Error`). */
const FAILING_FLOWS = [
  'import { z } from "zod";',
  'import { checkpoint, flow } from "kitaru";',
  "",
  'const explode = checkpoint("explode", async (topic: string) => {',
  '  throw new Error("no notes on " + topic);',
  "});",
  "",
  'export const failing = flow("failing", { input: z.object({ topic: z.string() }) }, async ({ topic }) => await explode(topic));',
  "",
].join("\n");
