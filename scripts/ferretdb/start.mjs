// Starts a local MongoDB-wire server (FerretDB, SQLite backend) for development and tests.
//
//   import { startFerretDB } from './scripts/ferretdb/start.mjs';
//   const db = await startFerretDB();   // { uri, port, dataDir, stop }
//   ...
//   await db.stop();
//
// Run directly (`node scripts/ferretdb/start.mjs [--port=N] [--data-dir=DIR]`) to print
// `MONGODB_URI=<uri>` and keep the server running until SIGINT/SIGTERM.
//
// Plain Node ESM, no dependencies. The binary is built on first use by build.sh
// into ${KITARU_CACHE_DIR:-<repo>/.cache}/ferretdb/<version>/ferretdb.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const FERRETDB_VERSION = "v1.24.2";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "..", "..");
const BUILD_SCRIPT = path.join(HERE, "build.sh");
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_BYTES = 64 * 1024;

/** Path of the cached FerretDB binary (may not exist yet). */
export function ferretdbBinaryPath() {
  const cacheRoot = process.env.KITARU_CACHE_DIR ? path.resolve(process.env.KITARU_CACHE_DIR) : path.join(REPO_ROOT, ".cache");
  return path.join(cacheRoot, "ferretdb", FERRETDB_VERSION, "ferretdb");
}

/** Builds the binary if it is not cached yet (synchronous; first build takes minutes). */
export function ensureFerretDB() {
  const bin = ferretdbBinaryPath();
  if (existsSync(bin)) return bin;
  const res = spawnSync("bash", [BUILD_SCRIPT], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (res.error) throw new Error(`ferretdb build.sh failed to run: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`ferretdb build.sh exited with ${res.status ?? res.signal}`);
  }
  if (!existsSync(bin)) throw new Error(`ferretdb build.sh did not produce ${bin}`);
  return bin;
}

/** Environment without FERRETDB_* variables (FerretDB treats them as flags). */
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("FERRETDB_")) env[k] = v;
  }
  return env;
}

function tcpConnectOnce(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.setTimeout(1_000, () => done(false));
  });
}

/**
 * Starts FerretDB.
 * @param {{ dataDir?: string, port?: number, extraArgs?: string[] }} [opts]
 *   dataDir: SQLite data directory (created if missing, kept on stop).
 *            Default: a fresh temp dir, removed on stop.
 *   port:    TCP port on 127.0.0.1. Default 0 (pick a free port).
 *   extraArgs: more FerretDB flags, e.g. ['--test-enable-new-auth'] (a server that requires credentials).
 * @returns {Promise<{ uri: string, port: number, dataDir: string, pid: number, stop: () => Promise<void>, kill: (signal: NodeJS.Signals) => Promise<void> }>}
 */
export async function startFerretDB({ dataDir, port = 0, extraArgs = [] } = {}) {
  const bin = ensureFerretDB();

  const ownsDataDir = !dataDir;
  if (dataDir) {
    dataDir = path.resolve(dataDir);
    mkdirSync(dataDir, { recursive: true });
  } else {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "kitaru-ferretdb-"));
  }
  const sqliteUrl = pathToFileURL(dataDir).href.replace(/\/?$/, "/");

  const args = [
    "--handler=sqlite",
    `--sqlite-url=${sqliteUrl}`,
    `--listen-addr=127.0.0.1:${port}`,
    "--state-dir=-",
    "--debug-addr=-",
    "--telemetry=disable",
    // INFO is needed: the "Listening on TCP <host>:<port>..." line is logged at INFO.
    "--log-level=info",
    "--log-format=console",
    ...extraArgs,
  ];

  const child = spawn(bin, args, { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });

  let output = "";
  let exited = false;
  let exitInfo = "";
  const exitPromise = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });

  const onParentExit = () => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {}
    }
    if (ownsDataDir) {
      try {
        rmSync(dataDir, { recursive: true, force: true });
      } catch {}
    }
  };
  process.on("exit", onParentExit);

  let stopPromise;
  const stop = () => {
    stopPromise ??= (async () => {
      if (!exited) {
        child.ref(); // keep the event loop alive until the exit is observed
        child.kill("SIGTERM");
        let timer;
        await Promise.race([exitPromise, new Promise((r) => (timer = setTimeout(r, STOP_GRACE_MS)))]);
        clearTimeout(timer);
        if (!exited) {
          child.kill("SIGKILL");
          await exitPromise;
        }
      }
      process.removeListener("exit", onParentExit);
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    })();
    return stopPromise;
  };

  // Like a crash when `signal` is SIGKILL: no shutdown, the data dir is kept (restart with the same dataDir and port).
  const kill = async (signal) => {
    if (!exited) {
      child.ref();
      child.kill(signal);
    }
    await exitPromise;
  };

  let actualPort;
  try {
    actualPort = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`FerretDB did not report its port within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      const settle = (fn, v) => {
        clearTimeout(timer);
        fn(v);
      };
      const onData = (chunk) => {
        output += chunk;
        if (output.length > STDERR_TAIL_BYTES) output = output.slice(-STDERR_TAIL_BYTES);
        if (actualPort === undefined) {
          // e.g. `... INFO  clientconn/listener.go:107  Listening on TCP 127.0.0.1:36815...  {...}`
          const m = /Listening on TCP (?:\[[^\]]*\]|[^\s:]+):(\d+)/.exec(output);
          if (m) settle(resolve, Number(m[1]));
        }
      };
      // Keep draining both pipes for the life of the process, or it blocks once they fill.
      child.stdout.setEncoding("utf8").on("data", onData);
      child.stderr.setEncoding("utf8").on("data", onData);
      child.once("error", (err) => settle(reject, new Error(`failed to start FerretDB: ${err.message}`)));
      exitPromise.then(() => settle(reject, new Error(`FerretDB exited early (${exitInfo}):\n${output}`)));
    });

    // Wait until a TCP connection is accepted.
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`FerretDB exited early (${exitInfo}):\n${output}`);
      if (await tcpConnectOnce(actualPort)) break;
      if (Date.now() > deadline) {
        throw new Error(`FerretDB port ${actualPort} did not accept connections:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  // Don't keep the parent's event loop alive just because the server runs;
  // the 'exit' handler above kills it if stop() was never called.
  child.unref();
  child.stdout.unref?.();
  child.stderr.unref?.();

  return {
    uri: `mongodb://127.0.0.1:${actualPort}/?directConnection=true`,
    port: actualPort,
    dataDir,
    pid: child.pid,
    stop,
    kill,
  };
}

async function main() {
  // Optional: --port=N, --data-dir=DIR
  const opts = {};
  for (const arg of process.argv.slice(2)) {
    const m = /^--(port|data-dir)=(.*)$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg} (supported: --port=N, --data-dir=DIR)`);
    if (m[1] === "port") opts.port = Number(m[2]);
    else opts.dataDir = m[2];
  }
  const server = await startFerretDB(opts);
  process.stdout.write(`MONGODB_URI=${server.uri}\n`);
  process.stderr.write(`[ferretdb] data dir ${server.dataDir}; Ctrl+C to stop\n`);

  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const shutdown = async (sig) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[ferretdb] ${sig}: stopping...\n`);
    await server.stop();
    clearInterval(keepAlive);
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
