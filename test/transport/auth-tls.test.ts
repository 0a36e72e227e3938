import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { Code } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "#gen/grpc/health/v1/health_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { KitaruAuthError, KitaruClient, KitaruNotFoundError, KitaruPermissionError, KitaruUsageError } from "../../clients/ts/src/index.ts";
import type { RunningPlanner } from "../../services/planner/src/planner-server.ts";
import { FlowRegistry } from "../../services/runner/src/engine/flow-registry.ts";
import { startRunner, type RunningRunner } from "../../services/runner/src/runner-server.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { TokenRegistry } from "../../services/transport/src/auth.ts";
import { isLoopback, serverSecurity } from "../../services/transport/src/server-security.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { startSecuredServices, TEST_TOKENS, tlsFile, type SecuredServices } from "../support/secured-services.ts";
import { testScheduler } from "../support/runner-env.ts";
import { expectRpcError } from "../runner/rpc-helpers.ts";
import { grpcurlPath } from "../support/grpcurl.ts";
import { testLogger } from "../support/test-logger.ts";
import { ClientSessions } from "../support/grpc-clients.ts";

const execFileAsync = promisify(execFile);

const { teamA: TEAM_A, teamB: TEAM_B } = TEST_TOKENS;

describe("bearer tokens and TLS on both services", () => {
  let services: SecuredServices;
  let store: ExecutionStore;
  let runner: RunningRunner;
  let planner: RunningPlanner;
  const clients: KitaruClient[] = [];
  const client = (options: ConstructorParameters<typeof KitaruClient>[0]) => {
    const c = new KitaruClient(options);
    clients.push(c);
    return c;
  };

  before(async () => {
    services = await startSecuredServices([contentPipeline]);
    ({ store, runner, planner } = services);
  });
  after(async () => {
    for (const c of clients) await c.close();
    await services.teardown();
    await stopTestServer();
  });

  const urls = () => ({ runnerUrl: services.runnerUrl, plannerUrl: services.plannerUrl, caFile: tlsFile("ca.pem") });

  it("refuses a call without a token, or with an unknown one, with UNAUTHENTICATED and no hint of what exists", async () => {
    const none = client(urls());
    await assert.rejects(none.executions.list(), (e: unknown) => {
      assert.ok(e instanceof KitaruAuthError, String(e));
      assert.match(e.message, /requires a bearer token/);
      return true;
    });
    const wrong = client({ ...urls(), token: "not-a-token-at-all-000000" });
    await assert.rejects(wrong.executions.list(), (e: unknown) => {
      assert.ok(e instanceof KitaruAuthError);
      assert.equal(e.message, "The bearer token is not valid for this service.");
      assert.doesNotMatch(JSON.stringify(e.metadata), /team|namespace/);
      return true;
    });
    await assert.rejects(wrong.executions.replay("kr-aaaaaaaaaaaaaaaa", { from: "research" }), KitaruAuthError);
  });

  it("serves a valid token over TLS, and the planner reaches the runner with its own service token", async () => {
    const a = client({ ...urls(), token: TEAM_A });
    const started = await a.flows.run("content_pipeline", { topic: "secured" });
    await a.executions.handle(started.execId).wait();
    const replayed = await a.executions.replay(started.execId, { from: "publish" });
    assert.equal(replayed.originalExecId, started.execId);
  });

  it("keeps namespaces apart: another team's execution is not found, not listed, not replayable, and request IDs do not collide", async () => {
    const a = client({ ...urls(), token: TEAM_A });
    const b = client({ ...urls(), token: TEAM_B });
    const mine = await a.flows.run("content_pipeline", { topic: "team a only" }, { requestId: "same-request" });
    await a.executions.handle(mine.execId).wait();
    await assert.rejects(b.executions.get(mine.execId), KitaruNotFoundError);
    await assert.rejects(b.executions.cancel(mine.execId), KitaruNotFoundError);
    await assert.rejects(b.executions.retry(mine.execId), KitaruNotFoundError);
    await assert.rejects(b.executions.logs(mine.execId), KitaruNotFoundError);
    await assert.rejects(b.executions.replay(mine.execId, { from: "publish" }), KitaruNotFoundError);
    await assert.rejects(b.executions.planReplay(mine.execId, { from: "publish" }), KitaruNotFoundError);
    assert.ok(!(await b.executions.list()).some((e) => e.execId === mine.execId), "not in the other team's list");
    assert.ok((await a.executions.list()).some((e) => e.execId === mine.execId));
    // The same request ID in the other namespace is another request.
    const theirs = await b.flows.run("content_pipeline", { topic: "team b" }, { requestId: "same-request" });
    assert.notEqual(theirs.execId, mine.execId);
  });

  it("serves grpcurl as docs/security.md shows it: TLS with -cacert and the token in a header", async () => {
    const grpcurl = await grpcurlPath();
    const a = client({ ...urls(), token: TEAM_A });
    const started = await a.flows.run("content_pipeline", { topic: "grpcurl over TLS" });
    const call = (...args: string[]) =>
      execFileAsync(grpcurl, ["-cacert", tlsFile("ca.pem"), ...args], { timeout: 60_000 }).then(
        ({ stdout }) => ({ ok: true, out: stdout }),
        (error: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${error.stdout ?? ""}${error.stderr ?? ""}` }),
      );
    const auth = ["-H", `authorization: Bearer ${TEAM_A}`];
    const listed = await call(...auth, runner.address, "list");
    assert.ok(listed.ok && listed.out.includes("kitaru.runner.v1.RunnerService"), listed.out);
    const got = await call(...auth, "-d", JSON.stringify({ execId: started.execId }), runner.address, "kitaru.runner.v1.RunnerService/GetExecution");
    assert.ok(got.ok && got.out.includes(started.execId), got.out);
    // Reflection too requires the token; only health answers without one.
    const anonymous = await call(runner.address, "list");
    assert.ok(!anonymous.ok && /Unauthenticated/i.test(anonymous.out), anonymous.out);
    // The runner's internal service is the planner's: a namespace token may not call it.
    const internal = await call(
      ...auth,
      "-d",
      JSON.stringify({ execId: started.execId }),
      runner.address,
      "kitaru.runner.v1.RunnerInternalService/GetCallGraph",
    );
    assert.ok(!internal.ok && /PermissionDenied/i.test(internal.out) && /internal to kitaru's services/.test(internal.out), internal.out);
    const asService = await call(
      "-H",
      `authorization: Bearer ${TEST_TOKENS.service}`,
      "-H",
      "x-kitaru-namespace: team-a",
      "-d",
      JSON.stringify({ execId: started.execId }),
      runner.address,
      "kitaru.runner.v1.RunnerInternalService/GetCallGraph",
    );
    assert.ok(asService.ok && asService.out.includes("write_draft"), asService.out);
  });

  it("answers health checks without a token", async () => {
    const sessions = new ClientSessions();
    try {
      const health = sessions.client(Health, runner.address, { ca: readFileSync(tlsFile("ca.pem"), "utf8") });
      assert.equal((await health.check({ service: "" })).status, Serving.SERVING);
    } finally {
      sessions.close();
    }
  });

  it("refuses a namespace token acting for another namespace with PERMISSION_DENIED", async () => {
    const sessions = new ClientSessions();
    try {
      const raw = sessions.client(RunnerService, runner.address, { ca: readFileSync(tlsFile("ca.pem"), "utf8") });
      await expectRpcError(
        raw.listExecutions({}, { headers: { authorization: `Bearer ${TEAM_A}`, "x-kitaru-namespace": "team-b" } }),
        Code.PermissionDenied,
        KitaruPermissionError,
      );
    } finally {
      sessions.close();
    }
  });

  it("a plaintext client cannot talk to the TLS port", async () => {
    const plain = client({ runnerUrl: `http://${runner.address}`, plannerUrl: `http://${planner.address}`, token: TEAM_A });
    await assert.rejects(plain.executions.replay("kr-aaaaaaaaaaaaaaaa", { from: "x" }), (e: unknown) => e instanceof Error);
    await assert.rejects(plain.executions.list(), (e: unknown) => e instanceof Error);
  });

  it("requires client certificates with --tls-client-ca (mTLS)", async () => {
    const mtls = serverSecurity({ tlsCert: tlsFile("server.pem"), tlsKey: tlsFile("server.key"), tlsClientCa: tlsFile("ca.pem") }, "127.0.0.1");
    const strict = await startRunner({
      store,
      flows: new FlowRegistry([contentPipeline]),
      scheduler: testScheduler,
      credentials: mtls.credentials,
      ...testLogger(),
    });
    try {
      const without = client({ runnerUrl: `https://${strict.address}`, caFile: tlsFile("ca.pem") });
      await assert.rejects(without.executions.list(), (e: unknown) => e instanceof Error);
      const withCert = client({
        runnerUrl: `https://${strict.address}`,
        caFile: tlsFile("ca.pem"),
        clientCertFile: tlsFile("client.pem"),
        clientKeyFile: tlsFile("client.key"),
      });
      assert.ok(Array.isArray(await withCert.executions.list({ limit: 1 })));
    } finally {
      await strict.stop();
    }
  });
});

describe("serverSecurity", () => {
  it("refuses to listen beyond loopback without tokens, unless told a proxy authenticates", () => {
    assert.throws(
      () => serverSecurity({}, "0.0.0.0"),
      (e: unknown) => e instanceof KitaruUsageError && /requires bearer tokens: set KITARU_TOKENS/.test(e.message),
    );
    assert.equal(serverSecurity({ allowUnauthenticated: "true" }, "0.0.0.0").tokens, undefined);
    assert.match(serverSecurity({}, "127.0.0.1").notes.join("\n"), /authentication is OFF/);
    assert.equal(serverSecurity({ tokens: `team-a=${TEAM_A}` }, "0.0.0.0").tokens?.size, 1);
  });

  it("names the setting of a bad token list, never the token", () => {
    assert.throws(() => TokenRegistry.parse("team-a=short", "KITARU_TOKENS"), /KITARU_TOKENS, entry 1: a token must have at least 16 characters/);
    assert.throws(() => TokenRegistry.parse("team-a", "KITARU_TOKENS"), /entry 1: expected `namespace=token`/);
    assert.throws(() => TokenRegistry.parse("Team-A=0123456789abcdef0", "KITARU_TOKENS"), /entry 1: the namespace must be lowercase/);
    assert.throws(
      () => TokenRegistry.parse("BAD=0123456789abcdef0", "f"),
      (e: unknown) => e instanceof Error && !e.message.includes("0123456789abcdef0"),
    );
    assert.equal(TokenRegistry.parse("# comment\nteam-a 0123456789abcdef0\n*=0123456789abcdefX", "file").size, 2);
    assert.throws(() => serverSecurity({ tlsCert: tlsFile("server.pem") }, "127.0.0.1"), /needs both/);
  });

  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) assert.ok(isLoopback(host), host);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "example.com"]) assert.ok(!isLoopback(host), host);
  });
});
