/**
 * Loads the runner's flows module (`--flows`) and, when that fails, says why
 * in the module's own terms: its path, its own error (message, where it
 * was thrown, the syntax error's location, the import that is missing) and
 * what to check; never only a stack of kitaru's internals.
 *
 * A JavaScript module loads with `import()`. A TypeScript one loads as its
 * project says: an ES module (`.mts`, or `.ts`/`.tsx` in a `"type": "module"`
 * package) with tsx's `tsImport`, which compiles it in a loader namespace of
 * its own; a CommonJS one (`.cts`, or `.ts`/`.tsx` in any other package, as
 * `npm init -y` makes them) with tsx's `require`, as Node loads CommonJS. Both
 * keep the module's own file name and source map, so a stack trace names
 * `flows.ts:line:col` (through `tsImport`, a CommonJS module ran as a
 * `data:` URL of its compiled code: its frames were 3.6 KB of that URL). A
 * plain `import()` of a CommonJS `.ts` file that `require`s this package
 * ended in "Cannot require() ES Module ... in a cycle".
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { require as tsxRequire } from "tsx/cjs/api";
import { tsImport } from "tsx/esm/api";
import { KitaruError, KitaruUsageError } from "#contract/errors/index.ts";
import { FlowRegistry } from "./engine/flow-registry.ts";
import { flowVersionOf } from "./flow-version.ts";

/** The setting that names the module, for messages. */
const FLOWS_SETTING = "--flows / KITARU_FLOWS";

/** Stack frames under these directories are kitaru's own (the CLI, the loader, the authoring API): not shown. */
const KITARU_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const KITARU_DIRS = ["services", "clients", "bin"].map((dir) => path.join(KITARU_ROOT, dir) + path.sep);

/** How many of the module's own stack frames a message shows. */
const FRAMES_SHOWN = 5;

/**
 * Imports `modulePath` and registers its flows, with the flow version
 * `options.flowVersion` or else a digest of the module's sources
 * (flow-version.ts). Every failure is a {@link KitaruUsageError} whose first
 * line names the module and the cause, followed by the module's own error
 * and what to check.
 */
export async function loadFlowsModule(modulePath: string, options: { flowVersion?: string | undefined } = {}): Promise<FlowRegistry> {
  const resolved = path.resolve(modulePath);
  const shown = modulePath === resolved ? `'${modulePath}'` : `'${modulePath}' (${resolved})`;
  if (!existsSync(resolved) || !statSync(resolved).isFile()) {
    throw new KitaruUsageError(
      `the flows module ${shown} does not exist${path.isAbsolute(modulePath) ? "" : ` (relative paths start from the working directory, ${process.cwd()})`}: ` +
        `give the file that exports your flow(...) objects with ${FLOWS_SETTING}`,
      { metadata: { flowsModule: modulePath, resolvedPath: resolved } },
    );
  }
  try {
    const { version, source } = await flowVersionOf(modulePath, options.flowVersion);
    return await FlowRegistry.fromModule(modulePath, importFlowsModule, { version, versionSource: source });
  } catch (error) {
    if (KitaruError.isKitaruError(error)) {
      // The module loaded but exports no flow (or two with one name: nothing to do with the setting).
      if (error.metadata["flowsModule"] === undefined) throw error;
      throw new KitaruUsageError(`${error.message} Check ${FLOWS_SETTING}.`, { metadata: error.metadata, cause: error });
    }
    throw explainImportFailure(error, shown, resolved, modulePath);
  }
}

const TYPESCRIPT = /\.(c|m)?tsx?$/;

/** Imports the flows module at `url` (a `file:` URL). */
async function importFlowsModule(url: string): Promise<unknown> {
  const file = fileURLToPath(url);
  if (!TYPESCRIPT.test(file)) return import(url);
  return isCommonJs(file) ? tsxRequire(file, import.meta.url) : tsImport(url, import.meta.url);
}

