/**
 * Lists the exports of product code that nothing imports: dead exports. Product
 * code is proto/ts/src, services, clients/ts, clients/cli and clients/console
 * (the console's page, with its own tsconfig); everything else
 * (tests, benchmarks, examples, scripts) only counts as a user.
 *
 *   node --conditions=kitaru-source --import tsx scripts/dead-exports.ts             # the report; exit 1 on a dead export
 *   node --conditions=kitaru-source --import tsx scripts/dead-exports.ts --summary   # problems and counts only (scripts/test.sh)
 *   node --conditions=kitaru-source --import tsx scripts/dead-exports.ts --all       # also the types used only in their own module
 *   node --conditions=kitaru-source --import tsx scripts/dead-exports.ts --prune-baseline   # drop baseline lines no longer dead
 *
 * An export is used when a module imports or re-exports it (static, type-only,
 * dynamic `import("...")` or `import("...").T` in a type); a re-export is used
 * only when its own export is. The roots, used by definition: every export of
 * the package's entry points (package.json "exports") and of the process entry
 * points (services/{name}/src/main.ts, clients/cli/src/main.ts; bin/kitaru.mjs
 * loads the CLI's main.ts; clients/console/src/main.ts, the page's bundle;
 * services/runner/src/local-verifier.ts, which the CLI loads for `verify --flows`),
 * and what they re-export.
 *
 * - Used only by tests, benchmarks, examples or scripts: fine (tests are
 *   legitimate users), listed for information.
 * - A type or interface no other module imports, but its own module uses (in
 *   an exported function's options, say): not dead, a caller may need its name
 *   (counted; `--all` lists them). A value exported but used only in its own
 *   module is dead: drop its `export`.
 * - Exported on purpose with no importer (a hook for tools, say): tag it
 *   `/** ... @public <why> *\/` in the doc comment of the export.
 * - scripts/dead-exports.baseline lists the dead exports known when this check
 *   came in, to be removed; the check fails on any dead export not listed, and
 *   on listed ones that are no longer dead (delete those lines, or run with
 *   --prune-baseline). The file should only shrink.
 *
 * test/architecture/dead-exports.test.ts runs the same analysis.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Known dead exports, one `path name` a line; `#` starts a comment. */
export const BASELINE_FILE = path.join(ROOT, "scripts/dead-exports.baseline");

const PRODUCT_DIRS = ["proto/ts/src/", "services/", "clients/ts/", "clients/cli/", "clients/console/"];

/** Whether a repository path is product code. */
export function isProduct(file: string): boolean {
  return PRODUCT_DIRS.some((dir) => file.startsWith(dir)) && !file.includes("/gen/");
}

/** One exported name of a module, where it is exported. */
export interface ExportSite {
  /** Repository path, with `/`. */
  readonly file: string;
  readonly name: string;
  readonly line: number;
  /** `function`, `class`, `interface`, `type`, `enum`, `const`, `let`, `default` or `re-export`. */
  readonly kind: string;
}

export interface ExportReport {
  /** Used by nothing (and not tagged @public). */
  readonly dead: readonly ExportSite[];
  /** Used only by tests, benchmarks, examples or scripts. */
  readonly testOnly: readonly ExportSite[];
  /**
   * Types and interfaces that no other module imports but their own module uses,
   * typically in the signature of an export (a function's options): not reported
   * as dead, since a caller may need to name them.
   */
  readonly localTypes: readonly ExportSite[];
  /** Tagged @public. */
  readonly tagged: readonly ExportSite[];
  /** Every export site of product code. */
  readonly total: number;
}

/** Parsed files and how to resolve their imports. */
export interface ParsedTree {
  /** Its root files are the files analysed. */
  readonly program: ts.Program;
  /** Where module resolution reads files and package.json (in-memory files included). */
  readonly host: ts.ModuleResolutionHost;
}

export interface Analysis {
  readonly tree: ParsedTree;
  /** The directory repository paths are relative to. */
  readonly root: string;
  /** Repository paths of the modules whose exports are all used. */
  readonly entryPoints: readonly string[];
  /** Whether a repository path is product code (default: {@link isProduct}). */
  readonly isProduct?: (file: string) => boolean;
}

interface Site extends ExportSite {
  readonly tagged: boolean;
  /** A type or interface its own module refers to (besides declaring it). */
  usedInFile?: boolean;
}

