import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { Health } from "#gen/grpc/health/v1/health_pb.ts";
import * as v1alpha from "#gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { startGrpcServer, type RunningGrpcServer } from "../../services/transport/src/grpc-host.ts";
import { createHealthService, HealthStatus } from "../../services/transport/src/health.ts";
import { createReflectionServices } from "../../services/transport/src/reflection.ts";
import { createTestRunner, KNOWN_EXEC_ID } from "./runner-fixture.ts";
import { grpcurlPath } from "../support/grpcurl.ts";

const run = promisify(execFile);

/** Starts RunnerService + Health + reflection; `reflectionVersions` picks which reflection services to serve. */
async function startServer(reflectionVersions: readonly ("v1" | "v1alpha")[]): Promise<RunningGrpcServer> {
  const runner = createTestRunner();
  const services = [runner.registration, createHealthService(new HealthStatus())];
  const reflection = createReflectionServices(services.map((s) => s.service)).filter((r) =>
    reflectionVersions.some((v) => r.service.typeName === `grpc.reflection.${v}.ServerReflection`),
  );
  return startGrpcServer({ port: 0, services: [...services, ...reflection] });
}

describe("server reflection through grpcurl", () => {
  let grpcurl: string;
  let host: RunningGrpcServer;
  let v1alphaOnly: RunningGrpcServer;

  before(async () => {
    grpcurl = await grpcurlPath();
    host = await startServer(["v1", "v1alpha"]);
    v1alphaOnly = await startServer(["v1alpha"]);
  });

  after(async () => {
    await host?.shutdown();
    await v1alphaOnly?.shutdown();
  });

  /** Runs grpcurl against `server`; resolves with stdout, or rejects with the failed process's error (stdout, stderr, code). */
  async function grpcurlRun(server: RunningGrpcServer, ...args: string[]): Promise<string> {
    const target = args.indexOf("@");
    const argv = ["-plaintext", ...args.slice(0, target), server.address, ...args.slice(target + 1)];
    const { stdout } = await run(grpcurl, argv, { timeout: 30_000 });
    return stdout;
  }

  it("lists the registered services, health and both reflection versions", async () => {
    const services = (await grpcurlRun(host, "@", "list")).trim().split("\n");
    for (const name of [
      "kitaru.runner.v1.RunnerService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]) {
      assert.ok(services.includes(name), `${name} missing from ${JSON.stringify(services)}`);
    }
  });

  it("describes a service whose file imports other files", async () => {
    const out = await grpcurlRun(host, "@", "describe", "kitaru.runner.v1.RunnerService");
    assert.match(out, /kitaru\.runner\.v1\.RunnerService is a service/);
    assert.match(out, /rpc GetExecution \( \.kitaru\.runner\.v1\.GetExecutionRequest \) returns \( \.kitaru\.runner\.v1\.GetExecutionResponse \)/);
    assert.match(out, /rpc WatchExecution .* returns \( stream \.kitaru\.runner\.v1\.WatchExecutionResponse \)/);
  });

  it("describes a message that uses google.protobuf.Struct and kitaru.errors.v1 types", async () => {
    const out = await grpcurlRun(host, "@", "describe", "kitaru.runner.v1.Execution");
    assert.match(out, /kitaru\.runner\.v1\.Execution is a message/);
    assert.match(out, /\.google\.protobuf\.Struct input = 5;/);
    const failure = await grpcurlRun(host, "@", "describe", "kitaru.runner.v1.Failure");
    assert.match(failure, /\.kitaru\.errors\.v1\.DivergenceDetail divergence = 5;/);
  });

  it("describes nested types, methods and health", async () => {
    assert.match(await grpcurlRun(host, "@", "describe", "grpc.health.v1.HealthCheckResponse.ServingStatus"), /is an enum/);
    assert.match(await grpcurlRun(host, "@", "describe", "kitaru.runner.v1.RunnerService.GetExecution"), /is a method/);
    assert.match(await grpcurlRun(host, "@", "describe", "grpc.health.v1.Health"), /rpc Watch/);
    assert.match(await grpcurlRun(host, "@", "describe", "grpc.reflection.v1.ServerReflection"), /ServerReflectionInfo/);
  });

  it("invokes GetExecution from JSON", async () => {
    const out = await grpcurlRun(host, "-d", `{"execId":"${KNOWN_EXEC_ID}"}`, "@", "kitaru.runner.v1.RunnerService/GetExecution");
    const response = JSON.parse(out) as { execution: { execId: string; name: string; status: string; result: unknown } };
    assert.equal(response.execution.execId, KNOWN_EXEC_ID);
    assert.equal(response.execution.status, "EXECUTION_STATUS_COMPLETED");
    assert.equal(response.execution.result, "ok");
  });

  it("shows a kitaru error as code NotFound", async () => {
    const failed = await grpcurlRun(host, "-d", '{"execId":"kr-nope"}', "@", "kitaru.runner.v1.RunnerService/GetExecution").then(
      () => assert.fail("expected grpcurl to fail"),
      (e: { stderr: string }) => e,
    );
    assert.match(failed.stderr, /Code: NotFound/);
    assert.match(failed.stderr, /execution "kr-nope" not found/);
    // The detail types are described too, so grpcurl decodes them instead of printing bytes.
    assert.match(failed.stderr, /"reason": "KITARU_NOT_FOUND"/);
    assert.match(failed.stderr, /"resourceName": "kr-nope"/);
  });

  it("answers Health/Check with SERVING", async () => {
    const out = await grpcurlRun(host, "@", "grpc.health.v1.Health/Check");
    assert.deepEqual(JSON.parse(out), { status: "SERVING" });
  });

  it("works through v1alpha when v1 is not served (grpcurl falls back)", async () => {
    assert.match(await grpcurlRun(v1alphaOnly, "@", "list"), /kitaru\.runner\.v1\.RunnerService/);
    assert.match(await grpcurlRun(v1alphaOnly, "@", "describe", "kitaru.runner.v1.Execution"), /is a message/);
    const out = await grpcurlRun(v1alphaOnly, "-d", `{"execId":"${KNOWN_EXEC_ID}"}`, "@", "kitaru.runner.v1.RunnerService/GetExecution");
    assert.equal((JSON.parse(out) as { execution: { execId: string } }).execution.execId, KNOWN_EXEC_ID);
  });
});

describe("server reflection v1alpha over a raw grpc-js stream", () => {
  let host: RunningGrpcServer;
  let client: grpc.Client;

  before(async () => {
    host = await startServer(["v1", "v1alpha"]);
    client = new grpc.Client(host.address, grpc.credentials.createInsecure());
  });

  after(async () => {
    client.close();
    await host.shutdown();
  });

  /** Sends the requests on one v1alpha stream and collects the responses. */
  function reflect(requests: v1alpha.ServerReflectionRequest[]): Promise<v1alpha.ServerReflectionResponse[]> {
    return new Promise((resolve, reject) => {
      const call = client.makeBidiStreamRequest(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        (r: v1alpha.ServerReflectionRequest) => Buffer.from(toBinary(v1alpha.ServerReflectionRequestSchema, r)),
        (b: Buffer) => fromBinary(v1alpha.ServerReflectionResponseSchema, b),
      );
      const responses: v1alpha.ServerReflectionResponse[] = [];
      call.on("data", (r: v1alpha.ServerReflectionResponse) => responses.push(r));
      call.on("error", reject);
      call.on("end", () => resolve(responses));
      for (const r of requests) call.write(r);
      call.end();
    });
  }

  const request = (messageRequest: MessageInitShape<typeof v1alpha.ServerReflectionRequestSchema>["messageRequest"]) =>
    create(v1alpha.ServerReflectionRequestSchema, { host: "localhost", messageRequest });

  function fileNames(response: v1alpha.ServerReflectionResponse | undefined): string[] {
    assert.equal(response?.messageResponse.case, "fileDescriptorResponse");
    return response.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
  }

  it("answers several requests on one stream, each file with all its transitive imports", async () => {
    const [listed, bySymbol, byName, missing] = await reflect([
      request({ case: "listServices", value: "" }),
      request({ case: "fileContainingSymbol", value: "kitaru.runner.v1.ExecutionEvent" }),
      request({ case: "fileByFilename", value: "kitaru/runner/v1/runner_service.proto" }),
      request({ case: "fileContainingSymbol", value: "kitaru.runner.v1.Nope" }),
    ]);

    assert.equal(listed?.messageResponse.case, "listServicesResponse");
    assert.ok(listed.messageResponse.value.service.some((s) => s.name === Health.typeName));

    assert.deepEqual(fileNames(bySymbol).sort(), [
      "google/protobuf/struct.proto",
      "google/protobuf/timestamp.proto",
      "kitaru/errors/v1/errors.proto",
      "kitaru/runner/v1/execution.proto",
    ]);
    assert.equal(fileNames(bySymbol)[0], "kitaru/runner/v1/execution.proto", "the requested file comes first");

    const names = fileNames(byName);
    assert.equal(names[0], "kitaru/runner/v1/runner_service.proto");
    for (const dep of ["kitaru/runner/v1/execution.proto", "kitaru/errors/v1/errors.proto", "google/protobuf/timestamp.proto"]) {
      assert.ok(names.includes(dep), `${dep} missing from ${JSON.stringify(names)}`);
    }
    assert.equal(new Set(names).size, names.length, "each file once");

    assert.equal(missing?.messageResponse.case, "errorResponse");
    assert.equal(missing.messageResponse.value.errorCode, grpc.status.NOT_FOUND);
    assert.equal(missing.originalRequest?.messageRequest.value, "kitaru.runner.v1.Nope");
  });

  it("answers NOT_FOUND for extension lookups of unknown extensions", async () => {
    const [response] = await reflect([
      request({ case: "fileContainingExtension", value: { containingType: "kitaru.runner.v1.Execution", extensionNumber: 100 } }),
    ]);
    assert.equal(response?.messageResponse.case, "errorResponse");
    assert.equal(response.messageResponse.value.errorCode, grpc.status.NOT_FOUND);
  });
});
