// @tier unit
/**
 * The runner's database monitor on a scripted ping: an outage keeps its
 * first reason, is reported again every `stillDownEveryMs` with the latest
 * ping's reason while it lasts, and ends with the first ping that answers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DatabaseMonitor, type DatabaseOutage } from "../../services/runner/src/server/database-monitor.ts";

/** A ping that fails with the next reason of `reasons`, then answers once they are used up. */
function scriptedPing(reasons: string[]): () => Promise<void> {
  return async () => {
    const reason = reasons.shift();
    if (reason !== undefined) throw new Error(reason);
  };
}

describe("database monitor", () => {
  it("reports a long outage again with the latest reason, then its end", async () => {
    const changes: (DatabaseOutage | undefined)[] = [];
    const stillDown: { first: string; latest: string }[] = [];
    const monitor = new DatabaseMonitor({
      ping: scriptedPing(["connection 47 closed", "timed out", "connect ECONNREFUSED"]),
      stillDownEveryMs: 20,
      onChange: (outage) => changes.push(outage),
      onStillDown: (outage, latest) => stillDown.push({ first: outage.reason, latest }),
    });

    assert.equal((await monitor.check())?.reason, "connection 47 closed");
    assert.deepEqual(stillDown, [], "not said again at once: the outage was just reported");
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal((await monitor.check())?.reason, "connection 47 closed", "the outage keeps its first reason");
    assert.deepEqual(stillDown, [{ first: "connection 47 closed", latest: "timed out" }]);
    await monitor.check(); // within 20 ms of the last report: not said again
    assert.equal(stillDown.length, 1);

    assert.equal(await monitor.check(), undefined, "the first ping that answers ends the outage");
    assert.deepEqual(
      changes.map((outage) => outage?.reason),
      ["connection 47 closed", undefined],
    );
    assert.equal(stillDown.length, 1, "nothing more said once it answers");
  });

  it("counts the time before a report from the start of each outage", async () => {
    const stillDown: string[] = [];
    let answer: string | undefined = "down";
    const monitor = new DatabaseMonitor({
      ping: async () => {
        if (answer !== undefined) throw new Error(answer);
      },
      stillDownEveryMs: 20,
      onChange: () => undefined,
      onStillDown: (_outage, latest) => stillDown.push(latest),
    });
    await monitor.check();
    answer = undefined;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(await monitor.check(), undefined);
    answer = "down again";
    assert.equal((await monitor.check())?.reason, "down again", "a new outage, with its own reason");
    await monitor.check();
    assert.deepEqual(stillDown, [], "a new outage is not reported as still down at once");
    await new Promise((resolve) => setTimeout(resolve, 30));
    await monitor.check();
    assert.deepEqual(stillDown, ["down again"]);
  });

  it("asks the store to reconnect with each report, one attempt at a time, and pings again at once when it did", async () => {
    let reachable = false;
    const attempts: string[] = [];
    const reconnected: string[] = [];
    let finishAttempt: (what: string | undefined) => void = () => undefined;
    const monitor = new DatabaseMonitor({
      ping: async () => {
        if (!reachable) throw new Error("connection 47 closed");
      },
      stillDownEveryMs: 20,
      onChange: () => undefined,
      reconnect: () => {
        attempts.push("attempt");
        return new Promise<string | undefined>((resolve) => (finishAttempt = resolve));
      },
      onReconnect: (what) => reconnected.push(what),
      intervalMs: 60_000, // the test pings by itself
    });
    monitor.start(); // its first ping finds the outage
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.ok(monitor.outage);
    await monitor.check();
    assert.equal(attempts.length, 1, "asked with the report");
    await new Promise((resolve) => setTimeout(resolve, 30));
    await monitor.check();
    assert.equal(attempts.length, 1, "not again while the first attempt runs");

    finishAttempt(undefined); // the database is down for a new client too: nothing done
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(reconnected, []);
    assert.ok(monitor.outage, "still down");

    await monitor.check();
    assert.equal(attempts.length, 2, "asked again with the next report");
    reachable = true; // what the reconnect fixed
    finishAttempt("reconnected the client");
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(reconnected, ["reconnected the client"]);
    assert.equal(monitor.outage, undefined, "pinged at once after the reconnect: the outage is over");
    monitor.stop();
  });
});
