/**
 * The flow version a runner serves: the version every execution it starts
 * records, and the one each run of a body records (docs/upgrades.md).
 *
 * Given (`--flow-version`, e.g. a git SHA from the deploy) it is taken as is.
 * Otherwise it is a digest of the sources: the flows module and every file
 * of the user's project it imports, found the way a bundler finds them
 * (esbuild, the compiler tsx itself runs on, with packages left out), each
 * named by its path relative to the flows module's directory. The same
 * sources give the same version on every machine and after every restart;
 * dependencies (node_modules) and files loaded by a computed path are not
 * part of it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as Esbuild from "esbuild";

/** The prefix of a digest version, so that it is never mistaken for a version someone chose. */
const DIGEST_PREFIX = "src-";

/** Hex characters of the digest kept in the version: 48 bits, plenty to tell deploys apart. */
const DIGEST_HEX = 12;

/** How a flow version was obtained, for the runner's start-up line. */
export interface FlowVersion {
  readonly version: string;
  /** How it was obtained, in words ("--flow-version", "digest of 3 files", ...). */
  readonly source: string;
}

/** The flow version of `modulePath`: `explicit` when given, else a digest of its sources. */
export async function flowVersionOf(modulePath: string, explicit: string | undefined): Promise<FlowVersion> {
  if (explicit !== undefined) return { version: explicit, source: "--flow-version / KITARU_FLOW_VERSION" };
  const module = path.resolve(modulePath);
  const base = path.dirname(module);
  let files: string[];
  let note = "";
  try {
    files = await projectSources(module);
  } catch (error) {
    // A module esbuild cannot follow still gets a stable version: its own text.
    files = [module];
    note = ` (its imports could not be followed: ${error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)})`;
  }
  const hash = createHash("sha256");
  const named = files.map((file) => ({ file, name: path.relative(base, file).split(path.sep).join("/") })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const { file, name } of named) {
    hash.update(name).update("\0").update(readFileSync(file)).update("\0");
  }
  const count = named.length === 1 ? "1 file" : `${named.length} files`;
  return { version: DIGEST_PREFIX + hash.digest("hex").slice(0, DIGEST_HEX), source: `digest of the flows module and its project imports, ${count}${note}` };
}

/** The absolute paths of the flows module and the project files it imports (packages left out). */
async function projectSources(module: string): Promise<string[]> {
  const esbuild = loadEsbuild();
  const base = path.dirname(module);
  const result = await esbuild.build({
    entryPoints: [module],
    absWorkingDir: base,
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes(":")) // virtual inputs (a namespace prefix), not files
    .map((input) => path.resolve(base, input));
}

/** esbuild, as tsx (a dependency of kitaru) depends on it: always installed with kitaru. */
function loadEsbuild(): typeof Esbuild {
  const fromTsx = createRequire(import.meta.resolve("tsx/esm/api"));
  return fromTsx("esbuild") as typeof Esbuild;
}
