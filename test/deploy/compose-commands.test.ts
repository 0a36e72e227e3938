/**
 * docker-compose.yml without Docker: reads the file, checks the wiring between
 * its services and what the Dockerfile builds, then runs the runner's,
 * planner's and console's `command` and `environment` exactly as written, in a project laid
 * out as the image's /app (the npm package installed with zod, the example
 * flows beside it: test/support/installed-package.ts), with only these
 * substitutions:
 *
 *   - MONGODB_URI: the test server (test/support/database.ts) instead of mongo:27017,
 *     and KITARU_DATABASE: a fresh database name (tests never share data);
 *   - --host: 127.0.0.1 instead of 0.0.0.0, --port: a free port;
 *   - --runner-url: the runner started here instead of http://runner:50051,
 *     and --planner-url: the planner started here instead of http://planner:50052;
 *   - `node`: this Node binary; the working directory: that project (the image's /app);
 *   - ${KITARU_TOKEN} and ${KITARU_SERVICE_TOKEN}: test tokens, interpolated as compose does.
 *
 * Both are then probed with their compose health check command
 * (scripts/grpc-health-check.mjs), and must stop cleanly on SIGTERM (what
 * `docker compose stop` sends).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { freshDatabaseName, stopTestServer, testServerUri } from "../support/database.ts";
import { composeServices, interpolate, parseComposeYaml, type ComposeService } from "./compose-file.ts";
import { KitaruAuthError, KitaruClient } from "../../clients/ts/src/index.ts";
import { installPackage, PACKAGE_TIMEOUT_MS, userProject } from "../support/installed-package.ts";

/** The variables a user exports before `docker compose up` (docker-compose.yml requires them). */
const COMPOSE_VARIABLES = { KITARU_TOKEN: "compose-user-token-0123456789", KITARU_SERVICE_TOKEN: "compose-service-token-0123456789" };

/** A service's `environment`, interpolated with {@link COMPOSE_VARIABLES}. */
function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment).map(([k, v]) => [k, interpolate(v, COMPOSE_VARIABLES)]));
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HEALTH_CHECK = "node_modules/kitaru/scripts/grpc-health-check.mjs";
const KITARU_BIN = "node_modules/kitaru/bin/kitaru.mjs";

let appDir: Promise<string> | undefined;
/** A project laid out as the image's /app: the package installed with zod, and the example flows. */
function app(): Promise<string> {
  appDir ??= userProject().then((dir) => {
    cpSync(path.join(REPO_ROOT, "examples/replay"), path.join(dir, "examples/replay"), { recursive: true });
    return dir;
  });
  return appDir;
}
const STARTUP_TIMEOUT_MS = 60_000;

const compose = composeServices(parseComposeYaml(readFileSync(path.join(REPO_ROOT, "docker-compose.yml"), "utf8")));

function service(name: string): ComposeService {
  const s = compose[name];
  assert.ok(s, `docker-compose.yml has no service '${name}'`);
  return s;
}

function command(name: string): string[] {
  const c = service(name).command;
  assert.ok(c && c.length > 0, `service '${name}' has no command`);
  return c;
}

/** The value following `flag` in a command. */
function flagValue(args: readonly string[], flag: string): string {
  const i = args.indexOf(flag);
  assert.ok(i >= 0 && i + 1 < args.length, `command has no ${flag} <value>: ${args.join(" ")}`);
  return args[i + 1]!;
}