/** A module's name for a node: `<absolute path>\0<export name>`. */
type NodeKey = string;
const key = (file: string, name: string): NodeKey => `${file}\0${name}`;

interface ModuleFacts {
  /** Names exported by this module itself (declared here, or re-exported by name). */
  readonly sites: Map<string, Site>;
  /** `export { a as b } from "t"` and `import { a } from "t"; export { a as b }`: b → (t, a). */
  readonly reexports: { readonly name: string; readonly target: string; readonly targetName: string }[];
  /** `export * from "t"`. */
  readonly stars: string[];
  /** Imports: (target, name), where name `*` is every export of the target. */
  readonly uses: { readonly target: string; readonly name: string }[];
}

/** Who uses which exports, from the syntax of each file and TypeScript's module resolution. */
export function analyzeExports(analysis: Analysis): ExportReport {
  const { root } = analysis;
  const { program, host } = analysis.tree;
  const productFile = analysis.isProduct ?? isProduct;
  const rel = (file: string) => path.relative(root, file).split(path.sep).join("/");
  const options = program.getCompilerOptions();
  const cache = ts.createModuleResolutionCache(root, (f) => f, options);
  const files = program.getRootFileNames().map((f) => path.resolve(f));
  const facts = new Map<string, ModuleFacts>();

  for (const fileName of files) {
    const sf = program.getSourceFile(fileName);
    if (!sf || sf.isDeclarationFile) continue;
    const resolve = (specifier: ts.StringLiteralLike): string | undefined => {
      const mode = program.getModeForUsageLocation(sf, specifier);
      const resolved = ts.resolveModuleName(specifier.text, fileName, options, host, cache, undefined, mode).resolvedModule;
      return resolved && !resolved.isExternalLibraryImport ? path.resolve(resolved.resolvedFileName) : undefined;
    };
    facts.set(fileName, moduleFacts(sf, resolve));
  }

  // What a name exported by `file` stands for: its own export site, or (through `export *`) another module's.
  const sitesFor = (file: string, name: string, seen = new Set<string>()): NodeKey[] => {
    const f = facts.get(file);
    if (!f || seen.has(file)) return [];
    seen.add(file);
    if (f.sites.has(name)) return [key(file, name)];
    if (name === "default") return [];
    return f.stars.flatMap((star) => sitesFor(star, name, seen));
  };
  const allNames = (file: string, seen = new Set<string>()): string[] => {
    const f = facts.get(file);
    if (!f || seen.has(file)) return [];
    seen.add(file);
    return [...f.sites.keys(), ...f.stars.flatMap((star) => allNames(star, seen).filter((n) => n !== "default"))];
  };
  const usedSites = (target: string, name: string): NodeKey[] => (name === "*" ? allNames(target).flatMap((n) => sitesFor(target, n)) : sitesFor(target, name));

  // Edges: a re-export site keeps what it re-exports alive.
  const edges = new Map<NodeKey, NodeKey[]>();
  for (const [file, f] of facts) {
    for (const r of f.reexports) {
      const from = key(file, r.name);
      edges.set(from, [...(edges.get(from) ?? []), ...usedSites(r.target, r.targetName)]);
    }
  }

  const productSeeds: NodeKey[] = [];
  const otherSeeds: NodeKey[] = [];
  for (const [file, f] of facts) {
    const seeds = productFile(rel(file)) ? productSeeds : otherSeeds;
    for (const use of f.uses) seeds.push(...usedSites(use.target, use.name));
    for (const [name, site] of f.sites) if (site.tagged) productSeeds.push(key(file, name));
  }
  for (const entry of analysis.entryPoints) productSeeds.push(...usedSites(path.resolve(root, entry), "*"));

  const closure = (seeds: readonly NodeKey[]): Set<NodeKey> => {
    const live = new Set<NodeKey>();
    const stack = [...seeds];
    for (let k = stack.pop(); k !== undefined; k = stack.pop()) {
      if (live.has(k)) continue;
      live.add(k);
      stack.push(...(edges.get(k) ?? []));
    }
    return live;
  };
  const liveInProduct = closure(productSeeds);
  const liveAnywhere = closure([...productSeeds, ...otherSeeds]);

  const dead: ExportSite[] = [];
  const testOnly: ExportSite[] = [];
  const localTypes: ExportSite[] = [];
  const tagged: ExportSite[] = [];
  let total = 0;
  for (const [file, f] of facts) {
    if (!productFile(rel(file))) continue;
    for (const [name, site] of f.sites) {
      total++;
      const { tagged: isTagged, usedInFile, ...plain } = site;
      if (isTagged) tagged.push(plain);
      else if (!liveAnywhere.has(key(file, name))) (usedInFile ? localTypes : dead).push(plain);
      else if (!liveInProduct.has(key(file, name))) testOnly.push(plain);
    }
  }
  const order = (a: ExportSite, b: ExportSite) => a.file.localeCompare(b.file) || a.line - b.line || a.name.localeCompare(b.name);
  return { dead: dead.sort(order), testOnly: testOnly.sort(order), localTypes: localTypes.sort(order), tagged: tagged.sort(order), total };

  function moduleFacts(sf: ts.SourceFile, resolve: (s: ts.StringLiteralLike) => string | undefined): ModuleFacts {
    const facts: ModuleFacts = { sites: new Map(), reexports: [], stars: [], uses: [] };
    const file = rel(sf.fileName);
    const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    const taggedPublic = (node: ts.Node) => /\/\*\*[\s\S]*?@public\b[\s\S]*?\*\//.test(sf.text.slice(node.pos, node.getStart(sf)));
    const addSite = (name: string, node: ts.Node, kind: string, tagged: boolean) => {
      if (!facts.sites.has(name)) facts.sites.set(name, { file, name, line: lineOf(node), kind, tagged });
    };
    // Local names bound by imports, for `import { a } from "t"; export { a }`.
    const importedAs = new Map<string, { target: string; name: string }>();

    for (const statement of sf.statements) {
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const target = resolve(statement.moduleSpecifier);
        const clause = statement.importClause;
        if (!target || !clause) continue;
        if (clause.name) {
          facts.uses.push({ target, name: "default" });
          importedAs.set(clause.name.text, { target, name: "default" });
        }
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) facts.uses.push({ target, name: "*" });
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) {
            const name = (element.propertyName ?? element.name).text;
            facts.uses.push({ target, name });
            importedAs.set(element.name.text, { target, name });
          }
        }
      } else if (ts.isExportDeclaration(statement)) {
        const target = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? resolve(statement.moduleSpecifier) : undefined;
        const clause = statement.exportClause;
        if (statement.moduleSpecifier && !target) {
          // A package re-exported: an export site with nothing behind it.
          if (clause && ts.isNamedExports(clause)) {
            for (const e of clause.elements) addSite(e.name.text, e, "re-export", taggedPublic(statement) || taggedPublic(e));
          }
          continue;
        }
        if (!clause) {
          if (target) facts.stars.push(target);
        } else if (ts.isNamespaceExport(clause)) {
          addSite(clause.name.text, clause, "re-export", taggedPublic(statement));
          if (target) facts.reexports.push({ name: clause.name.text, target, targetName: "*" });
        } else {
          for (const element of clause.elements) {
            const exported = element.name.text;
            const local = (element.propertyName ?? element.name).text;
            const tagged = taggedPublic(statement) || taggedPublic(element);
            if (target) {
              addSite(exported, element, "re-export", tagged);
              facts.reexports.push({ name: exported, target, targetName: local });
            } else {
              const imported = importedAs.get(local);
              addSite(exported, element, imported ? "re-export" : declarationKind(sf, local), tagged);
              if (imported) facts.reexports.push({ name: exported, target: imported.target, targetName: imported.name });
            }
          }
        }
      } else if (ts.isExportAssignment(statement)) {
        addSite("default", statement, "default", taggedPublic(statement));
      } else if (hasModifier(statement, ts.SyntaxKind.ExportKeyword)) {
        const isDefault = hasModifier(statement, ts.SyntaxKind.DefaultKeyword);
        if (ts.isVariableStatement(statement)) {
          const kind = statement.declarationList.flags & ts.NodeFlags.Const ? "const" : "let";
          for (const d of statement.declarationList.declarations) for (const name of boundNames(d.name)) addSite(name, d, kind, taggedPublic(statement));
        } else {
          const named = statement as ts.DeclarationStatement;
          const name = isDefault ? "default" : named.name && ts.isIdentifier(named.name) ? named.name.text : undefined;
          if (name !== undefined) addSite(name, statement, isDefault ? "default" : statementKind(statement), taggedPublic(statement));
        }
      }
    }

    // Dynamic imports and `import("...")` types, anywhere in the file; how often each name occurs.
    const occurrences = new Map<string, number>();
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && !ts.isExportSpecifier(node.parent)) occurrences.set(node.text, (occurrences.get(node.text) ?? 0) + 1);
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        const target = arg && ts.isStringLiteralLike(arg) ? resolve(arg) : undefined;
        if (target) facts.uses.push({ target, name: "*" });
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const target = resolve(node.argument.literal);
        if (target) facts.uses.push({ target, name: node.qualifier ? leftmost(node.qualifier) : "*" });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    for (const site of facts.sites.values()) {
      if (site.kind !== "type" && site.kind !== "interface") continue;
      const declarations = sf.statements.filter((st) => (st as ts.DeclarationStatement).name?.getText(sf) === site.name).length;
      site.usedInFile = (occurrences.get(site.name) ?? 0) > declarations;
    }
    return facts;
  }
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : boundNames(e.name)));
}

