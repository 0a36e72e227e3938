import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { errorFromConnectError, KitaruBackendError } from "../../clients/ts/src/errors/index.ts";
import { startFerretDB } from "../../scripts/ferretdb/start.mjs";
import { FlowRegistry } from "../../services/runner/src/engine/flow-registry.ts";
import { startRunner } from "../../services/runner/src/runner-server.ts";
import { MongoExecutionStore } from "../../services/runner/src/store/mongo-execution-store.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { testScheduler } from "../support/runner-env.ts";

describe("a runner whose database goes away", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("answers UNAVAILABLE with backend details, not INTERNAL", async () => {
    // Its own server, so stopping it cannot disturb other tests.
    const database = await startFerretDB();
    cleanups.push(() => database.stop());
    const store = await MongoExecutionStore.connect({ uri: database.uri, database: "kitaru_down", serverSelectionTimeoutMS: 1000 });
    cleanups.push(() => store.close());
    const quiet = { error: () => undefined, warn: () => undefined };
    const runner = await startRunner({ store, flows: new FlowRegistry([contentPipeline]), scheduler: testScheduler, logger: quiet });
    cleanups.push(() => runner.stop());
    const session = new Http2SessionManager(`http://${runner.address}`);
    cleanups.push(() => session.abort());
    const client = createClient(RunnerService, createGrpcTransport({ baseUrl: `http://${runner.address}`, sessionManager: session }));

    const { execution } = await client.startExecution({ flowName: "content_pipeline", input: { topic: "db" } });
    await database.stop();

    try {
      await client.getExecution({ execId: execution!.execId });
      assert.fail("the read should fail while the database is down");
    } catch (error) {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.Unavailable, error.message);
      const typed = errorFromConnectError(error);
      assert.ok(typed instanceof KitaruBackendError);
      assert.equal(typed.metadata.method, "GetExecution");
    }
  });
});
