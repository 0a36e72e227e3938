// @tier unit
/**
 * The dead-export analysis (scripts/dead-exports.ts: what counts as a use, the
 * entry points, `@public`, the baseline of known dead exports) on trees made
 * for the purpose. Whether the repository has a new dead export is the
 * `dead exports` check of scripts/test.sh (`npm run check`), not a test.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import {
  analyzeExports,
  compareWithBaseline,
  entryOf,
  type ExportReport,
  type ExportSite,
  kitaruEntryPoints,
  parseFiles,
  parseKitaru,
  readBaseline,
  ROOT,
} from "../../scripts/dead-exports.ts";

const names = (sites: readonly ExportSite[]) => sites.map(entryOf).sort();

function kitaruReport(extra: Readonly<Record<string, string>> = {}): ExportReport {
  return analyzeExports({ tree: parseKitaru(ROOT, extra), root: ROOT, entryPoints: kitaruEntryPoints() });
}

describe("dead exports", () => {
  it("reports an export added to the tree that nothing imports (self-check)", () => {
    const fixture = "services/runner/src/engine/zz-dead-export-fixture.ts";
    const report = kitaruReport({ [fixture]: "export function nobodyCallsThis(): void {}\n" });
    const { added } = compareWithBaseline(report, readBaseline());
    assert.ok(names(added).includes(`${fixture} nobodyCallsThis`), names(added).join("\n"));
  });

  it("tells dead, test-only, local-type and @public exports apart on an in-memory tree (self-check)", () => {
    const root = path.resolve("/in-memory-tree");
    const files: Record<string, string> = {
      "package.json": JSON.stringify({ name: "fx", type: "module", exports: { ".": "./services/a/src/index.ts" }, imports: { "#a/*": "./services/a/src/*" } }),
      // The package's entry point: everything it exports, and re-exports, is used.
      "services/a/src/index.ts": 'export { api } from "./api.ts";\nexport * from "./star.ts";\n',
      "services/a/src/api.ts": 'import { helper } from "./lib.ts";\nexport function api(): void { helper(); }\n',
      "services/a/src/star.ts": "export const starred = 1;\n",
      // A process entry point, importing through a package.json "imports" alias.
      "services/a/src/main.ts": 'import { run } from "#a/lib.ts";\nrun();\nexport const notDeadInAnEntryPoint = 1;\n',
      "services/a/src/lib.ts": [
        "export function helper(): void {}",
        "export function run(): void {}",
        "export const unused = 1;",
        "export function testOnly(): void {}",
        "/** Read by the debugger. @public */",
        "export const kept = 2;",
        "export interface Options { readonly a: number }",
        "export function withOptions(options: Options): number { return options.a; }",
        "export type Lonely = string;",
      ].join("\n"),
      // An internal barrel: its re-exports are used only when imported.
      "services/a/src/barrel.ts": 'export { viaBarrel, deadViaBarrel } from "./leaf.ts";\n',
      "services/a/src/leaf.ts": "export const viaBarrel = 1;\nexport const deadViaBarrel = 2;\nexport const direct = 3;\n",
      "services/a/src/user.ts": [
        'import { viaBarrel } from "./barrel.ts";',
        'const dynamic = await import("./dyn.ts");',
        'let q: import("./typeq.ts").Q | undefined;',
        "console.log(viaBarrel, dynamic, q);",
      ].join("\n"),
      "services/a/src/dyn.ts": "export const loadedLater = 1;\n",
      "services/a/src/typeq.ts": "export interface Q { readonly q: 1 }\nexport interface NotQ { readonly q: 2 }\n",
      "test/a.test.ts": 'import { testOnly } from "../services/a/src/lib.ts";\nimport { direct } from "#a/leaf.ts";\ntestOnly(); console.log(direct);\n',
    };
    const virtual = new Map(Object.entries(files).map(([p, text]) => [path.join(root, p), text]));
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
    };
    const tree = parseFiles(
      [...virtual.keys()].filter((f) => f.endsWith(".ts")),
      options,
      virtual,
    );
    const report = analyzeExports({ tree, root, entryPoints: ["services/a/src/index.ts", "services/a/src/main.ts"] });

    assert.deepEqual(names(report.dead), [
      "services/a/src/barrel.ts deadViaBarrel",
      "services/a/src/leaf.ts deadViaBarrel",
      "services/a/src/lib.ts Lonely",
      "services/a/src/lib.ts unused",
      "services/a/src/lib.ts withOptions",
      "services/a/src/typeq.ts NotQ",
    ]);
    assert.deepEqual(names(report.testOnly), ["services/a/src/leaf.ts direct", "services/a/src/lib.ts testOnly"]);
    assert.deepEqual(names(report.localTypes), ["services/a/src/lib.ts Options"]);
    assert.deepEqual(names(report.tagged), ["services/a/src/lib.ts kept"]);
    const dead = report.dead[0];
    assert.ok(dead && dead.line === 1 && dead.kind === "re-export", JSON.stringify(dead));
  });
});
