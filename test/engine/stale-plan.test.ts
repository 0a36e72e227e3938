// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KitaruStateError } from "#contract/errors/index.ts";
import type { JsonValue } from "#contract/json-value.ts";
import { approvalFlow } from "../fixtures/flows/approval.ts";
import { stopTestServer } from "../support/database.ts";
import { createEngineEnv, type EngineEnv } from "../support/engine-env.ts";

// A plan carries the version of the source it was made from (CallGraph.version):
// the runner starts it without reading the source's calls again, and refuses it
// when the source changed in between.

describe("a replay plan made from an older state of its source", () => {
  let env: EngineEnv;
  before(async () => {
    env = await createEngineEnv([approvalFlow]);
  });
  after(async () => {
    await env.teardown();
    await stopTestServer();
  });

  it("is refused once the source has moved on, and works when planned again", async () => {
    const source = await env.start("approval", { topic: "versions" });
    await env.settled(source, ["waiting"]);
    const planned = await env.plan(source, { from: "draft" });
    assert.ok((planned.sourceVersion ?? 0) > 0, "the plan carries the source's version");

    // The source moves on: the wait is answered and it completes.
    await env.engine.resolveWait(env.ref(source), "approve", { approved: true, reviewer: "ana" });
    assert.equal((await env.settled(source)).execution.state.status, "completed");

    const start = () =>
      env.engine.startReplay(
        {
          sourceExecId: planned.sourceExecId,
          flowName: planned.flowName,
          from: planned.from,
          roots: planned.roots.map((c) => c.invocationId),
          reuse: planned.reuse.map((c) => ({ invocationId: c.invocationId, callId: c.callId })),
          overrides: planned.overrides.map((o) => ({ key: o.key, invocationId: o.target.invocationId, value: o.value as JsonValue })),
          input: planned.input,
          sourceVersion: planned.sourceVersion ?? 0,
        },
        { namespace: "default" },
      );
    await assert.rejects(start(), (error: unknown) => {
      assert.ok(error instanceof KitaruStateError, String(error));
      assert.match(error.message, /changed since the replay was planned .* Plan the replay again\./);
      return true;
    });
    // Planned again, from the source as it is now: created.
    const replayed = await env.replay(source, { from: "draft" });
    assert.equal((await env.settled(replayed, ["waiting"])).execution.state.status, "waiting");
  });
});
