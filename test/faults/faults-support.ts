/**
 * Shared by the fault suite's files: where each scenario leaves its figures
 * for the suite's one summary line, and small timing helpers.
 *
 * Each scenario calls {@link reportFigures} once, after its assertions
 * passed. With `KITARU_FAULTS_REPORT` set (scripts/test.sh sets it to a
 * temporary file) it appends one JSON line to
 * that file, and test/faults/summary.ts turns the file into the line
 * `faults: ...`. Without it (a file run on its own) the figures are printed
 * as the test's diagnostic instead.
 *
 * @module
 */
import { appendFileSync } from "node:fs";
import type { TestContext } from "node:test";

/** The scenarios, in the order the summary line names them. */
export const SCENARIOS = ["runner-kills", "database-restarts", "planner-kills", "racing-inputs", "fuzz", "watchers"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** One scenario's entry in the report file. */
export interface FiguresEntry {
  readonly scenario: Scenario;
  /** Its part of the summary line, e.g. "runner kills 10/10 survived (...)". */
  readonly text: string;
  /** The same figures as numbers, for anyone reading the report file. */
  readonly figures: Readonly<Record<string, number | string>>;
}

/** Records a scenario's figures (see the module comment). */
export function reportFigures(t: TestContext, entry: FiguresEntry): void {
  const file = process.env.KITARU_FAULTS_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
  else t.diagnostic(`faults: ${entry.text}`);
}

/** A positive integer from the environment variable `name`, or `fallback`. */
export function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not '${text}'`);
  return n;
}

/** The `q` quantile (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Bytes as MiB with one decimal, signed when asked. */
export function mib(bytes: number, signed = false): string {
  const text = (bytes / (1024 * 1024)).toFixed(1);
  return signed && bytes >= 0 ? `+${text}` : text;
}
