// @tier unit
/**
 * The planner core must stay pure: same source and request, same plan or
 * error, on any machine, at any time. So its modules may import only each
 * other, the shared error classes and JSON checks and (type-only) the contract's shared types,
 * and may not read the clock, randomness or the process environment. This
 * test reads the source files themselves; test/architecture/import-directions
 * checks who imports whom across the whole tree.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const coreDir = join(repoRoot, "services/planner/src/core");
// Contract modules the core may load: the error classes themselves (the errors index also loads the
// wire mapping: protobuf, connect) and the JSON checks (plain functions over values).
const PURE_CONTRACT_IMPORTS = ["#contract/errors/kitaru-error.ts", "#contract/json-value.ts"];

const forbiddenImports: readonly { readonly test: (spec: string) => boolean; readonly why: string }[] = [
  { test: (s) => s.startsWith("node:") || builtinModules.includes(s), why: "Node built-ins do I/O or read the environment" },
  { test: (s) => s === "mongodb" || s.startsWith("mongodb/"), why: "the database belongs to the server layer" },
  { test: (s) => s.startsWith("@grpc/"), why: "transport belongs to the server layer" },
  { test: (s) => s.startsWith("@connectrpc/"), why: "transport belongs to the server layer" },
];

const forbiddenGlobals: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /\bDate\b/, what: "Date (the clock)" },
  { pattern: /\bMath\s*\.\s*random\b/, what: "Math.random (randomness)" },
  { pattern: /\bprocess\b/, what: "process (environment, clock and exit)" },
  { pattern: /\bperformance\b/, what: "performance (the clock)" },
  { pattern: /\bcrypto\b/, what: "crypto (randomness)" },
  { pattern: /\bset(?:Timeout|Interval|Immediate)\b/, what: "timers" },
  { pattern: /\brequire\s*\(/, what: "require (dynamic loading)" },
];

/** Removes comments so that documentation may talk about what the code must not do. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function importSpecifiers(code: string): string[] {
  const patterns = [/\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["'`]?([^"'`)]*)/g];
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1] ?? ""));
}

/** Specifiers of `import type` / `export type` statements: erased, so they load nothing. */
function typeOnlySpecifiers(code: string): Set<string> {
  return new Set([...code.matchAll(/\b(?:import|export)\s+type\s[^;]*?\sfrom\s*["']([^"']+)["']/g)].map((m) => m[1] ?? ""));
}

/** Explains, one sentence each, why a core file is not pure; empty when it is. */
function purityViolations(file: string, source: string): string[] {
  const code = stripComments(source);
  const problems: string[] = [];
  const typeOnly = typeOnlySpecifiers(code);
  for (const spec of importSpecifiers(code)) {
    if (spec.startsWith("#contract/") && typeOnly.has(spec)) continue;
    const rule = forbiddenImports.find((r) => r.test(spec));
    if (rule) {
      problems.push(`${file} imports '${spec}', but the planner core must stay pure because ${rule.why}; move that code to services/planner/src/server/.`);
    } else if (!(spec.startsWith("./") && spec.endsWith(".ts")) && !PURE_CONTRACT_IMPORTS.includes(spec)) {
      problems.push(
        `${file} imports '${spec}', but the planner core may import only its own modules ('./x.ts'), ${PURE_CONTRACT_IMPORTS.map((m) => `'${m}'`).join(", ")} and types from '#contract/', so that it stays free of I/O.`,
      );
    }
  }
  for (const { pattern, what } of forbiddenGlobals) {
    if (pattern.test(code)) {
      problems.push(`${file} uses ${what}, but a replay plan must depend only on the source execution and the request, so the planner core may not read it.`);
    }
  }
  return problems;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

describe("planner core purity", () => {
  const files = listFiles(coreDir);

  it("finds the core modules", () => {
    assert.ok(
      files.some((f) => f.endsWith("plan-replay.ts")),
      `no plan-replay.ts under ${coreDir}`,
    );
  });

  it("imports nothing but its own modules and the error classes, and reads no clock, randomness or process", () => {
    const problems = files.flatMap((f) => purityViolations(relative(repoRoot, f), readFileSync(f, "utf8")));
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("catches the violations it is meant to catch (self-check)", () => {
    const bad = [
      'import { readFileSync } from "node:fs";',
      'import { MongoClient } from "mongodb";',
      'import type { Client } from "@connectrpc/connect";',
      'export { x } from "@grpc/grpc-js";',
      'import "fs";',
      'const m = await import("../server/store.ts");',
      'import { executionStatusFromProto } from "#contract/status.ts";',
      "const now = Date.now();",
      "const r = Math.random();",
      "const e = process.env.X;",
    ];
    for (const line of bad) assert.equal(purityViolations("x.ts", line).length, 1, line);
    const fine = [
      'import { a } from "./a.ts";',
      'import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";',
      'import { jsonViolations } from "#contract/json-value.ts";',
      'import type { ExecutionStatus } from "#contract/status.ts";',
      "// Date.now() is forbidden",
      "/* process */",
    ];
    for (const line of fine) assert.deepEqual(purityViolations("x.ts", line), [], line);
  });
});
