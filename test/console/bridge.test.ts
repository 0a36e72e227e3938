/**
 * The console's bridge without a browser: Connect-protocol calls (what the
 * page sends) reach TLS services that require tokens, with the console's own
 * token, in that token's namespace; errors keep their kitaru class and
 * details; the runner's internal service is not served; requests another
 * site could make through a browser (foreign Host, foreign Origin) are refused.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { errorFromConnectError, KitaruAuthError, KitaruNotFoundError } from "#contract/errors/index.ts";
import { type RunningConsole, startConsole } from "../../services/console/src/console-server.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { eventually } from "../support/runner-env.ts";
import { startSecuredServices, type SecuredServices, TEST_TOKENS, tlsFile } from "../support/secured-services.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The page's clients, over HTTP/1.1 and the Connect protocol as in a browser. */
function pageClients(console: RunningConsole) {
  const transport = createConnectTransport({ baseUrl: console.url.replace(/\/$/, ""), httpVersion: "1.1" });
  return { runner: createClient(RunnerService, transport), planner: createClient(PlannerService, transport) };
}

/** The kitaru error a call fails with. */
async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    return errorFromConnectError(error as never);
  }
  assert.fail("the call succeeded");
}

/** A raw GET with the given headers: status and body. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("kitaru console's bridge", () => {
  let services: SecuredServices;
  let teamA: RunningConsole;
  let anonymous: RunningConsole;

  before(async () => {
    services = await startSecuredServices([contentPipeline]);
    const common = { host: "127.0.0.1", port: 0, runnerUrl: services.runnerUrl, plannerUrl: services.plannerUrl, caFile: tlsFile("ca.pem"), timeoutMs: 10_000 };
    teamA = await startConsole({ ...common, token: TEST_TOKENS.teamA });
    anonymous = await startConsole(common);
  });
  after(async () => {
    await teamA?.stop();
    await anonymous?.stop();
    await services?.teardown();
  });

  it("calls the runner and planner with the console's token, in its namespace", async () => {
    const { runner, planner } = pageClients(teamA);
    const started = await runner.startExecution({ flowName: "content_pipeline", input: { topic: "bridges" } });
    const execId = started.execution!.execId;
    const events = [];
    for await (const event of runner.watchExecution({ execId })) events.push(event.event?.kind.case);
    assert.ok(events.includes("statusChanged"), `a server stream crosses the bridge: ${events.join(", ")}`);
    const plan = await planner.planReplay({ execId, from: "publish" });
    assert.deepEqual(
      plan.plan!.reexecute.map((c) => c.invocationId),
      ["publish"],
    );
    // team-b cannot see team-a's execution through the services directly; the console acts as team-a only.
    const listed = await runner.listExecutions({});
    assert.deepEqual(
      listed.executions.map((e) => e.execId),
      [execId],
    );
  });

  it("relays errors with their kitaru class and details", async () => {
    const { runner } = pageClients(teamA);
    const notFound = await failure(runner.getExecution({ execId: "kr-aaaaaaaaaaaaaaaa" }));
    assert.ok(notFound instanceof KitaruNotFoundError, notFound.name);
    assert.equal(notFound.metadata.execId, "kr-aaaaaaaaaaaaaaaa");
    const unauthenticated = await failure(pageClients(anonymous).runner.listExecutions({}));
    assert.ok(unauthenticated instanceof KitaruAuthError, unauthenticated.name);
  });

  it("answers JSON requests too, a replay job's refused source with its typed error details (curl, other clients)", async () => {
    const post = async (method: string, body: unknown) => {
      const response = await fetch(`${teamA.url.replace(/\/$/, "")}/kitaru.planner.v1.PlannerService/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const started = await post("StartReplayJob", { spec: { selection: { execIds: ["kr-aaaaaaaaaaaaaaab"] }, from: "publish" }, requestId: "bridge-json-1" });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const jobId = (started.body["job"] as { jobId: string }).jobId;
    const items = await eventually(
      async () => (await post("ListReplayJobItems", { jobId })).body,
      (body) => JSON.stringify(body).includes("KitaruNotFoundError") || JSON.stringify(body).includes("NOT_FOUND"),
    );
    const [item] = items["items"] as { state: string; error: { code: number; details: { "@type": string }[] } }[];
    assert.ok(
      item?.error.details.some((detail) => detail["@type"] === "type.googleapis.com/google.rpc.ErrorInfo"),
      JSON.stringify(item),
    );
  });

  it("serves neither the runner's internal service nor anything but the page and the two public services", async () => {
    const internal = await fetch(`${teamA.url}kitaru.runner.v1.RunnerInternalService/GetCallGraph`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(internal.status, 404);
    assert.equal((await fetch(`${teamA.url}../package.json`)).status, 404);
    const page = await fetch(teamA.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  });

  it("answers the HTTP routes docs/console.md lists, as it says (issue 19: they were not documented)", async () => {
    const doc = readFileSync(path.join(REPO_ROOT, "docs/console.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Routes"), doc.indexOf("## Security"));
    const documented = [...section.matchAll(/^\| `(GET|POST) ([^`]+)`/gm)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(documented, [
      "GET /",
      "GET /console.js",
      "POST /kitaru.runner.v1.RunnerService/<Method>",
      "POST /kitaru.planner.v1.PlannerService/<Method>",
    ]);
    for (const asset of ["", "console.js", "console.css"]) assert.equal((await fetch(`${teamA.url}${asset}`)).status, 200, `GET /${asset}`);
    const rpc = (service: string, method: string) =>
      fetch(`${teamA.url}${service}/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal((await rpc("kitaru.runner.v1.RunnerService", "ListFlows")).status, 200);
    assert.equal((await rpc("kitaru.planner.v1.PlannerService", "PlanReplay")).status, 400, "forwarded: the planner refuses the empty request");
    for (const other of ["grpc.health.v1.Health/Check", "grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "executions"]) {
      assert.equal((await fetch(`${teamA.url}${other}`, { method: other.includes("/") ? "POST" : "GET" })).status, 404, other);
    }
  });

  it("refuses requests for another host name (DNS rebinding) and from other sites", async () => {
    const { status } = await get(teamA.url, { host: "attacker.example:50053" });
    assert.equal(status, 403);
    const crossSite = await get(teamA.url, { origin: "https://attacker.example" });
    assert.equal(crossSite.status, 403);
    assert.equal((await get(teamA.url, { host: "localhost" })).status, 200);
    const proxied = await startConsole({
      host: "127.0.0.1",
      port: 0,
      runnerUrl: services.runnerUrl,
      plannerUrl: services.plannerUrl,
      timeoutMs: 1000,
      allowedHosts: "console.internal",
    });
    try {
      assert.equal((await get(proxied.url, { host: "console.internal" })).status, 200);
    } finally {
      await proxied.stop();
    }
  });
});
