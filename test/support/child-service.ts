/**
 * A `kitaru runner` or `kitaru planner` in a child process (`node
 * bin/kitaru.mjs <service> ...`), for tests that kill services, restart them,
 * or watch their memory from outside.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The preload that lets a test ask a child for its memory after a full GC (see {@link ChildService.memory}). */
export const MEMORY_PROBE = fileURLToPath(new URL("./memory-probe.mjs", import.meta.url));

/** A child's memory as `process.memoryUsage()` reports it right after two full collections, in bytes. */
export interface ChildMemory {
  readonly rss: number;
  readonly heapUsed: number;
  /** The V8 heap's committed size. */
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** A service process. */
export interface ChildService {
  readonly process: ChildProcess;
  /** "host:port" it serves on (no scheme). */
  readonly address: string;
  /** Everything it wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resolves with how the process ended (already or later). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True while the process runs. */
  alive(): boolean;
  /**
   * Its memory after a full GC; only for children started with
   * `memoryProbe: true` (SIGUSR2 asks the preload, which answers on stderr).
   */
  memory(): Promise<ChildMemory>;
}

/** Options of {@link startChildService}. */
export interface ChildServiceOptions {
  /** Extra environment variables (undefined removes one) for this child only. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Preload {@link MEMORY_PROBE} with `--expose-gc`, so {@link ChildService.memory} works. */
  readonly memoryProbe?: boolean;
  /** The checkout whose `bin/kitaru.mjs` to run (a bench's A/B against another commit, its baseline); default this one. */
  readonly root?: string;
}

/**
 * Starts `node bin/kitaru.mjs <service> <args...>` and resolves once it logs
 * "serving <service name> on <scheme>://<address>".
 */
export async function startChildService(service: "runner" | "planner", args: readonly string[], options: ChildServiceOptions = {}): Promise<ChildService> {
  const nodeArgs = options.memoryProbe ? ["--expose-gc", "--import", MEMORY_PROBE] : [];
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const child = spawn(process.execPath, [...nodeArgs, "bin/kitaru.mjs", service, ...args], {
    cwd: options.root ?? repoRoot,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const listeners = new Set<() => void>();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => {
    stderr += text;
    if (stderr.length > 4 * 1024 * 1024) stderr = stderr.slice(-1024 * 1024); // a chatty child must not grow the test's memory
    for (const listener of listeners) listener();
  });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the ${service} did not report its address within 60 s`)), 60_000);
    function fail(error: Error) {
      clearTimeout(timer);
      listeners.delete(check);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n--- ${service} stderr ---\n${stderr}`));
    }
    function check() {
      // "... serving kitaru.runner.v1.RunnerService on http://127.0.0.1:41234 (flows: ...)"
      const match = /serving \S+ on (?:https?:\/\/)?(\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        listeners.delete(check);
        resolve(match[1]);
      }
    }
    listeners.add(check);
    child.once("exit", (code, signal) => fail(new Error(`the ${service} exited early (code ${code}, signal ${signal})`)));
  });
  let probes = 0;
  return {
    process: child,
    address,
    exited,
    alive,
    stderr: () => stderr,
    async kill(signal) {
      if (alive()) child.kill(signal);
      await exited;
    },
    async memory() {
      if (!options.memoryProbe) throw new Error("start the child with memoryProbe: true");
      probes += 1;
      const tag = `probe-${probes}`;
      const pattern = new RegExp(`kitaru-memory-probe ${tag} rss=(\\d+) heapUsed=(\\d+) external=(\\d+) arrayBuffers=(\\d+) heapTotal=(\\d+)`);
      return await new Promise<ChildMemory>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no memory report from pid ${child.pid} within 10 s`)), 10_000);
        function done(error?: Error, memory?: ChildMemory) {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(memory!);
        }
        function check() {
          const match = pattern.exec(stderr);
          if (match)
            done(undefined, {
              rss: Number(match[1]),
              heapUsed: Number(match[2]),
              external: Number(match[3]),
              arrayBuffers: Number(match[4]),
              heapTotal: Number(match[5]),
            });
        }
        listeners.add(check);
        // The tag travels in a file-free way: the preload numbers its answers, as the test numbers its asks.
        child.kill("SIGUSR2");
      });
    },
  };
}
