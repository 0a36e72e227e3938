import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT } from "./kitaru-process.ts";

// Issue 16: `kill -TERM` of the `npx kitaru runner` a user (or a process
// manager) started must stop the runner, not leave it orphaned on its port
// serving old code. npm runs the bin through `sh -c`: npm → sh → node.

/** How long a stopped service may take to free its port. */
const DRAIN_BOUND_MS = 30_000;

/** True while something accepts connections on `port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

describe("stopping a service started with npx", { timeout: 180_000 }, () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-signals-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const service of ["runner", "planner"] as const) {
    it(`SIGTERM to \`npx kitaru ${service}\` frees its port within the drain time`, async () => {
      const args =
        service === "runner" ? ["--flows", "examples/replay/flows.ts", "--db-path", path.join(scratch, "k.db")] : ["--runner-url", "http://127.0.0.1:9"]; // the planner starts without its runner (it warns)
      const env: NodeJS.ProcessEnv = { ...process.env, npm_config_cache: path.join(scratch, "npm-cache"), npm_config_update_notifier: "false" };
      for (const key of Object.keys(env)) if (key.startsWith("KITARU_")) delete env[key];
      const npx = spawn("npx", ["--no-install", "kitaru", service, ...args, "--port", "0"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      npx.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
      npx.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
      const serving = /serving \S+ on http:\/\/127\.0\.0\.1:(\d+)/;
      await until(async () => serving.test(output), 90_000).catch(() => assert.fail(`no serving line:\n${output}`));
      const port = Number(serving.exec(output)?.[1]);
      assert.equal(await listening(port), true);

      const npmExited = new Promise<void>((resolve) => npx.once("exit", () => resolve()));
      npx.kill("SIGTERM");
      await npmExited;
      // The drain time: calls get 5 s to finish, then the server closes; the rest is slack for a loaded machine.
      // Without the fix the port never frees: the service lives on, orphaned.
      await until(async () => !(await listening(port)), DRAIN_BOUND_MS).catch(() =>
        assert.fail(`port ${port} still open ${DRAIN_BOUND_MS / 1000} s after SIGTERM to npx: the ${service} was left orphaned\n${output}`),
      );
      await until(async () => /shutting down/.test(output), 5_000).catch(() => assert.fail(`no shutdown line:\n${output}`));
    });
  }
});
