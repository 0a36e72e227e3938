/**
 * Issue 11: a service started on a port that is already taken exits 1 with
 * one line naming the port, the host and the setting that changes it, not
 * grpc-js's "No address added out of total 1 resolved".
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runKitaru, tcpServer } from "./kitaru-process.ts";

describe("a service whose port is already in use", () => {
  let taken: Awaited<ReturnType<typeof tcpServer>>;
  before(async () => {
    taken = await tcpServer();
  });
  after(() => taken.close());

  it("runner: exits 1 naming the port and --port / KITARU_RUNNER_PORT, before opening its store", async () => {
    const run = await runKitaru([
      "runner",
      "--flows",
      "examples/replay/flows.ts",
      "--port",
      String(taken.port),
      "--db-path",
      "/nonexistent-dir/never-opened.db",
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr,
      `kitaru runner: port ${taken.port} on 127.0.0.1 is already in use (another kitaru runner?): stop it or choose another with --port / KITARU_RUNNER_PORT\n`,
    );
  });

  it("planner: exits 1 naming the port and KITARU_PLANNER_PORT (set by the variable)", async () => {
    const run = await runKitaru(["planner"], { KITARU_PLANNER_PORT: String(taken.port) });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr,
      `kitaru planner: port ${taken.port} on 127.0.0.1 is already in use (another kitaru planner?): stop it or choose another with --port / KITARU_PLANNER_PORT\n`,
    );
  });

  it("planner: a host that is no address of this machine names --host / KITARU_PLANNER_HOST", async () => {
    const run = await runKitaru(["planner", "--host", "192.0.2.1", "--port", "0", "--allow-unauthenticated"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^kitaru planner: 192\.0\.2\.1 is not an address of this machine: .* with --host \/ KITARU_PLANNER_HOST\n$/);
  });
});
