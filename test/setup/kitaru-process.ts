/**
 * `node bin/kitaru.mjs ...` as a child process, for the set-up error tests:
 * what a user sees on the terminal (exit code, stdout, stderr) and how long
 * it took.
 *
 * @module
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** How a `kitaru` command ended. */
export interface KitaruRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** The environment without the variables that would point a command elsewhere than the test says. */
function cleanEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(base)) if (key.startsWith("KITARU_") || key === "MONGODB_URI") delete base[key];
  return { ...base, ...env };
}

/** Runs `kitaru <args>` to its end (killed after `timeoutMs`, default 60 s). */
export function runKitaru(args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, timeoutMs = 60_000): Promise<KitaruRun> {
  const started = Date.now();
  const child = spawn(process.execPath, ["bin/kitaru.mjs", ...args], { cwd: REPO_ROOT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started });
    }),
  );
}

/** A running `kitaru runner|planner`, stopped by {@link ServiceProcess.stop}. */
export interface ServiceProcess {
  /** "host:port" from its "serving ... on <scheme>://host:port" line. */
  readonly address: string;
  stderr(): string;
  /** Resolves once `pattern` appears on its stderr (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `kitaru <args>` (a service) and resolves once it serves; rejects with its stderr if it exits first. */
export async function startKitaruService(args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["bin/kitaru.mjs", ...args], { cwd: REPO_ROOT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const waiters = new Set<() => void>();
  const onText = (text: string) => {
    output += text;
    for (const check of waiters) check();
  };
  // Services log lines on stdout (info) and stderr (start-up, warnings): both count.
  child.stdout.setEncoding("utf8").on("data", onText);
  child.stderr.setEncoding("utf8").on("data", onText);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const check = () => {
        const match = pattern.exec(output);
        if (match) done(undefined, match[0]);
        else if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${output}`));
      };
      function done(error: Error | undefined, text = "") {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(text);
      }
      waiters.add(check);
      child.once("exit", check);
      check();
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  try {
    const line = await waitFor(/serving \S+ on (?:https?:\/\/)?(\S+)/);
    const address = /on (?:https?:\/\/)?(\S+)/.exec(line)?.[1] ?? "";
    return { address, stderr: () => output, waitFor, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A TCP server on a free loopback port; `onConnection` decides what it does with each connection (default: nothing). */
export async function tcpServer(onConnection: (socket: net.Socket) => void = () => undefined): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = await tcpServer();
  await server.close();
  return server.port;
}
