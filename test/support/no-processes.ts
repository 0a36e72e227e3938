/**
 * The unit tier's guard: installed before any unit test file loads
 * (scripts/test.sh runs the unit tier with `--import
 * ./test/support/unit-tier-preload.ts`), it makes every way of starting a
 * process or a thread throw: `child_process`'s spawn, fork, exec and execFile
 * (and their Sync forms), `cluster.fork` and `worker_threads.Worker`. A unit test that reaches one of them fails with
 * {@link ProcessStartedInUnitTier}, naming what it tried to start.
 *
 * Why: the unit tier is the one-minute loop (CONTRIBUTING.md, "Test tiers").
 * A child process (a runner, FerretDB, npm, a browser) costs seconds and CPU
 * that the other agents of a shared machine also need, and makes a test
 * depend on more than its code; such a test belongs in the integration tier
 * (no `// @tier unit` line).
 *
 * One thread is let through: esbuild's, which tsx starts to compile a
 * CommonJS TypeScript file (that thread runs esbuild's compiler as a process
 * of its own, so the guard is installed in the main thread only).
 *
 * @module
 */
import childProcess from "node:child_process";
import cluster from "node:cluster";
import { syncBuiltinESMExports } from "node:module";
import workerThreads from "node:worker_threads";

/** What a unit test gets when it tries to start a process or a thread. */
export class ProcessStartedInUnitTier extends Error {
  override readonly name = "ProcessStartedInUnitTier";
  constructor(readonly what: string) {
    super(
      `${what}: a unit-tier test may not start a process or a thread. Drop the file's \`// @tier unit\` line ` +
        "(it then runs in the integration tier) or test the code without the process (CONTRIBUTING.md, Test tiers).",
    );
  }
}

/**
 * The threads allowed, part of this process's work, not another program: esbuild's compiler service (tsx
 * compiling a CommonJS TypeScript file) and the embedded store's writer (its group commits, off the event loop).
 */
const IN_PROCESS_THREADS = [
  /[\\/]node_modules[\\/]esbuild[\\/]lib[\\/]main\.js$/,
  /[\\/]services[\\/]runner[\\/]src[\\/]store[\\/]sqlite-writer-worker\.[jt]s\b/,
];

/** The real worker class, for the tooling thread (captured before {@link forbidProcesses} replaces it). */
const { Worker } = workerThreads;

const CHILD_PROCESS_FUNCTIONS = ["spawn", "spawnSync", "fork", "exec", "execSync", "execFile", "execFileSync"] as const;

function describeCall(name: string, args: readonly unknown[]): string {
  const [command, rest] = args;
  const argv = Array.isArray(rest) ? rest.map(String) : [];
  return `child_process.${name}(${[String(command), ...argv].join(" ").slice(0, 200)})`;
}

let forbidden = false;

/** Whether {@link forbidProcesses} ran in this process (the unit tier preloads it). */
export function processesForbidden(): boolean {
  return forbidden;
}

/** Replaces the process-starting functions with ones that throw; idempotent. */
export function forbidProcesses(): void {
  forbidden = true;
  const cp = childProcess as unknown as Record<string, unknown>;
  for (const name of CHILD_PROCESS_FUNCTIONS) {
    cp[name] = (...args: unknown[]) => {
      throw new ProcessStartedInUnitTier(describeCall(name, args));
    };
  }
  (cluster as unknown as Record<string, unknown>)["fork"] = () => {
    throw new ProcessStartedInUnitTier("cluster.fork()");
  };
  (workerThreads as unknown as Record<string, unknown>)["Worker"] = function GuardedWorker(...args: ConstructorParameters<typeof Worker>) {
    if (IN_PROCESS_THREADS.some((thread) => thread.test(String(args[0])))) return Reflect.construct(Worker, args);
    throw new ProcessStartedInUnitTier(`new worker_threads.Worker(${String(args[0])})`);
  };
  // Named ESM imports of built-ins (`import { spawn } from "node:child_process"`) see the new functions too.
  syncBuiltinESMExports();
}
