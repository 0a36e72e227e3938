/**
 * Prints the fault suite's one summary line from the report file its tests
 * wrote (faults-support.ts, `KITARU_FAULTS_REPORT`):
 *
 *     node --import tsx test/faults/summary.ts <report file> [--all] [--seconds N]
 *
 * Scenarios in the suite's order, separated by "; ". With `--all` (the whole
 * suite ran) a scenario without figures is named as failed; without it (some
 * files ran) only the scenarios that reported appear. `--seconds` adds how
 * long the suite took.
 */
import { existsSync, readFileSync } from "node:fs";
import { SCENARIOS, type FiguresEntry } from "./faults-support.ts";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a));
const all = args.includes("--all");
const secondsAt = args.indexOf("--seconds");
const seconds = secondsAt >= 0 ? Number(args[secondsAt + 1]) : undefined;
if (file === undefined) {
  process.stderr.write("usage: summary.ts <report file> [--all] [--seconds N]\n");
  process.exit(2);
}

const entries = new Map<string, FiguresEntry>();
if (existsSync(file)) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const entry = JSON.parse(line) as FiguresEntry;
    entries.set(entry.scenario, entry);
  }
}
const parts: string[] = [];
for (const scenario of SCENARIOS) {
  const entry = entries.get(scenario);
  if (entry) parts.push(entry.text);
  else if (all) parts.push(`${scenario.replace("-", " ")}: FAILED (no figures)`);
}
const took = seconds === undefined || Number.isNaN(seconds) ? "" : ` (${seconds} s)`;
process.stdout.write(`faults: ${parts.length > 0 ? parts.join("; ") : "no scenario reported figures"}${took}\n`);
