/**
 * Metadata kept inside records is read by the value codec (ValueCodec.decodeInline)
 * like every stored value: metadata whose stored text is no longer JSON is
 * reported as lost data (INTERNAL, "Stored data is missing or unreadable"),
 * where the gRPC layer's own JSON.parse used to throw a SyntaxError that
 * reached the caller as a bare "internal error".
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import Database from "better-sqlite3";
import { errorFromConnectError, KitaruInternalError } from "#contract/errors/index.ts";
import { ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";
import { chattyFlow } from "../fixtures/flows/observability.ts";
import { stopTestServer, testStoreKind } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";

describe("stored metadata that became unreadable", { skip: testStoreKind() !== "sqlite" && "rewrites a row of the SQLite file" }, () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([chattyFlow]);
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  it("is reported as lost data, not as a bare internal error", async () => {
    const { execution } = await env.client.startExecution({ flowName: "chatty", input: { label: "m1" } });
    const execId = execution!.execId;
    const done = await eventually(
      async () => (await env.client.getExecution({ execId, view: ExecutionView.FULL })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      20_000,
    );
    assert.deepEqual(done.checkpoints.find((c) => c.invocationId === "talk")?.metadata, { items: 3, label: "m1" });

    // The call's metadata text, cut short behind the store's back.
    const raw = new Database((env.store as SqliteExecutionStore).path);
    try {
      const changed = raw
        .prepare("UPDATE calls SET record = json_set(record, '$.metadata', '{\"items\": 3,') WHERE exec_id = ? AND invocation_id = 'talk'")
        .run(execId).changes;
      assert.equal(changed, 1);
    } finally {
      raw.close();
    }

    // Lost data is INTERNAL by design (server/database-errors.ts: retrying will not bring it back), with a message that says so.
    const failure = await env.client.getExecution({ execId, view: ExecutionView.FULL }).then(
      () => assert.fail("GetExecution succeeded"),
      (e: unknown) => e,
    );
    assert.ok(failure instanceof ConnectError && failure.code === Code.Internal, String(failure));
    const error = errorFromConnectError(failure);
    assert.ok(error instanceof KitaruInternalError);
    assert.match(error.message, /^Stored data is missing or unreadable: The stored text of an inline value is not JSON/);
  });
});
