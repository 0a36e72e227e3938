// @tier unit
/**
 * How many executions a runner runs at once (`--max-concurrent`): 256 by
 * default. A burst beyond it is created and waits, unclaimed, for a slot;
 * each runs as soon as one frees.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { chainGates, gatedChain } from "../fixtures/flows/gated-chain.ts";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { eventually } from "../support/runner-env.ts";

describe("executions a runner runs at once", () => {
  after(() => stopTestServer());

  /** How many of `ids` this runner holds a claim on, and how many are still only created. */
  async function census(env: EngineEnv, ids: readonly string[]): Promise<{ running: number; created: number }> {
    const states = await Promise.all(ids.map(async (id) => (await env.store.getExecution(id))?.state));
    return {
      running: states.filter((state) => state?.status === "running" && state.claim !== undefined).length,
      created: states.filter((state) => state?.kind === "created").length,
    };
  }

  it("runs 256 at once by default; the rest wait, created, and each runs when a slot frees", async () => {
    const env = await createEngineEnv([gatedChain]);
    try {
      const labels = Array.from({ length: 260 }, (_, k) => `hold-limit-${k}`);
      const ids: string[] = [];
      for (const label of labels) ids.push(await env.start("gated_chain", { label }));
      await eventually(
        () => census(env, ids),
        ({ running }) => running === 256,
        20_000,
      );
      // Several polls later, still no more than the limit.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(await census(env, ids), { running: 256, created: 4 });
      for (const label of labels) chainGates.open(label);
      const outcomes = await Promise.all(ids.map((id) => env.settled(id)));
      assert.deepEqual(new Set(outcomes.map((outcome) => outcome.execution.state.status)), new Set(["completed"]));
    } finally {
      await env.teardown();
    }
  });
});
