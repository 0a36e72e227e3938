/**
 * docker-compose.yml without Docker: reads the file, checks the wiring between
 * its services, then runs the runner's and planner's `command` and
 * `environment` exactly as written, with only these substitutions:
 *
 *   - MONGODB_URI: the test server (test/support/database.ts) instead of mongo:27017,
 *     and KITARU_DATABASE: a fresh database name (tests never share data);
 *   - --host: 127.0.0.1 instead of 0.0.0.0, --port: a free port;
 *   - --runner-url: the runner started here instead of http://runner:50051;
 *   - `node`: this Node binary; the working directory: the repo root (the image's /app);
 *   - ${KITARU_TOKEN} and ${KITARU_SERVICE_TOKEN}: test tokens, interpolated as compose does.
 *
 * Both are then probed with their compose health check command
 * (scripts/grpc-health-check.mjs), and must stop cleanly on SIGTERM (what
 * `docker compose stop` sends).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { freshDatabaseName, stopTestServer, testServerUri } from "../support/database.ts";
import { composeServices, interpolate, parseComposeYaml, type ComposeService } from "./compose-file.ts";
import { KitaruAuthError, KitaruClient } from "../../clients/ts/src/index.ts";

/** The variables a user exports before `docker compose up` (docker-compose.yml requires them). */
const COMPOSE_VARIABLES = { KITARU_TOKEN: "compose-user-token-0123456789", KITARU_SERVICE_TOKEN: "compose-service-token-0123456789" };

/** A service's `environment`, interpolated with {@link COMPOSE_VARIABLES}. */
function environmentOf(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(name).environment).map(([k, v]) => [k, interpolate(v, COMPOSE_VARIABLES)]));
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HEALTH_CHECK = "scripts/grpc-health-check.mjs";
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

/** The environment a container would have: no KITARU_* or MONGODB_URI from this process. */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("KITARU_") && k !== "MONGODB_URI" && !k.startsWith("FERRETDB_")) env[k] = v;
  }
  return { ...env, ...extra };
}

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a compose `command` (["node", ...]) from the repo root. */
function startCommand(args: readonly string[], env: NodeJS.ProcessEnv): Started {
  assert.equal(args[0], "node", "compose commands start with node");
  const child = spawn(process.execPath, args.slice(1), { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
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
  const started = startCommand(args, containerEnv({}));
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
  const result = await Promise.race([
    started.exited,
    new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 15_000))),
  ]);
  clearTimeout(timer);
  if (result === undefined) {
    started.child.kill("SIGKILL");
    await started.exited;
  }
  return result;
}

describe("docker-compose.yml", () => {
  it("wires MongoDB 7, runner and planner with health-gated start order", () => {
    const mongo = service("mongo");
    assert.equal(mongo.image, "mongo:7");
    assert.deepEqual(mongo.healthcheck, ["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping')"]);

    const runner = service("runner");
    assert.equal(runner.build, ".");
    assert.equal(runner.environment.MONGODB_URI, "mongodb://mongo:27017");
    assert.deepEqual(runner.dependsOn, { mongo: "service_healthy" });
    assert.deepEqual(command("runner").slice(0, 3), ["node", "bin/kitaru.mjs", "runner"]);
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
    assert.deepEqual(command("planner").slice(0, 3), ["node", "bin/kitaru.mjs", "planner"]);
    assert.equal(flagValue(command("planner"), "--host"), "0.0.0.0");
    assert.equal(flagValue(command("planner"), "--runner-url"), `http://runner:${runnerPort}`);
    const plannerPort = flagValue(command("planner"), "--port");
    assert.deepEqual(planner.ports, [`127.0.0.1:${plannerPort}:${plannerPort}`]);
    assert.ok(planner.healthcheck!.includes(`127.0.0.1:${plannerPort}`), "the planner's health check probes its own port");
  });

  it("builds an image that holds everything the commands need, without dev dependencies", () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8");
    assert.match(dockerfile, /^FROM node:20-bookworm-slim$/m);
    assert.match(dockerfile, /^ && npm ci --omit=dev \\$/m);
    assert.match(dockerfile, /apt-get install -y --no-install-recommends python3 make g\+\+/, "what better-sqlite3 compiles with when no prebuilt binary matches");
    assert.match(dockerfile, /^WORKDIR \/app$/m);

    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const runtime of ["tsx", "@grpc/grpc-js"]) assert.ok(pkg.dependencies[runtime], `${runtime} must be a runtime dependency`);

    // Paths the commands use must not be excluded from the build context.
    const ignored = readFileSync(path.join(REPO_ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    /** The .dockerignore pattern that leaves `file` (or a folder above it) out of the image, if any. */
    const excludedBy = (file: string) => {
      const parts = file.split("/");
      return ignored.find((pattern) => parts.some((_, i) => parts.slice(0, i + 1).join("/") === pattern.replace(/\/$/, "")));
    };
    const needed = ["package.json", "package-lock.json", "tsconfig.json", "bin/kitaru.mjs", HEALTH_CHECK, flagValue(command("runner"), "--flows")];
    for (const file of needed) {
      assert.ok(existsSync(path.join(REPO_ROOT, file)), `${file} is missing`);
      const excluded = excludedBy(file);
      assert.equal(excluded, undefined, `.dockerignore excludes ${file} (pattern '${excluded}')`);
    }

    // `npm ci --omit=dev` leaves dev dependencies out: code in the image must not import them.
    const devOnly = Object.keys(pkg.devDependencies).filter((d) => !d.startsWith("@types/"));
    const importOf = new RegExp(String.raw`(?:from\s*|import\s*\(\s*|import\s+)["'](${devOnly.map((d) => d.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})(?:/[^"']*)?["']`);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(path.join(REPO_ROOT, dir))) {
        const rel = `${dir}/${entry}`;
        if (excludedBy(rel) !== undefined) continue; // not in the image (development tools)
        if (statSync(path.join(REPO_ROOT, rel)).isDirectory()) walk(rel);
        else if (/\.(ts|mts|mjs|js)$/.test(entry) && importOf.test(readFileSync(path.join(REPO_ROOT, rel), "utf8"))) offenders.push(rel);
      }
    };
    for (const dir of ["bin", "services", "clients/ts", "clients/cli", "scripts", path.dirname(flagValue(command("runner"), "--flows"))]) {
      if (existsSync(path.join(REPO_ROOT, dir))) walk(dir);
    }
    assert.deepEqual(offenders, [], `files in the image import dev-only packages (${devOnly.join(", ")})`);
  });

  describe("the runner and planner commands, run as written", () => {
    let runner: Started | undefined;
    let planner: Started | undefined;
    let runnerAddress = "";
    let plannerAddress = "";

    before(async () => {
      const uri = await testServerUri();
      const runnerPort = await freePort();
      runnerAddress = `127.0.0.1:${runnerPort}`;
      runner = startCommand(
        withFlags(command("runner"), { "--host": "127.0.0.1", "--port": String(runnerPort) }),
        containerEnv({ ...environmentOf("runner"), MONGODB_URI: uri, KITARU_DATABASE: freshDatabaseName() }),
      );
    });

    after(async () => {
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
      assert.ok(existsSync(path.join(REPO_ROOT, "services/planner/src/main.ts")), "services/planner/src/main.ts does not exist yet");
      const plannerPort = await freePort();
      plannerAddress = `127.0.0.1:${plannerPort}`;
      planner = startCommand(
        withFlags(command("planner"), { "--host": "127.0.0.1", "--port": String(plannerPort), "--runner-url": `http://${runnerAddress}` }),
        containerEnv({ ...environmentOf("planner") }),
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