function leftmost(name: ts.EntityName): string {
  return ts.isIdentifier(name) ? name.text : leftmost(name.left);
}

function statementKind(node: ts.Statement): string {
  if (ts.isFunctionDeclaration(node)) return "function";
  if (ts.isClassDeclaration(node)) return "class";
  if (ts.isInterfaceDeclaration(node)) return "interface";
  if (ts.isTypeAliasDeclaration(node)) return "type";
  if (ts.isEnumDeclaration(node)) return "enum";
  return ts.SyntaxKind[node.kind];
}

function declarationKind(sf: ts.SourceFile, name: string): string {
  for (const statement of sf.statements) {
    if (ts.isVariableStatement(statement) && statement.declarationList.declarations.some((d) => boundNames(d.name).includes(name))) {
      return statement.declarationList.flags & ts.NodeFlags.Const ? "const" : "let";
    }
    const named = statement as ts.DeclarationStatement;
    if (named.name && ts.isIdentifier(named.name) && named.name.text === name) return statementKind(statement);
  }
  return "export";
}

/** The package's entry points (package.json "exports") and the process entry points, as repository paths. */
export function kitaruEntryPoints(root = ROOT): string[] {
  type Target = string | { readonly "kitaru-source"?: string };
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { exports?: Record<string, Target> };
  // Each entry's TypeScript source (its "kitaru-source" condition); plain strings are files as they are.
  const fromPackage = Object.values(pkg.exports ?? {})
    .map((target) => (typeof target === "string" ? target : target["kitaru-source"]))
    .filter((p): p is string => p?.endsWith(".ts") === true)
    .map((p) => path.posix.normalize(p));
  const services = readdirSync(path.join(root, "services"))
    .map((name) => `services/${name}/src/main.ts`)
    .filter((p) => existsSync(path.join(root, p)));
  // bin/kitaru.mjs is JavaScript outside the program; what it loads is the CLI's main.ts. The CLI's main.ts
  // loads the runner's local verifier (`executions verify --flows`) by a computed specifier.
  return [...fromPackage, ...services, "clients/cli/src/main.ts", "clients/console/src/main.ts", "services/runner/src/local-verifier.ts"];
}