/** `args` with the value after each flag in `values` replaced. */
function withFlags(args: readonly string[], values: Record<string, string>): string[] {
  const out = [...args];
  for (const [flag, value] of Object.entries(values)) {
    const i = out.indexOf(flag);
    assert.ok(i >= 0 && i + 1 < out.length, `command has no ${flag} <value>`);
    out[i + 1] = value;
  }
  return out;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment a container would have: no KITARU_*, MONGODB_URI or NODE_OPTIONS from this process. */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("KITARU_") && k !== "MONGODB_URI" && !k.startsWith("FERRETDB_") && k !== "NODE_OPTIONS") env[k] = v;
  }
  return { ...env, ...extra };
}

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a compose `command` (["node", ...]) in `cwd` (the image's /app). */
function startCommand(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Started {
  assert.equal(args[0], "node", "compose commands start with node");
  const child = spawn(process.execPath, args.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (output += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Runs a command to completion (async: never blocks the event loop). */
async function runCommand(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const started = startCommand(args, containerEnv({}), await app());
  const { code } = await started.exited;
  await new Promise((r) => setImmediate(r));
  return { code, output: started.output() };
}

/** The service's compose health check, pointed at `address`. */
function healthCheck(name: string, address: string): string[] {
  const test = service(name).healthcheck;
  assert.ok(test, `service '${name}' has no healthcheck`);
  assert.equal(test[0], "CMD", `healthcheck of '${name}' uses the exec form ["CMD", ...]`);
  assert.ok(test.includes(HEALTH_CHECK), `healthcheck of '${name}' runs ${HEALTH_CHECK}`);
  return test.slice(1).map((arg) => (/^[\w.-]+:\d+$/.test(arg) ? address : arg));
}

/** Polls the health check until it passes; fails early if the service exits. */
async function waitHealthy(name: string, started: Started, address: string): Promise<string> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = "";
  for (;;) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      assert.fail(`${name} exited (${started.child.exitCode ?? started.child.signalCode}) before it was healthy:\n${started.output()}`);
    }
    const { code, output } = await runCommand(healthCheck(name, address));
    if (code === 0) return output;
    last = output;
    if (Date.now() > deadline) assert.fail(`${name} not healthy after ${STARTUP_TIMEOUT_MS} ms; last check: ${last}\nservice output:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function stop(started: Started | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (!started) return undefined;
  if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([started.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 15_000)))]);
  clearTimeout(timer);
  if (result === undefined) {
    started.child.kill("SIGKILL");
    await started.exited;
  }
  return result;
}

describe("docker-compose.yml", () => {
  // The package is packed and installed once, with its own time limit ("timed out after N s" if it hits it).
  before(() => installPackage(), { timeout: 2 * PACKAGE_TIMEOUT_MS + 300_000 });

  it("wires MongoDB 7, runner and planner with health-gated start order", () => {
    const mongo = service("mongo");
    assert.equal(mongo.image, "mongo:7");
    assert.deepEqual(mongo.healthcheck, ["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping')"]);

    const runner = service("runner");
    assert.equal(runner.build, ".");
    assert.equal(runner.environment.MONGODB_URI, "mongodb://mongo:27017");
    assert.deepEqual(runner.dependsOn, { mongo: "service_healthy" });
    assert.deepEqual(command("runner").slice(0, 3), ["node", KITARU_BIN, "runner"]);
    assert.equal(flagValue(command("runner"), "--host"), "0.0.0.0");
    const runnerPort = flagValue(command("runner"), "--port");
    assert.deepEqual(runner.ports, [`127.0.0.1:${runnerPort}:${runnerPort}`], "published on the host's loopback only");
    // Listening on 0.0.0.0 inside the container needs tokens: both come from variables compose requires.
    assert.throws(() => interpolate(runner.environment.KITARU_TOKENS!, {}), /required variable KITARU_TOKEN is missing/);
    assert.equal(environmentOf("runner").KITARU_TOKENS, `default=${COMPOSE_VARIABLES.KITARU_TOKEN},*=${COMPOSE_VARIABLES.KITARU_SERVICE_TOKEN}`);
    assert.equal(environmentOf("planner").KITARU_RUNNER_TOKEN, COMPOSE_VARIABLES.KITARU_SERVICE_TOKEN);
    assert.deepEqual(healthCheck("runner", "X"), ["node", HEALTH_CHECK, "X"]);
    assert.ok(runner.healthcheck!.includes(`127.0.0.1:${runnerPort}`), "the runner's health check probes its own port");

    const planner = service("planner");
    assert.equal(planner.build, ".");
    assert.deepEqual(planner.dependsOn, { runner: "service_healthy" });
    assert.deepEqual(command("planner").slice(0, 3), ["node", KITARU_BIN, "planner"]);
    assert.equal(flagValue(command("planner"), "--host"), "0.0.0.0");
    assert.equal(flagValue(command("planner"), "--runner-url"), `http://runner:${runnerPort}`);
    const plannerPort = flagValue(command("planner"), "--port");
    assert.deepEqual(planner.ports, [`127.0.0.1:${plannerPort}:${plannerPort}`]);
    assert.ok(planner.healthcheck!.includes(`127.0.0.1:${plannerPort}`), "the planner's health check probes its own port");

    const consoleService = service("console");
    assert.equal(consoleService.build, ".");
    assert.deepEqual(consoleService.dependsOn, { planner: "service_healthy" });
    assert.deepEqual(command("console").slice(0, 3), ["node", KITARU_BIN, "console"]);
    assert.equal(flagValue(command("console"), "--runner-url"), `http://runner:${runnerPort}`);
    assert.equal(flagValue(command("console"), "--planner-url"), `http://planner:${plannerPort}`);
    const consolePort = flagValue(command("console"), "--port");
    assert.deepEqual(consoleService.ports, [`127.0.0.1:${consolePort}:${consolePort}`], "the console is published on the host's loopback only");
    // The console acts with the user's token (it has no login of its own).
    assert.throws(() => interpolate(consoleService.environment.KITARU_TOKEN!, {}), /required variable KITARU_TOKEN is missing/);
    assert.ok(
      consoleService.healthcheck!.some((arg) => arg.includes(`http://127.0.0.1:${consolePort}/`)),
      "the console's health check fetches its page",
    );
  });

  it("builds the image from the npm package, installed with zod as a user installs it, with everything the commands name", async () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8");
    assert.match(dockerfile, /^FROM node:20-bookworm-slim AS package$/m, "a first stage packs the package");
    assert.match(dockerfile, /^RUN npm ci --no-audit --no-fund$/m);
    assert.match(dockerfile, /npm pack --pack-destination \/package$/m);
    assert.match(dockerfile, /^FROM node:20-bookworm-slim$/m, "the runtime stage starts clean");
    assert.match(dockerfile, /npm install --omit=dev \/tmp\/package\/kitaru-\*\.tgz "zod@\^4"/, "the package and zod, no dev dependencies");
    assert.match(
      dockerfile,
      /apt-get install -y --no-install-recommends python3 make g\+\+/,
      "what better-sqlite3 compiles with when no prebuilt binary matches",
    );
    assert.match(dockerfile, /^COPY examples\/replay\/ \.\/examples\/replay\/$/m);
    assert.match(dockerfile, /^WORKDIR \/app$/m);
    assert.match(dockerfile, /^USER node$/m);

    // What the commands and health checks name exists in a project laid out as /app.
    const dir = await app();
    const needed = [KITARU_BIN, HEALTH_CHECK, flagValue(command("runner"), "--flows")];
    for (const file of needed) assert.ok(existsSync(path.join(dir, file)), `${file} is missing from the image's /app`);
    // The build context keeps what npm pack needs.
    const ignored = readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const kept of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "scripts",
      "services",
      "proto",
      "clients/ts",
      "clients/cli",
      "clients/console",
      "bin",
      "examples",
    ]) {
      assert.ok(!ignored.includes(kept), `.dockerignore must not leave out ${kept}`);
    }
  });

  describe("the runner, planner and console commands, run as written", () => {
    let runner: Started | undefined;
    let planner: Started | undefined;
    let consoleProcess: Started | undefined;
    let runnerAddress = "";
    let plannerAddress = "";

    before(async () => {
      const uri = await testServerUri();
      const runnerPort = await freePort();
      runnerAddress = `127.0.0.1:${runnerPort}`;
      runner = startCommand(
        withFlags(command("runner"), { "--host": "127.0.0.1", "--port": String(runnerPort) }),
        containerEnv({ ...environmentOf("runner"), MONGODB_URI: uri, KITARU_DATABASE: freshDatabaseName() }),
        await app(),
      );
    });

    after(async () => {
      await stop(consoleProcess);
      await stop(planner);
      await stop(runner);
      await stopTestServer();
    });

    it("runner: serves, and its compose health check reports SERVING", async () => {
      const out = await waitHealthy("runner", runner!, runnerAddress);
      assert.match(out, /SERVING/);
      // The probe fails for what is not served, so a broken service cannot look healthy.
      const unknown = await runCommand(["node", HEALTH_CHECK, runnerAddress, "--service", "kitaru.nope"]);
      assert.equal(unknown.code, 1, unknown.output);
      const named = await runCommand(["node", HEALTH_CHECK, runnerAddress, "--service", "kitaru.runner.v1.RunnerService"]);
      assert.equal(named.code, 0, named.output);
    });

    it("planner: serves against that runner, and its compose health check reports SERVING", async () => {
      const plannerPort = await freePort();
      plannerAddress = `127.0.0.1:${plannerPort}`;
      planner = startCommand(
        withFlags(command("planner"), { "--host": "127.0.0.1", "--port": String(plannerPort), "--runner-url": `http://${runnerAddress}` }),
        containerEnv({ ...environmentOf("planner") }),
        await app(),
      );
      const out = await waitHealthy("planner", planner, plannerAddress);
      assert.match(out, /SERVING/);
    });

    it("both require the user's token, and the planner reaches the runner with its service token", async () => {
      const urls = { runnerUrl: `http://${runnerAddress}`, plannerUrl: `http://${plannerAddress}` };
      const anonymous = new KitaruClient(urls);
      const user = new KitaruClient({ ...urls, token: COMPOSE_VARIABLES.KITARU_TOKEN });
      try {
        await assert.rejects(anonymous.executions.list({ limit: 1 }), KitaruAuthError);
        await assert.rejects(anonymous.executions.planReplay("kr-aaaaaaaaaaaaaaaa", { from: "x" }), KitaruAuthError);
        const started = await user.flows.run("content_pipeline", { topic: "compose" });
        await user.executions.handle(started.execId).wait();
        const replayed = await user.executions.replay(started.execId, { from: "publish" });
        assert.equal(replayed.originalExecId, started.execId);
      } finally {
        await anonymous.close();
        await user.close();
      }
    });

    it("console: serves the page, and bridges the browser's calls to runner and planner with the user's token", async () => {
      const consolePort = await freePort();
      const address = `127.0.0.1:${consolePort}`;
      consoleProcess = startCommand(
        withFlags(command("console"), {
          "--host": "127.0.0.1",
          "--port": String(consolePort),
          "--runner-url": `http://${runnerAddress}`,
          "--planner-url": `http://${plannerAddress}`,
        }),
        containerEnv({ ...environmentOf("console") }),
        await app(),
      );
      // Its compose health check, pointed at this port.
      const check = service("console")
        .healthcheck!.slice(1)
        .map((arg) => arg.replace(/127\.0\.0\.1:\d+/, address));
      const deadline = Date.now() + STARTUP_TIMEOUT_MS;
      for (;;) {
        if (consoleProcess.child.exitCode !== null) assert.fail(`console exited before it was healthy:\n${consoleProcess.output()}`);
        if ((await runCommand(check)).code === 0) break;
        if (Date.now() > deadline) assert.fail(`console not healthy after ${STARTUP_TIMEOUT_MS} ms:\n${consoleProcess.output()}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const page = await fetch(`http://${address}/`);
      assert.match(await page.text(), /<script type="module" src="\/console.js">/);
      assert.equal((await fetch(`http://${address}/console.js`)).status, 200, "the page's bundle is in the installed package");
      // A Connect-protocol call as the page makes it: the runner answers, so the console sent the user's token.
      const listed = await fetch(`http://${address}/kitaru.runner.v1.RunnerService/ListExecutions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ flowName: "content_pipeline" }),
      });
      assert.equal(listed.status, 200, await listed.clone().text());
      assert.ok(((await listed.json()) as { executions?: unknown[] }).executions?.length, "the execution run above is listed");
      const planned = await fetch(`http://${address}/kitaru.planner.v1.PlannerService/PlanReplay`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ execId: "kr-aaaaaaaaaaaaaaaa", from: "publish" }),
      });
      assert.equal(((await planned.json()) as { code?: string }).code, "not_found", "the planner answered, as the user");
      const exit = await stop(consoleProcess);
      assert.deepEqual(exit, { code: 0, signal: null }, `console output:\n${consoleProcess.output()}`);
    });

    it("both stop cleanly on SIGTERM (docker compose stop)", async () => {
      const plannerExit = await stop(planner);
      const runnerExit = await stop(runner);
      assert.deepEqual(plannerExit, { code: 0, signal: null }, `planner output:\n${planner?.output()}`);
      assert.deepEqual(runnerExit, { code: 0, signal: null }, `runner output:\n${runner?.output()}`);
      const down = await runCommand(["node", HEALTH_CHECK, runnerAddress, "--timeout-ms", "1000"]);
      assert.equal(down.code, 1, "the health check fails once the runner is gone");
    });
  });
});
