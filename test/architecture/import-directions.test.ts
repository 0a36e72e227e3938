// @tier unit
/**
 * Who may import whom, for the whole tree. Each source file belongs to one
 * layer (by its path); a layer may import its own modules and the layers
 * listed for it, and the packages listed for it. Tests, benchmarks, examples
 * and scripts may import anything, and nothing else may import them.
 *
 * The layers, lowest first:
 *
 *   contract        proto/ts: generated code, errors and their wire form, shared types
 *   transport       services/transport: gRPC hosting, auth, limits, settings
 *   planner-core    pure planning (test/planner/core/purity.test.ts is stricter)
 *   planner         the planner's server, runner client, process
 *   authoring       the flow-authoring API (`kitaru`)
 *   store           the runner's storage
 *   engine          runs executions over the store
 *   runner          the runner's gRPC layer and process
 *   client          the typed TS client (`kitaru/client`)
 *   console         services/console: the `kitaru console` process (serves the page, bridges its RPCs)
 *   page-state      clients/console/src/state: the page's state, no DOM (unit-tested in Node)
 *   page            clients/console: the console's browser page (no Node built-ins)
 *   cli             the `kitaru` command
 *
 * The one exception is deliberate and narrow: a flow object's `run()` and
 * `replay()` load the client on first use, so `authoring` may name
 * `kitaru/client` in type-only and dynamic imports (never a static one: a
 * runner process must not load the client).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

type Layer =
  | "contract"
  | "transport"
  | "planner-core"
  | "planner"
  | "authoring"
  | "store"
  | "engine"
  | "runner"
  | "client"
  | "console"
  | "page-state"
  | "page"
  | "cli"
  | "free";

/** Which layer a repository path belongs to; the first match wins. */
const LAYER_OF: readonly (readonly [string, Layer])[] = [
  ["proto/ts/", "contract"],
  ["services/transport/", "transport"],
  ["services/planner/src/core/", "planner-core"],
  ["services/planner/", "planner"],
  ["services/runner/src/authoring/", "authoring"],
  ["services/runner/src/store/", "store"],
  ["services/runner/src/engine/", "engine"],
  ["services/runner/", "runner"],
  ["services/console/", "console"],
  ["clients/console/src/state/", "page-state"],
  ["clients/console/", "page"],
  ["clients/ts/", "client"],
  ["clients/cli/", "cli"],
  ["bin/", "cli"],
  ["test/", "free"],
  ["bench/", "free"],
  ["examples/", "free"],
  ["scripts/", "free"],
];

interface Rule {
  /** Layers this one may import (besides itself). */
  readonly layers: readonly Layer[];
  /** npm packages (and their subpaths) it may import; Node built-ins are allowed everywhere but in planner-core. */
  readonly packages: readonly string[];
}

const PROTOBUF = ["@bufbuild/protobuf"];
const RULES: Readonly<Record<Exclude<Layer, "free">, Rule>> = {
  contract: { layers: [], packages: [...PROTOBUF, "@connectrpc/connect"] },
  transport: { layers: ["contract"], packages: [...PROTOBUF, "@grpc/grpc-js", "zod"] },
  "planner-core": { layers: ["contract"], packages: [] },
  planner: {
    layers: ["planner-core", "transport", "contract"],
    packages: [...PROTOBUF, "@grpc/grpc-js", "@connectrpc/connect", "@connectrpc/connect-node", "zod"],
  },
  authoring: { layers: ["contract"], packages: ["zod"] },
  store: { layers: ["contract"], packages: ["mongodb", "better-sqlite3"] },
  engine: { layers: ["store", "authoring", "contract"], packages: ["zod"] },
  // esbuild: the flow version's digest follows the flows module's imports with it (loaded through tsx, which depends on it).
  runner: { layers: ["engine", "store", "authoring", "transport", "contract"], packages: [...PROTOBUF, "@grpc/grpc-js", "zod", "tsx", "esbuild"] },
  client: { layers: ["contract"], packages: [...PROTOBUF, "@connectrpc/connect", "@connectrpc/connect-node"] },
  console: { layers: ["transport", "contract"], packages: [...PROTOBUF, "@connectrpc/connect", "@connectrpc/connect-node", "zod", "esbuild"] },
  "page-state": { layers: ["contract"], packages: PROTOBUF },
  page: { layers: ["page-state", "contract"], packages: [...PROTOBUF, "@connectrpc/connect", "@connectrpc/connect-web", "@dagrejs/dagre"] },
  // The CLI starts the services: it may load their process entry points (lazily, see bin/kitaru.mjs).
  cli: { layers: ["client", "contract"], packages: [...PROTOBUF, "@connectrpc/connect", "zod", "tsx"] },
};

