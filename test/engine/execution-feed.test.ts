// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KitaruBackendError } from "#contract/errors/index.ts";
import { ExecutionFeed } from "../../services/runner/src/engine/execution-feed.ts";
import type { ExecutionEvent } from "../../services/runner/src/engine/execution-events.ts";
import { FlowRegistry } from "../../services/runner/src/engine/flow-registry.ts";
import { defaultSchedulerOptions } from "../../services/runner/src/engine/scheduler.ts";
import { ExecutionCommands } from "../../services/runner/src/engine/execution-commands.ts";
import { RunnerEngine } from "../../services/runner/src/engine/runner-engine.ts";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";
import { testScheduler } from "../support/runner-env.ts";
import { approvalFlow } from "../fixtures/flows/approval.ts";
import { chainGates, gatedChain } from "../fixtures/flows/gated-chain.ts";

describe("one change feed per runner process", () => {
  let env: EngineEnv;
  before(async () => {
    env = await createEngineEnv([approvalFlow, gatedChain]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("serves 100 watchers of one wait with one reader, and each sees the answer at once", async () => {
    const execId = await env.start("approval", { topic: "many watchers" });
    await env.settled(execId, ["waiting"]);
    const controller = new AbortController();
    const seen: Promise<number>[] = [];
    for (let i = 0; i < 100; i++) {
      seen.push(
        (async () => {
          for await (const { event } of env.engine.watch(env.ref(execId), { followWaits: true, signal: controller.signal })) {
            if (event.kind === "wait_resolved") return Date.now();
          }
          return Number.NaN;
        })(),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(env.engine.watchedExecutions, 1, "100 watchers, one reader");
    const answered = Date.now();
    await env.engine.resolveWait(env.ref(execId), "approve", { approved: true, reviewer: "ana" });
    const times = await Promise.all(seen);
    controller.abort();
    const slowest = Math.max(...times) - answered;
    assert.ok(slowest < 1000, `the slowest watcher saw the answer after ${slowest} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(env.engine.watchedExecutions, 0, "the reader stops with the last watcher");
  });

  it("closes the stream of a watcher that falls behind its buffer, with KitaruBackendError", async () => {
    // A buffer of one: after the join, at least two events come whatever the run did before it (the gated
    // call's end and the completed status); how many more depends on how far the run got, which a start
    // claimed at its insert makes vary.
    const feed = new ExecutionFeed(env.engine.context, new ExecutionCommands(env.engine.context), { bufferLimit: 1 });
    const execId = await env.start("gated_chain", { label: "hold-slow" });
    const stream = feed.watch(env.ref(execId), { signal: AbortSignal.timeout(20_000) });
    await stream.next(); // joined; now it stops reading
    chainGates.open("hold-slow");
    await env.settled(execId, ["completed"]);
    await assert.rejects(
      (async () => {
        for (;;) if ((await stream.next()).done) return;
      })(),
      (e: unknown) => e instanceof KitaruBackendError && /fell more than 1 events behind/.test(e.message),
    );
    assert.equal(feed.watchedExecutions, 0);
  });

  it("sees what another runner does through its one poll of the execution", async () => {
    // A second engine on the same store that does not run the flow: all it learns comes from the store.
    const observer = new RunnerEngine({
      store: env.store,
      flows: new FlowRegistry([]),
      scheduler: { ...defaultSchedulerOptions, ...testScheduler, runnerId: "observer" },
      onError: () => undefined,
    });
    const execId = await env.start("gated_chain", { label: "hold-remote" });
    const events: ExecutionEvent[] = [];
    const watching = (async () => {
      for await (const { event } of observer.watch(env.ref(execId), { followWaits: false, signal: AbortSignal.timeout(20_000) })) events.push(event);
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    chainGates.open("hold-remote");
    await watching;
    assert.deepEqual(
      events.filter((e) => e.kind === "call_completed").map((e) => (e.kind === "call_completed" ? e.call.invocationId : "")),
      ["first", "second", "slow"],
    );
    assert.equal(events.at(-1)?.kind, "status_changed");
  });
});
