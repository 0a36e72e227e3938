/**
 * Runs the replay example end to end, as a user would: a runner serving
 * examples/replay/flows.ts and a planner, each as its own `kitaru` process,
 * runs replay_with_overrides.ts against them, then stops both. The runner
 * keeps its executions where its defaults say: the embedded store in
 * .kitaru/kitaru.db (or KITARU_DB_PATH), or MongoDB when MONGODB_URI is set.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const kitaru = path.join(root, "bin", "kitaru.mjs");

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts a `kitaru` service and resolves once it logs that it is serving. */
function startService(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [kitaru, ...args], { cwd: root, env, stdio: ["ignore", "inherit", "pipe"] });
    let log = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${log}`)), 60_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      process.stderr.write(text);
      log += text;
      if (/serving kitaru\./.test(log)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}:\n${log}`));
    });
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  child.removeAllListeners("exit");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function main(): Promise<void> {
  const runnerPort = await freePort();
  const plannerPort = await freePort();
  const env = process.env;
  let runner: ChildProcess | undefined;
  let planner: ChildProcess | undefined;
  try {
    runner = await startService("runner", ["runner", "--flows", "examples/replay/flows.ts", "--port", String(runnerPort)], env);
    planner = await startService("planner", ["planner", "--port", String(plannerPort), "--runner-url", `http://127.0.0.1:${runnerPort}`], env);
    process.env.KITARU_RUNNER_URL = `http://127.0.0.1:${runnerPort}`;
    process.env.KITARU_PLANNER_URL = `http://127.0.0.1:${plannerPort}`;
    const example = await import("./replay_with_overrides.ts");
    await example.main();
  } finally {
    await stop(planner);
    await stop(runner);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
