/**
 * The lint rules of biome.jsonc that carry the project's own decisions, checked
 * on files made for the purpose (in a temporary copy of the configuration), so
 * that a change of configuration or of Biome that silently drops one fails here.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
}

interface BiomeReport {
  readonly diagnostics: readonly { readonly category: string; readonly location: { readonly path?: string; readonly start?: { readonly line: number } } }[];
}

/** What `biome lint` reports on `files` (repository path → text) under the repository's configuration. */
function lint(files: Readonly<Record<string, string>>): Finding[] {
  const dir = mkdtempSync(path.join(tmpdir(), "kitaru-lint-"));
  try {
    copyFileSync(path.join(ROOT, "biome.jsonc"), path.join(dir, "biome.jsonc"));
    copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const biome = path.join(ROOT, "node_modules/.bin/biome");
    const run = spawnSync(biome, ["lint", "--reporter=json", "--max-diagnostics=none", ...Object.keys(files)], { cwd: dir, encoding: "utf8" });
    const report = JSON.parse(run.stdout) as BiomeReport;
    return report.diagnostics
      .filter((d) => d.category.startsWith("lint/"))
      .map((d) => ({ file: d.location.path ?? "", line: d.location.start?.line ?? 0, rule: d.category.slice("lint/".length) }))
      .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("lint rules (biome.jsonc)", () => {
  it("forbid paths into proto/ts and node_modules, any, ! and value imports used as types in product code; allow ! in tests", () => {
    const product = [
      'import { isTerminalStatus } from "../../../../proto/ts/src/status.ts";',
      'import { ExecutionSchema } from "../../../../proto/ts/gen/kitaru/runner/v1/execution_pb.ts";',
      'import { z } from "../../../../node_modules/zod/index.js";',
      'import { executionStatusToProto } from "#contract/status.ts";',
      'import { ExecutionStore } from "../store/execution-store.ts";',
      "export function f(store: ExecutionStore, value: any): number {",
      "  console.log(isTerminalStatus, ExecutionSchema, z, executionStatusToProto, store, value);",
      "  return [1][0]!;",
      "}",
      "",
    ].join("\n");
    const test = ['import { executionStatusToProto } from "#contract/status.ts";', "console.log(executionStatusToProto, [1][0]!);", ""].join("\n");
    const findings = lint({ "services/runner/src/engine/lint-fixture.ts": product, "test/lint-fixture.test.ts": test });
    const file = "services/runner/src/engine/lint-fixture.ts";
    assert.deepEqual(findings, [
      { file, line: 1, rule: "style/noRestrictedImports" },
      { file, line: 2, rule: "style/noRestrictedImports" },
      { file, line: 3, rule: "style/noRestrictedImports" },
      { file, line: 5, rule: "style/useImportType" },
      { file, line: 6, rule: "suspicious/noExplicitAny" },
      { file, line: 8, rule: "style/noNonNullAssertion" },
    ]);
  });
});
