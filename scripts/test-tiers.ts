/**
 * Which tier each test file runs in (CONTRIBUTING.md, "Test tiers"), for
 * scripts/test.sh. No list to keep: a file's tier follows from the file.
 *
 * 1. A first line `// @tier <tier>` names it (`unit`, `integration`,
 *    `faults`, `release`). Unit tests carry `// @tier unit`; the unit tier
 *    runs with test/support/no-processes.ts preloaded, so a unit test that
 *    starts a process fails.
 * 2. Otherwise the directory decides: test/faults/ is the fault suite;
 *    test/package/, test/deploy/, test/console/ and test/clients/ are the
 *    release tier (the packed package, the compose commands, the browser, the
 *    other languages' generated clients).
 * 3. Anything else is an integration test. A new file lands there unless it
 *    says otherwise: the tier that is always safe to be in.
 *
 * A `@tier` line anywhere but the first line, or naming no tier, is an error
 * (a typo must not quietly move a test).
 *
 *   node --import tsx scripts/test-tiers.ts                 # files per tier
 *   node --import tsx scripts/test-tiers.ts files <tier>    # that tier's files, one a line
 *   node --import tsx scripts/test-tiers.ts mongodb <tier>  # the files its MongoDB pass runs again
 *   node --import tsx scripts/test-tiers.ts of <file>...    # "<tier> <file>" per file
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The test tiers, in the order a full run runs them. */
export const TIERS = ["unit", "integration", "faults", "release"] as const;
export type Tier = (typeof TIERS)[number];

/** Directories whose files belong to a tier without a `@tier` line. */
const DIRECTORY_TIERS: readonly (readonly [string, Tier])[] = [
  ["test/faults/", "faults"],
  ["test/package/", "release"],
  ["test/deploy/", "release"],
  ["test/console/", "release"],
  ["test/clients/", "release"],
];

/**
 * Files a tier runs a second time on MongoDB (a local FerretDB) when the run
 * uses the embedded store: the ones that work the store hardest (durability,
 * waits, concurrent input, crash recovery and crash points, replay). The
 * store conformance suite (test/store/mongo-store.test.ts) runs on FerretDB
 * in the integration tier itself.
 */
export const MONGODB_PASS: Readonly<Partial<Record<Tier, readonly string[]>>> = {
  integration: [
    "test/runner/durable-flow.test.ts",
    "test/runner/waits.test.ts",
    "test/runner/concurrent-input.test.ts",
    "test/runner/crash-recovery.test.ts",
    "test/replay/replay-e2e.test.ts",
    "test/engine/override-wins.test.ts",
    "test/engine/flow-versions.test.ts",
    "test/engine/verify.test.ts",
    "test/runner/observability.test.ts",
    "test/runner/operator-keys.test.ts",
    "test/runner/odd-keys.test.ts",
    "test/replay/override-types-e2e.test.ts",
    "test/engine/source-wait-answers.test.ts",
    "test/replay/replay-jobs-e2e.test.ts",
  ],
  faults: ["test/faults/crash-points.test.ts", "test/faults/missed-input.test.ts", "test/faults/replay-job-kills.test.ts"],
};

/** A `@tier` line that cannot be followed. */
export class TierMarkerError extends Error {
  override readonly name = "TierMarkerError";
}

const MARKER = /^\s*\/\/\s*@tier\b(.*)$/;

/** The tier of test file `file` (a repository path with `/`) whose text is `text`; throws {@link TierMarkerError}. */
export function tierOf(file: string, text: string): Tier {
  const lines = text.split("\n");
  for (let i = 1; i < lines.length; i++) {
    if (MARKER.test(lines[i] ?? "")) throw new TierMarkerError(`${file}:${i + 1}: a \`// @tier\` line must be the file's first line`);
  }
  const marker = MARKER.exec(lines[0] ?? "");
  if (marker) {
    const named = (marker[1] ?? "").trim();
    const tier = TIERS.find((t) => t === named);
    if (tier === undefined) throw new TierMarkerError(`${file}:1: \`// @tier ${named}\` names no tier (${TIERS.join(", ")})`);
    return tier;
  }
  return DIRECTORY_TIERS.find(([dir]) => file.startsWith(dir))?.[1] ?? "integration";
}

/** Every test file (`test/**\/*.test.ts`), as sorted repository paths. */
export function testFiles(root = ROOT): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith(".test.ts")) found.push(rel);
    }
  };
  walk("test");
  return found.sort();
}

/** The test files of `tier`. */
export function filesOfTier(tier: Tier, root = ROOT): string[] {
  return testFiles(root).filter((file) => tierOf(file, readFileSync(path.join(root, file), "utf8")) === tier);
}

function asTier(name: string | undefined): Tier {
  const tier = TIERS.find((t) => t === name);
  if (tier === undefined) throw new TierMarkerError(`not a tier: '${name ?? ""}' (${TIERS.join(", ")})`);
  return tier;
}

function main(args: readonly string[]): void {
  const [command, ...rest] = args;
  if (command === "files")
    process.stdout.write(
      filesOfTier(asTier(rest[0]))
        .map((f) => `${f}\n`)
        .join(""),
    );
  else if (command === "mongodb") process.stdout.write((MONGODB_PASS[asTier(rest[0])] ?? []).map((f) => `${f}\n`).join(""));
  else if (command === "of") {
    for (const file of rest) {
      const repoPath = path.relative(ROOT, path.resolve(file)).split(path.sep).join("/");
      process.stdout.write(`${tierOf(repoPath, readFileSync(path.resolve(file), "utf8"))} ${file}\n`);
    }
  } else if (command === undefined) {
    for (const tier of TIERS) {
      const files = filesOfTier(tier);
      process.stdout.write(`${tier}: ${files.length} files\n${files.map((f) => `  ${f}\n`).join("")}`);
    }
  } else throw new TierMarkerError(`unknown command '${command}' (files <tier>, mongodb <tier>, of <file>...)`);
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof TierMarkerError)) throw error;
    process.stderr.write(`test-tiers: ${error.message}\n`);
    process.exit(1);
  }
}