/**
 * A program over the files of tsconfig.json and of the console page's
 * clients/console/tsconfig.json, parsed only (no type check, no lib files). `extra` adds or replaces files (repository path → source text), for
 * checking what the analysis makes of code that is not on disk.
 */
export function parseKitaru(root = ROOT, extra: Readonly<Record<string, string>> = {}): ParsedTree {
  const configFiles = (configPath: string) => {
    const config = ts.readConfigFile(configPath, ts.sys.readFile);
    if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
    return ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(configPath), undefined, configPath);
  };
  const parsed = configFiles(path.join(root, "tsconfig.json"));
  const pageConfig = path.join(root, "clients/console/tsconfig.json");
  const page = existsSync(pageConfig) ? configFiles(pageConfig).fileNames : [];
  const virtual = new Map(Object.entries(extra).map(([p, text]) => [path.resolve(root, p), text]));
  const files = [...parsed.fileNames, ...page].map((f) => path.resolve(f));
  return parseFiles([...new Set([...files, ...virtual.keys()])], parsed.options, virtual);
}

/** `rootNames` (absolute paths) parsed, reading `virtual` (absolute path → text) before the disk. */
export function parseFiles(rootNames: readonly string[], options: ts.CompilerOptions, virtual: ReadonlyMap<string, string> = new Map()): ParsedTree {
  const compilerOptions: ts.CompilerOptions = { ...options, noResolve: true, noLib: true, types: [], noEmit: true };
  const host = ts.createCompilerHost(compilerOptions, true);
  const read = (f: string) => virtual.get(path.resolve(f)) ?? ts.sys.readFile(f);
  host.readFile = read;
  host.fileExists = (f) => virtual.has(path.resolve(f)) || ts.sys.fileExists(f);
  host.directoryExists = (d) => [...virtual.keys()].some((f) => f.startsWith(path.resolve(d) + path.sep)) || ts.sys.directoryExists(d);
  host.getSourceFile = (f, languageVersion) => {
    const text = read(f);
    return text === undefined ? undefined : ts.createSourceFile(f, text, languageVersion, true);
  };
  return { program: ts.createProgram({ rootNames, options: compilerOptions, host }), host };
}

