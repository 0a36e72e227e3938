// @tier unit
/**
 * The unit tier's guard (test/support/no-processes.ts): in a unit test, every
 * way of starting a process or a thread throws, naming what it tried to
 * start. (test/architecture/unit-tier.test.ts checks that scripts/test.sh
 * applies it to unit files.)
 */
import assert from "node:assert/strict";
import childProcess, { spawnSync } from "node:child_process";
import cluster from "node:cluster";
import { before, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { forbidProcesses, ProcessStartedInUnitTier, processesForbidden } from "../support/no-processes.ts";

/** Whether the guard was there before this file's own code ran (scripts/test.sh preloads it for unit files). */
const preloaded = processesForbidden();

function throwsNaming(start: () => unknown, what: RegExp): void {
  assert.throws(start, (e: unknown) => e instanceof ProcessStartedInUnitTier && what.test(e.what) && /may not start a process/.test(e.message));
}

describe("the unit tier's guard against processes", () => {
  // The unit tier preloads the guard; installing it again is harmless, and lets this file run on its own.
  before(() => forbidProcesses());

  it("is preloaded by scripts/test.sh in the unit tier", { skip: process.env["KITARU_TEST_TIER"] === "unit" ? false : "not run by the unit tier" }, () => {
    assert.ok(preloaded, "scripts/test.sh ran this unit file without --import ./test/support/unit-tier-preload.ts");
  });

  it("makes child_process's functions throw, naming the command", () => {
    throwsNaming(() => childProcess.spawn("git", ["status"]), /^child_process\.spawn\(git status\)$/);
    throwsNaming(() => childProcess.spawnSync(process.execPath, ["-e", "0"]), /^child_process\.spawnSync\(.*node -e 0\)$/);
    throwsNaming(() => childProcess.fork("worker.js"), /^child_process\.fork\(worker\.js\)$/);
    throwsNaming(() => childProcess.exec("ls -l"), /^child_process\.exec\(ls -l\)$/);
    throwsNaming(() => childProcess.execSync("ls"), /^child_process\.execSync\(ls\)$/);
    throwsNaming(() => childProcess.execFile("npm", ["pack"]), /^child_process\.execFile\(npm pack\)$/);
    throwsNaming(() => childProcess.execFileSync("npx", ["kitaru"]), /^child_process\.execFileSync\(npx kitaru\)$/);
  });

  it("reaches named imports of node:child_process too", () => {
    throwsNaming(() => spawnSync("true"), /^child_process\.spawnSync\(true\)$/);
  });

  it("makes cluster workers and worker threads throw", () => {
    throwsNaming(() => cluster.fork(), /^cluster\.fork\(\)$/);
    throwsNaming(() => new Worker("data:text/javascript,0"), /^new worker_threads\.Worker\(data:text\/javascript,0\)$/);
  });

  it("tells the author what to do", () => {
    const error = new ProcessStartedInUnitTier("child_process.spawn(x)");
    assert.match(error.message, /Drop the file's `\/\/ @tier unit` line \(it then runs in the integration tier\)/);
  });
});