/** Modules of other layers the CLI may load: the services' process entry points only. */
const CLI_ENTRY_POINTS = [
  "services/runner/src/main.ts",
  "services/planner/src/main.ts",
  "services/console/src/main.ts",
  "services/runner/src/local-verifier.ts",
];

/** The package's own specifiers and where they point. */
const SELF: Readonly<Record<string, string>> = {
  kitaru: "services/runner/src/authoring/index.ts",
  "kitaru/client": "clients/ts/src/index.ts",
  "kitaru/errors": "clients/ts/src/errors.ts",
};

export function layerOf(file: string): Layer | undefined {
  return LAYER_OF.find(([prefix]) => file.startsWith(prefix))?.[1];
}

interface ImportSite {
  readonly spec: string;
  /** `import type` / `export type`: erased at run time. */
  readonly typeOnly: boolean;
  /** `import("...")`: loaded when the code runs, not when the module loads. */
  readonly dynamic: boolean;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

function importSites(source: string): ImportSite[] {
  const code = stripComments(source);
  const sites: ImportSite[] = [];
  for (const m of code.matchAll(/\b(import|export)(\s+type)?\s[^;]*?\sfrom\s*["']([^"']+)["']/g)) {
    sites.push({ spec: m[3] ?? "", typeOnly: m[2] !== undefined, dynamic: false });
  }
  for (const m of code.matchAll(/\bimport\s*["']([^"']+)["']/g)) sites.push({ spec: m[1] ?? "", typeOnly: false, dynamic: false });
  for (const m of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) sites.push({ spec: m[1] ?? "", typeOnly: false, dynamic: true });
  return sites;
}

/** The repository path a specifier names, or the npm package it names. */
function resolve(file: string, spec: string): { path: string } | { pkg: string } | { builtin: string } {
  if (spec.startsWith("node:") || builtinModules.includes(spec)) return { builtin: spec };
  if (spec.startsWith(".")) return { path: path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) };
  if (spec.startsWith("#gen/")) return { path: `proto/ts/gen/${spec.slice(5)}` };
  if (spec.startsWith("#contract/")) return { path: `proto/ts/src/${spec.slice(10)}` };
  const self = SELF[spec];
  if (self !== undefined) return { path: self };
  const parts = spec.split("/");
  return { pkg: spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec) };
}

/** One sentence per forbidden import in `file` (a repository path) with `source`. */
export function importViolations(file: string, source: string): string[] {
  const layer = layerOf(file);
  if (layer === undefined || layer === "free") return [];
  const rule = RULES[layer];
  const problems: string[] = [];
  for (const site of importSites(source)) {
    const target = resolve(file, site.spec);
    if ("builtin" in target) {
      if (layer === "planner-core") problems.push(`${file} (planner-core) imports '${site.spec}': the planner core does no I/O.`);
      if (layer === "page" || layer === "page-state") problems.push(`${file} (${layer}) imports '${site.spec}': the page runs in a browser.`);
      continue;
    }
    if ("pkg" in target) {
      if (!rule.packages.includes(target.pkg)) {
        problems.push(`${file} (${layer}) imports the package '${target.pkg}', which ${layer} may not use (allowed: ${rule.packages.join(", ") || "none"}).`);
      }
      continue;
    }
    const targetLayer = layerOf(target.path);
    if (targetLayer === layer) continue;
    if (targetLayer === "free" || targetLayer === undefined) {
      problems.push(`${file} (${layer}) imports '${site.spec}' (${target.path}), which is not product code.`);
      continue;
    }
    if (rule.layers.includes(targetLayer)) continue;
    if (layer === "authoring" && site.spec === "kitaru/client" && (site.typeOnly || site.dynamic)) continue;
    if (layer === "cli" && CLI_ENTRY_POINTS.includes(target.path) && site.dynamic) continue;
    problems.push(`${file} (${layer}) imports '${site.spec}' (${targetLayer}), but ${layer} may import only ${[layer, ...rule.layers].join(", ")}.`);
  }
  return problems;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "gen" ? [] : sourceFiles(rel);
    return /\.(ts|mts|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.mts") ? [rel] : [];
  });
}

