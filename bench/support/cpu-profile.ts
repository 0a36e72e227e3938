/**
 * CPU profiles for the benches: record one around a phase (the V8 profiler
 * `node --cpu-prof` uses, started and stopped through the inspector), and
 * say where the time goes in one: the functions with the most self time and
 * the most inclusive time (self + everything they called), as shares of the
 * sampled time. Run as a script, it summarizes a `.cpuprofile` file:
 *
 *   node --conditions=kitaru-source --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/<script>.ts ...
 *   node --conditions=kitaru-source --import tsx bench/support/cpu-profile.ts /tmp/prof/<file>.cpuprofile [--top 25] [--match <regexp>]
 *
 * `--match` keeps only functions whose name or file matches (e.g.
 * `services/`), so the engine's own functions show up among the library ones.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { intFlag, stringFlag } from "./common.ts";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

/** A V8 CPU profile (the `.cpuprofile` format). */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A readable name of a profile node's function: `name (file)`, the file relative to the repository (tsx's line numbers are of the transpiled code, so none). */
function label(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  const file = url.replace(/^file:\/\//, "").replace(`${REPO}/`, "");
  return `${functionName || "(anonymous)"}${file ? ` (${file})` : ""}`;
}

/** Self and inclusive time per function label, in ms, and the total sampled time. */
function summarize(profile: CpuProfile): { self: Map<string, number>; inclusive: Map<string, number>; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfById = new Map<number, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    selfById.set(id, (selfById.get(id) ?? 0) + ms);
    totalMs += ms;
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, ms] of selfById) {
    const node = byId.get(id)!;
    self.set(label(node), (self.get(label(node)) ?? 0) + ms);
    // Each function on the stack once, however often it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }
  return { self, inclusive, totalMs };
}

/** The report lines of a profile: the top `top` functions by self and by inclusive time, those matching `match` only. */
export function describeProfile(profile: CpuProfile, options: { top: number; match?: RegExp }): string[] {
  const { self, inclusive, totalMs } = summarize(profile);
  const lines: string[] = [];
  const table = (title: string, times: Map<string, number>) => {
    lines.push(`${title} (of ${totalMs.toFixed(0)} ms sampled):`);
    for (const [name, ms] of [...times]
      .filter(([name]) => options.match?.test(name) ?? true)
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top)) {
      lines.push(`  ${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
    }
  };
  table("self time", self);
  table("inclusive time", inclusive);
  return lines;
}

/**
 * Runs `work` under the CPU profiler and writes the profile to
 * `<dir>/<name>.cpuprofile`; just runs it when `dir` is undefined.
 */
export async function profiled<T>(dir: string | undefined, name: string, work: () => Promise<T>): Promise<{ value: T; profile: CpuProfile | undefined }> {
  if (dir === undefined) return { value: await work(), profile: undefined };
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    const value = await work();
    const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
    writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    return { value, profile };
  } finally {
    session.disconnect();
  }
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error("usage: cpu-profile.ts <file.cpuprofile> [--top N] [--match <regexp>]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  for (const line of describeProfile(profile, { top: intFlag("top", 25), match: new RegExp(stringFlag("match", ".")) })) console.log(line);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
