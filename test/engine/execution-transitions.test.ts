// @tier unit
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ExecutionEvent } from "../../services/runner/src/engine/execution-events.ts";
import { ExecutionEventBus } from "../../services/runner/src/engine/execution-events.ts";
import { ExecutionTransitions } from "../../services/runner/src/engine/execution-transitions.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";

describe("ExecutionTransitions.create", () => {
  let database: TestDatabase;
  let store: ExecutionStore;
  before(async () => {
    database = await testDatabase();
    store = await database.open();
  });
  after(async () => {
    await store.close();
    database.remove();
    await stopTestServer();
  });

  it("returns the execution as a read of the store returns it (without reading it back), and announces its first state", async () => {
    const bus = new ExecutionEventBus();
    const events: ExecutionEvent[] = [];
    bus.subscribe("exec-created-1", (event) => events.push(event));
    const transitions = new ExecutionTransitions(store, bus);
    const execution = {
      execId: "exec-created-1",
      namespace: "default",
      flowName: "chain",
      input: { kind: "inline", json: '{"calls":3}' },
      createdAt: new Date("2026-11-27T17:00:00.123Z"),
      requestId: undefined,
      originalExecId: "exec-source",
      replay: {
        sourceExecId: "exec-source",
        from: "step_3",
        roots: ["step_3"],
        overrideKeys: [],
        reuse: [
          { invocationId: "step", callId: "call-1" },
          { invocationId: "step_2", callId: "call-2" },
        ],
        overrides: [],
      },
      requestFingerprint: undefined,
    } as const;
    const created = await transitions.create(execution);
    assert.deepStrictEqual(created, await store.getExecution(execution.execId));
    assert.equal(created?.state.kind, "created");
    assert.deepEqual(
      events.map((e) => e.kind),
      ["status_changed"],
    );
    assert.equal(await transitions.create(execution), undefined, "a second insert of the same ID is a repeat");
  });
});