describe("import directions", () => {
  const files = ["proto/ts", "services", "clients/ts", "clients/console", "clients/cli", "bin"].flatMap(sourceFiles);

  it("puts every product source file in a layer", () => {
    assert.ok(files.length > 100, `only ${files.length} files found`);
    const unplaced = files.filter((f) => layerOf(f) === undefined);
    assert.deepEqual(unplaced, []);
  });

  it("finds no import against the layer rules", () => {
    const problems = files.flatMap((f) => importViolations(f, readFileSync(path.join(ROOT, f), "utf8")));
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("reports the imports it is meant to forbid (self-check)", () => {
    const forbidden: readonly [string, string][] = [
      ["services/runner/src/engine/x.ts", 'import { startRunner } from "../runner-server.ts";'],
      ["services/runner/src/store/x.ts", 'import type { ExecutionRun } from "../engine/execution-run.ts";'],
      ["services/runner/src/engine/x.ts", 'import { Server } from "@grpc/grpc-js";'],
      ["services/runner/src/authoring/x.ts", 'import { KitaruClient } from "kitaru/client";'],
      ["services/runner/src/authoring/x.ts", 'import { KitaruClient } from "../../../../clients/ts/src/client.ts";'],
      ["clients/ts/src/x.ts", 'import { MongoExecutionStore } from "../../../services/runner/src/store/mongo-execution-store.ts";'],
      ["proto/ts/src/x.ts", 'import { KitaruClient } from "../../../clients/ts/src/client.ts";'],
      ["services/planner/src/core/x.ts", 'import { readFileSync } from "node:fs";'],
      ["services/transport/src/x.ts", 'import { createEngineEnv } from "../../../test/support/engine-env.ts";'],
      ["clients/cli/src/x.ts", 'import { startRunner } from "../../../services/runner/src/runner-server.ts";'],
      ["clients/console/src/x.ts", 'import { readFileSync } from "node:fs";'],
      ["clients/console/src/x.ts", 'import { KitaruClient } from "../../ts/src/client.ts";'],
      ["clients/console/src/state/x.ts", 'import { h } from "../dom.ts";'],
      ["clients/console/src/state/x.ts", 'import { runner } from "../rpc.ts";'],
      ["clients/console/src/state/x.ts", 'import { createConnectTransport } from "@connectrpc/connect-web";'],
      ["clients/console/src/state/x.ts", 'import { EventEmitter } from "node:events";'],
      ["services/console/src/x.ts", 'import { startRunner } from "../../runner/src/runner-server.ts";'],
    ];
    for (const [file, line] of forbidden) assert.equal(importViolations(file, line).length, 1, `${file}: ${line}`);
    const allowed: readonly [string, string][] = [
      ["services/runner/src/authoring/x.ts", 'import type { KitaruClient } from "kitaru/client";'],
      ["services/runner/src/authoring/x.ts", 'const m = await import("kitaru/client");'],
      ["services/runner/src/engine/x.ts", 'import { KitaruUsageError } from "#contract/errors/index.ts";'],
      ["clients/cli/src/x.ts", 'const { main } = await import("../../../services/runner/src/main.ts");'],
      ["clients/console/src/x.ts", 'import { graphModel } from "./state/graph-model.ts";'],
      ["test/x.ts", 'import { startRunner } from "../services/runner/src/runner-server.ts";'],
    ];
    for (const [file, line] of allowed) assert.deepEqual(importViolations(file, line), [], `${file}: ${line}`);
  });
});
