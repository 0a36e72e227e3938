import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "#gen/grpc/health/v1/health_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { grpcurlPath } from "../support/grpcurl.ts";
import { ClientSessions } from "../support/grpc-clients.ts";

const run = promisify(execFile);

interface ExecutionJson {
  execId: string;
  flowName: string;
  status: string;
  result?: unknown;
  checkpoints?: { invocationId: string; status: string; output?: unknown }[];
}

describe("the runner's gRPC surface for generic tools", () => {
  let env: RunnerEnv;
  let grpcurl: string;
  const clients = new ClientSessions();
  before(async () => {
    grpcurl = await grpcurlPath();
    env = await createRunnerEnv([contentPipeline]);
  });
  after(async () => {
    clients.close();
    await env?.teardown();
    await stopTestServer();
  });

  /** Runs grpcurl against the runner; resolves with stdout. */
  async function grpcurlRun(...args: string[]): Promise<string> {
    const [command, ...rest] = args;
    const flags = command === "-d" ? args.slice(0, 2) : [];
    const tail = command === "-d" ? args.slice(2) : [command!, ...rest];
    const { stdout } = await run(grpcurl, ["-plaintext", ...flags, env.runner.address, ...tail], { timeout: 60_000 });
    return stdout;
  }

  it("answers grpc.health.v1 Check with SERVING, overall and for RunnerService", async () => {
    const client = clients.client(Health, env.runner.address);
    assert.equal((await client.check({ service: "" })).status, Serving.SERVING);
    assert.equal((await client.check({ service: RunnerService.typeName })).status, Serving.SERVING);
    assert.deepEqual(JSON.parse(await grpcurlRun("grpc.health.v1.Health/Check")), { status: "SERVING" });
  });

  it("lists its services through reflection", async () => {
    const services = (await grpcurlRun("list")).trim().split("\n");
    for (const name of ["kitaru.runner.v1.RunnerService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]) {
      assert.ok(services.includes(name), `${name} missing from ${JSON.stringify(services)}`);
    }
  });

  it("describes RunnerService through reflection", async () => {
    const out = await grpcurlRun("describe", "kitaru.runner.v1.RunnerService");
    assert.match(out, /kitaru\.runner\.v1\.RunnerService is a service/);
    for (const method of RunnerService.methods) assert.match(out, new RegExp(`rpc ${method.name} \\(`), method.name);
    assert.match(await grpcurlRun("describe", "kitaru.runner.v1.Execution"), /\.google\.protobuf\.Struct input = 5;/);
  });

  it("starts the content pipeline from JSON and reads the finished execution back", async () => {
    const started = JSON.parse(
      await grpcurlRun("-d", JSON.stringify({ flowName: "content_pipeline", input: { topic: "grpcurl" } }), "kitaru.runner.v1.RunnerService/StartExecution"),
    ) as { execution: ExecutionJson };
    const execId = started.execution.execId;
    assert.match(execId, /^kr-[a-z2-7]{16}$/);
    assert.equal(started.execution.flowName, "content_pipeline");

    const get = async () =>
      (
        JSON.parse(await grpcurlRun("-d", JSON.stringify({ execId, view: "EXECUTION_VIEW_FULL" }), "kitaru.runner.v1.RunnerService/GetExecution")) as {
          execution: ExecutionJson;
        }
      ).execution;
    const done = await eventually(get, (e) => e.status === "EXECUTION_STATUS_COMPLETED", 60_000);
    assert.equal(done.status, "EXECUTION_STATUS_COMPLETED");
    assert.equal(done.result, "published: draft about grpcurl from [notes on grpcurl]");
    assert.deepEqual(
      done.checkpoints?.map((c) => [c.invocationId, c.status]),
      ["research", "write_draft", "publish"].map((id) => [id, "CHECKPOINT_CALL_STATUS_COMPLETED"]),
    );
    assert.equal(done.checkpoints?.[0]?.output, "notes on grpcurl");
  });

  it("shows an unknown execution as NotFound with decoded kitaru details", async () => {
    const failed = await grpcurlRun("-d", '{"execId":"kr-aaaaaaaaaaaaaaaa"}', "kitaru.runner.v1.RunnerService/GetExecution").then(
      () => assert.fail("expected grpcurl to fail"),
      (e: { stderr: string }) => e,
    );
    assert.match(failed.stderr, /Code: NotFound/);
    assert.match(failed.stderr, /"reason": "KITARU_NOT_FOUND"/);
    assert.match(failed.stderr, /"resourceName": "kr-aaaaaaaaaaaaaaaa"/);
  });
});