/** The baseline's entries, `path name`. */
export function readBaseline(file = BASELINE_FILE): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

export const entryOf = (site: ExportSite): string => `${site.file} ${site.name}`;

/** Dead exports not in the baseline, and baseline entries that are no longer dead. */
export function compareWithBaseline(report: ExportReport, baseline: readonly string[]): { added: ExportSite[]; stale: string[] } {
  const dead = new Set(report.dead.map(entryOf));
  const known = new Set(baseline);
  return { added: report.dead.filter((site) => !known.has(entryOf(site))), stale: baseline.filter((entry) => !dead.has(entry)) };
}

const describe = (site: ExportSite) => `  ${`${site.file}:${site.line}`.padEnd(60)} ${site.kind} ${site.name}`;

function main(args: readonly string[]): number {
  const t0 = performance.now();
  const report = analyzeExports({ tree: parseKitaru(), root: ROOT, entryPoints: kitaruEntryPoints() });
  const baseline = readBaseline();
  const { added, stale } = compareWithBaseline(report, baseline);
  const summary = args.includes("--summary");
  const known = report.dead.filter((site) => baseline.includes(entryOf(site)));

  if (args.includes("--prune-baseline")) {
    const text = readFileSync(BASELINE_FILE, "utf8");
    const kept = text.split("\n").filter((line) => !stale.includes(line.replace(/#.*/, "").trim()));
    writeFileSync(BASELINE_FILE, kept.join("\n"));
    console.log(`removed ${stale.length} line(s) from ${path.relative(ROOT, BASELINE_FILE)}`);
    return 0;
  }
  if (added.length > 0) {
    console.log(`Dead exports: nothing imports these (${added.length}). Remove the export (or the code), or tag it /** @public <why> */:`);
    for (const site of added) console.log(describe(site));
  }
  if (stale.length > 0) {
    console.log(`No longer dead, so delete these lines from scripts/dead-exports.baseline (or run this script with --prune-baseline):`);
    for (const entry of stale) console.log(`  ${entry}`);
  }
  if (!summary) {
    if (known.length > 0) {
      console.log(`Known dead exports, listed in scripts/dead-exports.baseline (${known.length}), to remove:`);
      for (const site of known) console.log(describe(site));
    }
    if (report.testOnly.length > 0) {
      console.log(`Used only by tests, benchmarks, examples or scripts (${report.testOnly.length}; fine, for information):`);
      for (const site of report.testOnly) console.log(describe(site));
    }
    if (args.includes("--all") && report.localTypes.length > 0) {
      console.log(`Types no other module imports, used in their own module's signatures (${report.localTypes.length}; not reported as dead):`);
      for (const site of report.localTypes) console.log(describe(site));
    }
    if (report.tagged.length > 0) {
      console.log(`Tagged @public (${report.tagged.length}):`);
      for (const site of report.tagged) console.log(describe(site));
    }
  }
  console.log(
    `${report.total} exports of product code: ${added.length} dead, ${known.length} known dead (baseline), ` +
      `${report.testOnly.length} used only outside product code, ${report.localTypes.length} types used only in their own module, ` +
      `${report.tagged.length} tagged @public (${Math.round(performance.now() - t0)} ms)`,
  );
  return added.length > 0 || stale.length > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));
