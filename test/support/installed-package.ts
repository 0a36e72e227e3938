/**
 * The npm package as a user gets it: `npm pack` of this repository (which
 * builds dist/), installed with `npm install ./kitaru-<version>.tgz zod` into
 * a fresh project outside the repository. Packed and installed once per test
 * process ({@link installPackage}, in a `before` hook with
 * {@link PACKAGE_TIMEOUT_MS}); each caller gets its own project directory
 * with that install.
 *
 * The install runs the dependencies' install scripts as a user's does, but
 * better-sqlite3's finds the binary this repository's node_modules already
 * holds for this Node (offered as a local prebuild) instead of compiling it
 * again (45 s on an idle machine, 5–9 minutes on a loaded one).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * How long `npm pack` and `npm install` may each take: KITARU_PACKAGE_TIMEOUT_S,
 * default 1200 s, far beyond what a loaded machine needs (about 1 min each
 * at load 10 on 2 cores), so only a hung command reaches it.
 */
export const PACKAGE_TIMEOUT_MS = Number(process.env["KITARU_PACKAGE_TIMEOUT_S"] || 1200) * 1000;

/** How a command ended: its exit code (null when killed) and its output, stdout and stderr interleaved. */
export interface CommandResult {
  readonly code: number | null;
  readonly output: string;
  /** Set when it was killed for taking too long: the limit it ran into, in seconds. */
  readonly timedOutAfterS?: number;
}

/**
 * Runs a command to its end. After `timeoutMs` (default 300 s) it is killed,
 * and its output ends with "timed out after N s", which assertion messages
 * then show.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      if (!timedOut) return resolve({ code, output });
      const seconds = Math.round(timeoutMs / 1000);
      resolve({ code, output: `${output}\n[${[command, ...args].join(" ")}: timed out after ${seconds} s, killed]`, timedOutAfterS: seconds });
    });
  });
}

/** Throws unless `result` is a success, saying whether `what` failed or timed out. */
function assertSucceeded(result: CommandResult, what: string): void {
  if (result.code === 0) return;
  const ending = result.timedOutAfterS === undefined ? `failed (exit ${result.code})` : `timed out after ${result.timedOutAfterS} s (KITARU_PACKAGE_TIMEOUT_S)`;
  assert.fail(`${what} ${ending}:\n${result.output}`);
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

/** The repository's own better-sqlite3, built for this Node by `npm ci`. */
const SQLITE_PACKAGE = path.join(REPO_ROOT, "node_modules/better-sqlite3");
const SQLITE_BINARY = "build/Release/better_sqlite3.node";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * Offers the repository's better-sqlite3 binary as a local prebuild in `dir`,
 * under the name its install script (prebuild-install) looks for:
 * `better-sqlite3-v<version>-node-v<ABI>-<platform><libc>-<arch>.tar.gz`.
 * Returns the environment that points the script at it.
 */
async function localPrebuild(dir: string): Promise<NodeJS.ProcessEnv> {
  const { version } = JSON.parse(readFileSync(path.join(SQLITE_PACKAGE, "package.json"), "utf8")) as { version: string };
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined;
  const libc = process.platform === "linux" && !glibc ? "musl" : "";
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  const packed = await runCommand("tar", ["-czf", path.join(dir, name), "-C", SQLITE_PACKAGE, SQLITE_BINARY], {
    cwd: REPO_ROOT,
    timeoutMs: PACKAGE_TIMEOUT_MS,
  });
  assertSucceeded(packed, `packing ${SQLITE_BINARY} as a local prebuild`);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** `npm pack` of the repository into `dir` (which builds dist/ first); returns the tarball's path. */
async function pack(dir: string): Promise<string> {
  const packed = await runCommand("npm", ["pack", "--pack-destination", dir], { cwd: REPO_ROOT, env: userEnv(), timeoutMs: PACKAGE_TIMEOUT_MS });
  assertSucceeded(packed, "npm pack");
  const tarball = readdirSync(dir).find((name) => /^kitaru-.*\.tgz$/.test(name));
  assert.ok(tarball, `npm pack wrote no tarball:\n${packed.output}`);
  return path.join(dir, tarball);
}

let installed: Promise<string> | undefined;

/**
 * Packs the repository and installs the tarball (and zod) into a project
 * outside it, once per process; returns that directory. The tarball is
 * KITARU_TEST_PACKAGE_TARBALL when set (scripts/test.sh packs once for the
 * release tier's files), else packed here. Call it from a `before` hook
 * whose timeout is twice {@link PACKAGE_TIMEOUT_MS} or more.
 */
export function installPackage(): Promise<string> {
  installed ??= (async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), "kitaru-package-"));
    process.once("exit", () => rmSync(work, { recursive: true, force: true }));
    const tarball = process.env["KITARU_TEST_PACKAGE_TARBALL"] || (await pack(work));
    assert.ok(existsSync(tarball), `no package tarball at ${tarball}`);
    const project = path.join(work, "installed");
    cpSync(path.join(REPO_ROOT, "test/fixtures/user-project"), project, { recursive: true });
    const zod = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies["zod"];
    const reuse = existsSync(path.join(SQLITE_PACKAGE, SQLITE_BINARY));
    const env = userEnv(reuse ? await localPrebuild(path.join(work, "prebuilds")) : {});
    const install = await runCommand("npm", ["install", "--no-audit", "--no-fund", tarball, `zod@${zod}`], {
      cwd: project,
      env,
      timeoutMs: PACKAGE_TIMEOUT_MS,
    });
    assertSucceeded(install, "npm install of the package");
    if (reuse) {
      const got = path.join(project, "node_modules/better-sqlite3", SQLITE_BINARY);
      assert.ok(
        existsSync(got) && sha256(got) === sha256(path.join(SQLITE_PACKAGE, SQLITE_BINARY)),
        `better-sqlite3 was built again instead of reusing ${path.join(SQLITE_PACKAGE, SQLITE_BINARY)}: ` +
          `its install script did not take the local prebuild (see localPrebuild in test/support/installed-package.ts)\n${install.output}`,
      );
    }
    return project;
  })();
  return installed;
}

/**
 * A user's project with the package installed: a copy of the one installed
 * project (node_modules included), so tests can write their own files.
 */
export async function userProject(files: Readonly<Record<string, string>> = {}): Promise<string> {
  const installedProject = await installPackage();
  const project = mkdtempSync(path.join(os.tmpdir(), "kitaru-user-"));
  process.once("exit", () => rmSync(project, { recursive: true, force: true }));
  cpSync(installedProject, project, { recursive: true, verbatimSymlinks: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(project, name), text);
  return project;
}
