/**
 * The npm package as a user gets it: `npm pack` of this repository (which
 * builds dist/), installed with `npm install ./kitaru-<version>.tgz zod` into
 * a fresh project outside the repository. Packed and installed once per test
 * process; each caller gets its own project directory with that install.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs a command to its end; resolves with its exit code and output (stdout and stderr interleaved). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * The environment of a user's shell: without this repository's development
 * settings (the "kitaru-source" condition would not match an installed
 * package anyway, but nothing of the test run should leak into "the user's" processes).
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env["NODE_OPTIONS"];
  for (const key of Object.keys(env)) if (key.startsWith("KITARU_") && !(key in extra)) delete env[key];
  delete env["MONGODB_URI"];
  return env;
}

let installed: Promise<string> | undefined;

/** Packs the repository and installs the tarball (and zod) into a project outside it; returns that directory. */
function packAndInstall(): Promise<string> {
  installed ??= (async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), "kitaru-package-"));
    process.once("exit", () => rmSync(work, { recursive: true, force: true }));
    const packed = await runCommand("npm", ["pack", "--pack-destination", work], { cwd: REPO_ROOT, env: userEnv() });
    assert.equal(packed.code, 0, `npm pack failed:\n${packed.output}`);
    const tarball = readdirSync(work).find((name) => /^kitaru-.*\.tgz$/.test(name));
    assert.ok(tarball, `npm pack wrote no tarball:\n${packed.output}`);
    const project = path.join(work, "installed");
    cpSync(path.join(REPO_ROOT, "test/fixtures/user-project"), project, { recursive: true });
    const zod = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies["zod"];
    const install = await runCommand("npm", ["install", "--no-audit", "--no-fund", path.join(work, tarball), `zod@${zod}`], { cwd: project });
    assert.equal(install.code, 0, `npm install of the package failed:\n${install.output}`);
    return project;
  })();
  return installed;
}

/**
 * A user's project with the package installed: a copy of the one installed
 * project (node_modules included), so tests can write their own files.
 */
export async function userProject(files: Readonly<Record<string, string>> = {}): Promise<string> {
  const installedProject = await packAndInstall();
  const project = mkdtempSync(path.join(os.tmpdir(), "kitaru-user-"));
  process.once("exit", () => rmSync(project, { recursive: true, force: true }));
  cpSync(installedProject, project, { recursive: true, verbatimSymlinks: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(project, name), text);
  return project;
}
