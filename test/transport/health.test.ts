import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "#gen/grpc/health/v1/health_pb.ts";
import { errorFromConnectError, KitaruNotFoundError } from "#contract/errors/index.ts";
import { startGrpcServer, type RunningGrpcServer } from "../../services/transport/src/grpc-host.ts";
import { createHealthService, HealthStatus } from "../../services/transport/src/health.ts";
import { ClientSessions } from "../support/grpc-clients.ts";

describe("grpc.health.v1.Health", () => {
  const health = new HealthStatus();
  let host: RunningGrpcServer;
  const sessions = new ClientSessions();
  let client: Client<typeof Health>;

  before(async () => {
    host = await startGrpcServer({ port: 0, services: [createHealthService(health)] });
    client = sessions.client(Health, host.address);
  });

  after(async () => {
    sessions.close();
    await host.shutdown();
  });

  it("reports the overall status as SERVING from the start", async () => {
    assert.equal((await client.check({ service: "" })).status, Serving.SERVING);
  });

  it("answers NOT_FOUND for a service never set", async () => {
    const e = await client.check({ service: "kitaru.nope" }).then(
      () => assert.fail("expected NOT_FOUND"),
      (err: unknown) => err,
    );
    assert.ok(e instanceof ConnectError);
    assert.equal(e.code, Code.NotFound);
    const error = errorFromConnectError(e);
    assert.ok(error instanceof KitaruNotFoundError);
    assert.equal(error.resourceName, "kitaru.nope");
  });

  it("streams changes to a watcher, starting with SERVICE_UNKNOWN for an unknown service", async () => {
    const controller = new AbortController();
    const seen: Serving[] = [];
    const watching = (async () => {
      try {
        for await (const r of client.watch({ service: "runner" }, { signal: controller.signal })) {
          seen.push(r.status);
          if (seen.length === 1) health.set("runner", "SERVING");
          if (seen.length === 2) health.set("runner", "NOT_SERVING");
          if (seen.length === 3) controller.abort();
        }
      } catch (e) {
        if (!(e instanceof ConnectError && e.code === Code.Canceled)) throw e;
      }
    })();
    await watching;
    assert.deepEqual(seen, [Serving.SERVICE_UNKNOWN, Serving.SERVING, Serving.NOT_SERVING]);
  });

  it("lists every known service", async () => {
    health.setAll("NOT_SERVING");
    const { statuses } = await client.list({});
    assert.deepEqual(Object.fromEntries(Object.entries(statuses).map(([name, r]) => [name, r.status])), {
      "": Serving.NOT_SERVING,
      runner: Serving.NOT_SERVING,
    });
  });
});
