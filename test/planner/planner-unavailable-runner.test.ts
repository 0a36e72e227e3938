import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { CheckpointCallStatus, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { serveRunnerInternal } from "../client/fake-services.ts";
import { errorFromConnectError, KitaruBackendError } from "#contract/errors/index.ts";
import { startPlanner } from "../../services/planner/src/planner-server.ts";
import { testLogger } from "../support/test-logger.ts";
import { ClientSessions } from "../support/grpc-clients.ts";

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function replayThrough(runnerUrl: string, runnerTimeoutMs: number): Promise<{ error: ConnectError; elapsedMs: number }> {
  const planner = await startPlanner({ runnerUrl, runnerTimeoutMs, ...testLogger() });
  const clients = new ClientSessions();
  const client = clients.client(PlannerService, planner.address);
  const started = Date.now();
  try {
    await client.replayExecution({ execId: "kr-aaaaaaaaaaaaaaaa", from: "research" });
    assert.fail("the replay should fail while the runner is unreachable");
  } catch (error) {
    assert.ok(error instanceof ConnectError);
    return { error, elapsedMs: Date.now() - started };
  } finally {
    clients.close();
    await planner.stop();
  }
}

describe("planner when the runner is unavailable", () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket)); // accepts, never answers
  after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });

  it("answers UNAVAILABLE with backend details when nothing listens on the runner's port", async () => {
    const { error, elapsedMs } = await replayThrough(`http://127.0.0.1:${await freePort()}`, 5000);
    assert.equal(error.code, Code.Unavailable);
    const typed = errorFromConnectError(error);
    assert.ok(typed instanceof KitaruBackendError, `got ${typed.name}`);
    assert.equal(typed.reason, "KITARU_BACKEND_ERROR");
    assert.ok(elapsedMs < 4000, `took ${elapsedMs} ms`);
  });

  it("answers UNAVAILABLE within its runner timeout when the runner hangs", async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    const { error, elapsedMs } = await replayThrough(`http://127.0.0.1:${port}`, 700);
    assert.equal(error.code, Code.Unavailable);
    assert.ok(errorFromConnectError(error) instanceof KitaruBackendError);
    assert.ok(elapsedMs >= 600 && elapsedMs < 5000, `took ${elapsedMs} ms`);
  });
});

describe("planner when the runner answers StartReplay late", () => {
  const graph = {
    execId: "kr-aaaaaaaaaaaaaaaa",
    flowName: "content_pipeline",
    status: ExecutionStatus.COMPLETED,
    input: { topic: "t" },
    lineage: [
      { callId: "c1", invocationId: "research", name: "research", sequence: 1n, status: CheckpointCallStatus.COMPLETED },
      { callId: "c2", invocationId: "write_draft", name: "write_draft", sequence: 2n, dataDependencies: ["research"], status: CheckpointCallStatus.COMPLETED },
    ],
  };

  /** A runner that creates the execution at once but answers the first StartReplay (or, while `mode.every`, each one) after `lateMs`. */
  async function lateRunner(lateMs: number, mode = { every: false }) {
    const requestIds: string[] = [];
    const created = new Set<string>();
    const runner = await serveRunnerInternal({
      getCallGraph: async () => ({ graph }),
      startReplay: async (request) => {
        requestIds.push(request.requestId);
        const first = !created.has(request.requestId);
        created.add(request.requestId);
        if (first || mode.every) await new Promise((resolve) => setTimeout(resolve, lateMs));
        return { execution: { execId: `kr-from-${request.requestId}`, originalExecId: graph.execId } };
      },
    });
    return { runner, requestIds, created };
  }

  it("asks again with the same request ID and answers with the one execution", async () => {
    const { runner, requestIds, created } = await lateRunner(1500);
    const planner = await startPlanner({ runnerUrl: runner.url, runnerTimeoutMs: 400, ...testLogger() });
    const clients = new ClientSessions();
    const client = clients.client(PlannerService, planner.address);
    try {
      const { execution } = await client.replayExecution({ execId: graph.execId, from: "write_draft" });
      assert.ok(requestIds.length >= 2, `the planner asked ${requestIds.length} time(s)`);
      assert.equal(new Set(requestIds).size, 1, "every attempt carried the same request ID");
      assert.equal(created.size, 1);
      assert.equal(execution?.execId, `kr-from-${requestIds[0]}`);
    } finally {
      clients.close();
      await planner.stop();
      await runner.close();
    }
  });

  it("when the caller's deadline runs out first, says the replay may exist and names the request ID to repeat", async () => {
    const mode = { every: true };
    const { runner, requestIds } = await lateRunner(1500, mode);
    const planner = await startPlanner({ runnerUrl: runner.url, runnerTimeoutMs: 300, ...testLogger() });
    const clients = new ClientSessions();
    const client = clients.client(PlannerService, planner.address);
    try {
      const error = await client.replayExecution({ execId: graph.execId, from: "write_draft", requestId: "caller-7" }, { timeoutMs: 900 }).then(
        () => assert.fail("expected a failure"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConnectError);
      const typed = errorFromConnectError(error);
      if (error.code === Code.Unavailable) {
        assert.ok(typed instanceof KitaruBackendError);
        assert.match(typed.message, /may have been created: repeat the request with request ID 'caller-7'/);
        assert.equal(typed.metadata["requestId"], "caller-7");
      } else {
        // The caller's own deadline fired first: it knows the request ID it sent.
        assert.equal(error.code, Code.DeadlineExceeded);
      }
      assert.deepEqual([...new Set(requestIds)], ["caller-7"]);
      // Once the runner answers in time again, repeating with the same ID gets the execution the first attempt created.
      mode.every = false;
      const { execution } = await client.replayExecution({ execId: graph.execId, from: "write_draft", requestId: "caller-7" }, { timeoutMs: 10_000 });
      assert.equal(execution?.execId, "kr-from-caller-7");
    } finally {
      clients.close();
      await planner.stop();
      await runner.close();
    }
  });
});
