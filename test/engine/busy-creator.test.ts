/**
 * Several runners on one store: a runner asked to start an execution while
 * all its slots are taken creates it unclaimed, and the other runners leave
 * it to that runner for a while (its callers watch it there, where its
 * events arrive at once), then take it if that runner is still busy.
 */
import assert from "node:assert/strict";
import { after, afterEach, describe, it } from "node:test";
import { chainGates, gatedChain } from "../fixtures/flows/gated-chain.ts";
import { freshDatabaseName, stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { eventually } from "../support/runner-env.ts";

describe("a new execution a busy runner created", () => {
  let db: TestDatabase;
  const envs: EngineEnv[] = [];
  afterEach(async () => {
    await Promise.all(envs.splice(0).map((env) => env.teardown()));
    db?.remove();
  });
  after(() => stopTestServer());

  /** Runner A with one slot and runner B with plenty, on one fresh store. */
  async function twoRunners(): Promise<{ a: EngineEnv; b: EngineEnv }> {
    db = await testDatabase(freshDatabaseName("kitaru_busy_creator"));
    const a = await createEngineEnv([gatedChain], { db, runnerId: "runner-a", maxConcurrent: 1 });
    const b = await createEngineEnv([gatedChain], { db, runnerId: "runner-b" });
    envs.push(a, b);
    return { a, b };
  }

  const startedOn = (env: EngineEnv, execId: string) => env.info.some((line) => line.startsWith(`execution ${execId} `) && line.endsWith(" started"));
  const claimedBy = async (env: EngineEnv, execId: string) => (await env.store.getExecution(execId))?.state.claim?.runnerId;

  it("is left to that runner while it frees a slot, and run there", async () => {
    const { a, b } = await twoRunners();
    const holding = await a.start("gated_chain", { label: "hold-a1" });
    await eventually(
      () => claimedBy(a, holding),
      (runner) => runner === "runner-a",
      5000,
    );
    const queued = await a.start("gated_chain", { label: "free-a2" });
    // Runner B polls every 50 ms: for a second it finds the new execution claimable and leaves it alone.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal((await a.store.getExecution(queued))?.state.kind, "created");
    chainGates.open("hold-a1");
    const done = await a.settled(queued);
    assert.equal(done.execution.state.status, "completed");
    assert.ok(startedOn(a, queued), `runner A did not run it: ${a.info.join("; ")}`);
    assert.ok(!startedOn(b, queued), "runner B took it while runner A was to free a slot");
  });

  it("is taken by another runner once that runner stays busy past the preference", async () => {
    const { a, b } = await twoRunners();
    const holding = await a.start("gated_chain", { label: "hold-a3" });
    await eventually(
      () => claimedBy(a, holding),
      (runner) => runner === "runner-a",
      5000,
    );
    const started = Date.now();
    const queued = await a.start("gated_chain", { label: "free-a4" });
    const done = await b.settled(queued);
    assert.equal(done.execution.state.status, "completed");
    assert.ok(Date.now() - started >= 1900, `taken after ${Date.now() - started} ms, before the 2 s preference ended`);
    assert.ok(startedOn(b, queued) && !startedOn(a, queued));
    chainGates.open("hold-a3");
    await a.settled(holding);
  });
});