/** True when Node would load this TypeScript file as CommonJS: `.cts`, or `.ts`/`.tsx` outside a `"type": "module"` package. */
function isCommonJs(file: string): boolean {
  if (file.endsWith(".cts")) return true;
  if (file.endsWith(".mts")) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: unknown }).type !== "module";
      } catch {
        return true; // an unreadable package.json: Node would refuse it too; the require says why
      }
    }
    if (path.dirname(dir) === dir) return true;
  }
}

/** The usage error for a module whose import threw `error`. */
function explainImportFailure(error: unknown, shown: string, resolved: string, modulePath: string): KitaruUsageError {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as NodeJS.ErrnoException).code;
  let summary: string;
  let details: string[];
  let check: string;
  // ES modules say "imported from <file>"; CommonJS says "Require stack:" and then the requiring file.
  const missing =
    /Cannot find (?:package|module) '([^']+)' imported from (.+)$/m.exec(e.message) ?? /Cannot find module '([^']+)'\nRequire stack:\n- (.+)$/m.exec(e.message);
  if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && missing) {
    const what = missing[1] ?? "";
    const from = missing[2] ?? "";
    const isPackage = !what.startsWith("/") && !what.startsWith(".") && !what.startsWith("file:");
    summary = `it imports '${what}', which cannot be found (imported from ${from})`;
    details = [];
    const name = packageName(what);
    check = !isPackage
      ? "Fix the path in the import (relative to the importing file)."
      : name === "kitaru"
        ? "A flows module imports the authoring API as 'kitaru': keep it in a project that depends on kitaru (npm install kitaru)."
        : `Install it in the module's project (npm install ${name}), or fix the import.`;
  } else if (e.name === "TransformError" || e.message.startsWith("Transform failed")) {
    // tsx (esbuild) could not compile it: the message names file:line:column.
    summary = "it does not compile";
    details = e.message.split("\n").slice(1, 1 + FRAMES_SHOWN);
    check = "Fix the syntax error at the location shown.";
  } else if (e instanceof SyntaxError) {
    summary = `it has a syntax error: ${e.message}`;
    details = syntaxErrorLocation(resolved);
    check =
      details.length > 0 ? "Fix the syntax error at the location shown." : "Fix the syntax error in a file it imports (`node --check <file>` shows where).";
  } else if (code === "ERR_REQUIRE_CYCLE_MODULE" || code === "ERR_REQUIRE_ESM") {
    summary = "it is loaded as CommonJS, and it is an ES module";
    details = [];
    check = `Add "type": "module" to the package.json of its project (${path.dirname(resolved)} or above), or rename it to .mts.`;
  } else {
    summary = `it threw ${e.name}: ${firstLine(e.message)}`;
    details = ownFrames(e);
    check = `Fix what it does when it loads; check that it loads on its own with: node --import tsx ${resolved}`;
  }
  const message = [`cannot load the flows module ${shown} (${FLOWS_SETTING}): ${summary}`, ...details.map((line) => `    ${line}`), `  ${check}`].join("\n");
  return new KitaruUsageError(message, { metadata: { flowsModule: modulePath, resolvedPath: resolved, cause: firstLine(e.message) }, cause: e });
}

/** `@scope/name` or `name` of a bare specifier. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}

/** The error's stack frames that are not Node's or kitaru's own (the module's, and what it imports). */
function ownFrames(error: Error): string[] {
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return frames
    .filter((line) => !line.includes("node:") && !line.includes("/node_modules/") && !KITARU_DIRS.some((dir) => line.includes(dir)))
    .slice(0, FRAMES_SHOWN)
    .map((line) => line.trim());
}

/**
 * Where a JavaScript module's syntax error is: Node's ES module loader does
 * not say, `node --check` does (file:line, the line, a caret). Empty when the
 * error is not in this file (an imported one) or the check cannot run.
 */
function syntaxErrorLocation(file: string): string[] {
  if (!/\.[cm]?js$/.test(file)) return [];
  const check = spawnSync(process.execPath, ["--check", file], { encoding: "utf8", timeout: 5000 });
  if (check.status === 0 || typeof check.stderr !== "string") return [];
  const lines = check.stderr.split("\n");
  const end = lines.findIndex((line) => /^\w*Error:/.test(line));
  return lines.slice(0, end < 0 ? 3 : end).filter((line) => line.trim() !== "");
}
