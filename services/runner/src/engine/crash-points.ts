/**
 * Named crash points in the storage path, for tests and the kill harness.
 *
 * `crashPoint("after-checkpoint-commit")` does nothing unless the environment
 * variable `KITARU_CRASH_POINTS` (read once, when this module loads) arms that
 * point. Armed, the process SIGKILLs itself the n-th time the point is
 * reached: no `finally`, no shutdown hook, no hand-back, like a power cut.
 *
 *     KITARU_CRASH_POINTS=after-checkpoint-commit        # the 1st time
 *     KITARU_CRASH_POINTS=after-checkpoint-commit:3      # the 3rd time
 *     KITARU_CRASH_POINTS=after-claim:2,after-wait-resolution
 *
 * An unknown name fails the import, so a typo cannot silently arm nothing.
 * See docs/chaos.md and test/faults/.
 *
 * @module
 */
import { writeSync } from "node:fs";

/**
 * Where a runner can be made to crash, each at the worst moment of a write.
 * What recovery must do after each is asserted by test/faults/crash-points.test.ts.
 */
const POINTS = {
  /**
   * A start on a runner with a free slot: the execution is inserted claimed
   * by this runner (one commit), the run has not started. Like `after-claim`:
   * held by a dead runner until its lease lapses; the start's caller got no
   * answer, and a retried start with its request ID returns the execution.
   */
  "after-claimed-insert": "scheduler.ts, create: after the execution was inserted claimed, before the run starts",
  /**
   * A checkpoint function returned (and a large output's blob chunks were
   * written) but its call is not recorded yet. Recovery runs the function
   * again: the at-least-once case.
   */
  "before-checkpoint-commit": "execution-run.ts, #execute: before recordCall",
  /**
   * The call is recorded, but the body never received its value. Recovery
   * answers the call from the journal: the function does not run again.
   */
  "after-checkpoint-commit": "execution-run.ts, #execute: after recordCall, before the value reaches the body",
  /**
   * The `claimed` transition is written, the run has not started: the
   * execution is held by a dead runner until its lease lapses.
   */
  "after-claim": "scheduler.ts, #tryClaim: after the claimed transition, before the run starts",
  /**
   * A wait is recorded but the execution is still `running` (no `waiting`
   * transition): the lease lapses and another runner reaches the wait again.
   */
  "after-wait-recorded": "execution-run.ts, wait(): after recordWait, before the waiting transition",
  /**
   * The body returned (or threw) and the result payload is stored, but the
   * `completed`/`failed` transition is not written: recovery replays the whole
   * body from the journal and writes it.
   */
  "before-terminal-write": "execution-run.ts, #finish/#fail: before the completed or failed transition",
  /**
   * In the process serving an input RPC: the wait's resolution is recorded
   * but the execution is still `waiting` (no `resumed` transition), and the
   * client got no answer. Another runner's scheduler sweep resumes it.
   */
  "after-wait-resolution": "execution-commands.ts, resolveWait: after the resolution insert, before the resumed transition",
} as const;

/** The name of a crash point; see {@link crashPoint}. */
export type CrashPointName = keyof typeof POINTS;

/** Every crash point name, in the order of a flow's life. */
export const crashPointNames = Object.keys(POINTS) as readonly CrashPointName[];

/** Armed points: how many times each must be reached before the crash. */
const armed: ReadonlyMap<CrashPointName, number> = parseCrashPoints(process.env.KITARU_CRASH_POINTS ?? "");
const reached = new Map<CrashPointName, number>();

/**
 * Parses `KITARU_CRASH_POINTS`: comma-separated `name` or `name:n` (n ≥ 1,
 * default 1). Throws on an unknown name or a bad count.
 */
function parseCrashPoints(text: string): Map<CrashPointName, number> {
  const points = new Map<CrashPointName, number>();
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name = "", count = "1"] = item.split(":");
    if (!(name in POINTS)) {
      throw new Error(`KITARU_CRASH_POINTS: unknown crash point '${name}'; known: ${crashPointNames.join(", ")}.`);
    }
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1) throw new Error(`KITARU_CRASH_POINTS: '${item}' needs a count ≥ 1, as in '${name}:3'.`);
    points.set(name as CrashPointName, n);
  }
  return points;
}

/**
 * Kills this process with SIGKILL when `name` is armed and reached for the
 * armed n-th time; otherwise does nothing (and, unarmed, costs one map lookup).
 */
export function crashPoint(name: CrashPointName): void {
  const at = armed.get(name);
  if (at === undefined) return;
  const count = (reached.get(name) ?? 0) + 1;
  reached.set(name, count);
  if (count !== at) return;
  // Synchronous, so the line is in the pipe before the process dies.
  writeSync(2, `kitaru: crash point '${name}' reached (${count}x): SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
}
