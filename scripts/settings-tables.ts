/**
 * Writes the settings tables of docs/deployment.md from the services' settings
 * tables (services/*\/src/config.ts), between `<!-- settings:runner -->` and
 * `<!-- /settings:runner -->` (and the planner's and the console's). `--check` only compares and
 * exits 1 when the docs are stale; test/docs/settings-tables.test.ts does too.
 *
 *   node --conditions=kitaru-source --import tsx scripts/settings-tables.ts [--check]
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { consoleSettings } from "../services/console/src/config.ts";
import { plannerSettings } from "../services/planner/src/config.ts";
import { runnerSettings } from "../services/runner/src/config.ts";

/** The file whose tables this writes. */
export const DEPLOYMENT_DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../docs/deployment.md");

const tables = { runner: runnerSettings, planner: plannerSettings, console: consoleSettings } as const;

/** `markdown` with every settings table replaced by the current one; throws when a marker is missing. */
export function withSettingsTables(markdown: string): string {
  let out = markdown;
  for (const [service, settings] of Object.entries(tables)) {
    const open = `<!-- settings:${service} -->`;
    const close = `<!-- /settings:${service} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`docs/deployment.md has no ${open} ... ${close} block`);
    out = `${out.slice(0, start + open.length)}\n${settings.markdown()}\n${out.slice(end)}`;
  }
  return out;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const current = readFileSync(DEPLOYMENT_DOC, "utf8");
  const wanted = withSettingsTables(current);
  if (process.argv.includes("--check")) {
    if (current !== wanted) {
      console.error("docs/deployment.md's settings tables are stale: run node --conditions=kitaru-source --import tsx scripts/settings-tables.ts");
      process.exit(1);
    }
  } else if (current !== wanted) {
    writeFileSync(DEPLOYMENT_DOC, wanted);
    console.log("updated docs/deployment.md");
  }
}
