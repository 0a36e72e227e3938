import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { errorFromConnectError, KitaruBackendError } from "../../clients/ts/src/errors/index.ts";
import { startPlanner } from "../../services/planner/src/planner-server.ts";

const quiet = { error: () => undefined, warn: () => undefined };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function replayThrough(runnerUrl: string, runnerTimeoutMs: number): Promise<{ error: ConnectError; elapsedMs: number }> {
  const planner = await startPlanner({ runnerUrl, runnerTimeoutMs, logger: quiet });
  const session = new Http2SessionManager(`http://${planner.address}`);
  const client = createClient(PlannerService, createGrpcTransport({ baseUrl: `http://${planner.address}`, sessionManager: session }));
  const started = Date.now();
  try {
    await client.replayExecution({ execId: "kr-aaaaaaaaaaaaaaaa", from: "research" });
    assert.fail("the replay should fail while the runner is unreachable");
  } catch (error) {
    assert.ok(error instanceof ConnectError);
    return { error, elapsedMs: Date.now() - started };
  } finally {
    session.abort();
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
