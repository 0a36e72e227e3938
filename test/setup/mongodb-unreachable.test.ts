/**
 * Issue 11: `kitaru runner --mongodb-uri <uri>` whose server cannot be used
 * exits 1 within a bounded time (server selection: 5 s) with one line
 * naming the URI's host (never its password), the cause and
 * `--mongodb-uri / MONGODB_URI`, and that without it the embedded store is
 * used.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startFerretDB, type LocalFerretDB } from "../../scripts/ferretdb/start.mjs";
import { StoreConnectError } from "../../services/runner/src/store/mongo-connect-error.ts";
import { MongoExecutionStore } from "../../services/runner/src/store/mongo-execution-store.ts";
import { createRunnerEnv, type RunnerEnv } from "../support/runner-env.ts";
import { closedPort, runKitaru, tcpServer } from "./kitaru-process.ts";

/**
 * Server selection (5 s) plus starting Node and loading the flows, with room
 * for a busy machine (the connect itself is timed below, in process); well
 * under the driver's 30 s default connect timeout.
 */
const BOUND_MS = 25_000;
const PASSWORD = "s3cret-pw-never-shown";
const FIX = "; or unset --mongodb-uri / MONGODB_URI to keep executions in the embedded SQLite store (--db-path).\n";

async function runnerOn(uri: string) {
  const run = await runKitaru(["runner", "--flows", "examples/replay/flows.ts", "--port", "0"], { MONGODB_URI: uri });
  assert.equal(run.code, 1, run.stderr);
  assert.ok(run.elapsedMs < BOUND_MS, `took ${run.elapsedMs} ms`);
  assert.ok(!run.stderr.includes(PASSWORD), `the password is shown: ${run.stderr}`);
  assert.ok(run.stderr.endsWith(FIX), run.stderr);
  assert.equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
  return run.stderr;
}

describe("kitaru runner on a MongoDB URI it cannot use", { concurrency: 4 }, () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it("nothing listens on the port: connection refused", async () => {
    const port = await closedPort();
    const stderr = await runnerOn(`mongodb://kitaru:${PASSWORD}@127.0.0.1:${port}/`);
    assert.equal(
      stderr,
      `kitaru runner: cannot connect to MongoDB at 127.0.0.1:${port} (--mongodb-uri / MONGODB_URI): connection refused: nothing listens there. ` +
        `Start MongoDB, or correct the host and port in the URI${FIX}`,
    );
  });

  it("a server that closes every connection: not the MongoDB protocol", async () => {
    const server = await tcpServer((socket) => socket.destroy());
    closers.push(server.close);
    const stderr = await runnerOn(`mongodb://127.0.0.1:${server.port}`);
    assert.match(
      stderr,
      new RegExp(
        `^kitaru runner: cannot connect to MongoDB at 127\\.0\\.0\\.1:${server.port} \\(--mongodb-uri / MONGODB_URI\\): the server closed the connection: it does not speak the MongoDB protocol\\. Correct the port in the URI`,
      ),
    );
  });

  it("a kitaru runner's own gRPC port: not the MongoDB protocol", async () => {
    const env: RunnerEnv = await createRunnerEnv([]);
    closers.push(() => env.teardown());
    const stderr = await runnerOn(`mongodb://${env.runner.address}`);
    assert.match(
      stderr,
      /: the server closed the connection: it does not speak the MongoDB protocol\. Correct the port in the URI: it points at another service \(a kitaru runner or planner\?\)/,
    );
  });

  it("a server that accepts and never answers: no answer within 5 s", async () => {
    const server = await tcpServer();
    closers.push(server.close);
    const stderr = await runnerOn(`mongodb://127.0.0.1:${server.port}`);
    assert.match(stderr, /: no answer within 5 s\. Check that the server is up and reachable from here/);
  });

  it("a host name that does not resolve", async () => {
    const stderr = await runnerOn(`mongodb://kitaru:${PASSWORD}@no-such-host.invalid:27017/`);
    assert.match(
      stderr,
      /^kitaru runner: cannot connect to MongoDB at no-such-host\.invalid:27017 \(--mongodb-uri \/ MONGODB_URI\): the host name does not resolve \(.*no-such-host\.invalid\)\. Correct the host in the URI/,
    );
  });

  it("a malformed URI", async () => {
    const stderr = await runnerOn(`mongodb://kitaru:${PASSWORD}@db.example:port/`);
    assert.match(stderr, /: the URI is invalid \(.*\)\. Write it as mongodb:\/\/\[user:password@\]host\[:port\]\//);
  });

  describe("a server that requires credentials", () => {
    let secured: LocalFerretDB;
    before(async () => {
      secured = await startFerretDB({ extraArgs: ["--test-enable-new-auth"] });
    });
    after(() => secured?.stop());

    it("refuses a wrong password: authentication failed", async () => {
      const uri = secured.uri.replace("mongodb://", `mongodb://kitaru:${PASSWORD}@`);
      const stderr = await runnerOn(uri);
      assert.match(
        stderr,
        new RegExp(
          `^kitaru runner: cannot connect to MongoDB at 127\\.0\\.0\\.1:${secured.port} \\(--mongodb-uri / MONGODB_URI\\): authentication failed \\(.+\\)\\. Check the user, the password and authSource in the URI`,
        ),
      );
    });

    it("refuses a URI without credentials: authentication failed", async () => {
      const stderr = await runnerOn(secured.uri);
      assert.match(stderr, /: authentication failed \(.*requires authentication\)\. Check the user, the password and authSource in the URI/);
    });
  });
});

describe("MongoExecutionStore.connect to a server it cannot use", { concurrency: true }, () => {
  /** The default server selection timeout (5 s), and what the driver adds to it. */
  async function timedConnect(uri: string): Promise<{ error: unknown; elapsedMs: number }> {
    const started = Date.now();
    const error = await MongoExecutionStore.connect({ uri, database: "kitaru_never" }).then(
      async (store) => {
        await store.close();
        assert.fail("connected");
      },
      (e: unknown) => e,
    );
    return { error, elapsedMs: Date.now() - started };
  }

  it("gives up on a closed port after the 5 s server selection timeout, not the driver's 30 s", async () => {
    const { error, elapsedMs } = await timedConnect(`mongodb://127.0.0.1:${await closedPort()}`);
    assert.ok(error instanceof StoreConnectError && error.problem === "refused", String(error));
    assert.ok(elapsedMs >= 4500 && elapsedMs < 8000, `took ${elapsedMs} ms`);
  });

  it("gives up on a server that never answers after the 5 s server selection timeout", async () => {
    const server = await tcpServer();
    try {
      const { error, elapsedMs } = await timedConnect(`mongodb://127.0.0.1:${server.port}`);
      assert.ok(error instanceof StoreConnectError && error.problem === "timeout", String(error));
      assert.ok(elapsedMs >= 4500 && elapsedMs < 8000, `took ${elapsedMs} ms`);
    } finally {
      await server.close();
    }
  });
});
