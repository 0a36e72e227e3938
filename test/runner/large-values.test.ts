import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, type Client } from "@connectrpc/connect";
import { ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { KitaruClient, KitaruNotFoundError, KitaruUsageError } from "../../clients/ts/src/index.ts";
import { RESPONSE_VALUE_BUDGET_BYTES } from "../../services/runner/src/engine/value-budget.ts";
import { bigText, digest, manyLargeOutputsFlow } from "../fixtures/flows/large-output.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { expectRpcError, plainJson } from "./rpc-helpers.ts";
import { ClientSessions } from "../support/grpc-clients.ts";

const MIB = 20;
const PARTS = 4;
// The default receive limit of grpc-go, grpc-python and grpcurl: a reader
// without a raised limit still reads every response below.
const DEFAULT_CLIENT_LIMIT = 4 * 1024 * 1024;

describe("an execution holding more values than one response carries stays readable", () => {
  let env: RunnerEnv;
  const clients = new ClientSessions();
  let raw: Client<typeof RunnerService>;
  let execId: string;
  const note = bigText(9);
  before(async () => {
    env = await createRunnerEnv([manyLargeOutputsFlow]);
    raw = clients.client(RunnerService, env.runner.address);
    const { execution } = await raw.startExecution({ flowName: manyLargeOutputsFlow.name, input: { mib: MIB, parts: PARTS, note } });
    execId = execution!.execId;
    // The 9 MiB input alone is past the budget: even the start response leaves it out.
    assert.equal(execution!.input, undefined);
    assert.deepEqual(
      execution!.omittedValues.map((v) => [v.path, Number(v.bytes)]),
      [["input", Buffer.byteLength(JSON.stringify({ mib: MIB, parts: PARTS, note }))]],
    );
    const done = await eventually(
      async () => (await raw.getExecution({ execId })).execution!,
      (e) => e.status !== ExecutionStatus.RUNNING,
      120_000,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED, done.failure?.message);
  });
  after(async () => {
    clients.close();
    await env?.teardown();
    await stopTestServer();
  });

  it("GetExecution FULL answers within a default client's limit and names each value it left out", async () => {
    const limited = clients.client(RunnerService, env.runner.address, { readMaxBytes: DEFAULT_CLIENT_LIMIT });
    const { execution } = await limited.getExecution({ execId, view: ExecutionView.FULL });
    const omitted = execution!.omittedValues.map((v) => v.path);
    assert.deepEqual(omitted, ["input", ...execution!.checkpoints.map((c) => `checkpoints/${c.invocationId}/output`)]);
    assert.equal(execution!.checkpoints.length, PARTS);
    for (const call of execution!.checkpoints) assert.equal(call.output, undefined, "a left-out output is unset");
    assert.equal((plainJson(execution!.result) as unknown[]).length, PARTS, "the small result still comes inline");
    assert.ok(RESPONSE_VALUE_BUDGET_BYTES < MIB * 1024 * 1024);
  });

  it("ReadExecutionValue streams a left-out value whole, in chunks of at most 1 MiB", async () => {
    const { execution } = await raw.getExecution({ execId, view: ExecutionView.FULL });
    const second = execution!.checkpoints[1]!;
    const chunks: Uint8Array[] = [];
    const totals = new Set<bigint>();
    for await (const message of raw.readExecutionValue({ execId, path: `checkpoints/${second.invocationId}/output` })) {
      assert.ok(message.chunk.length <= 1024 * 1024);
      chunks.push(message.chunk);
      totals.add(message.totalBytes);
    }
    const text = JSON.parse(Buffer.concat(chunks).toString("utf8")) as string;
    assert.deepEqual([...totals], [BigInt(Buffer.concat(chunks).length)]);
    assert.deepEqual(digest(text), digest(`1:${bigText(MIB)}`));
  });

  it("the TS client's get() reads the left-out values and returns the whole execution", async () => {
    await using client = new KitaruClient({ runnerUrl: `http://${env.runner.address}`, plannerUrl: "http://127.0.0.1:9" });
    const execution = await client.executions.get(execId);
    assert.deepEqual(execution.omittedValues, []);
    assert.equal(execution.input["note"], note);
    const expected = Array.from({ length: PARTS }, (_, index) => digest(`${index}:${bigText(MIB)}`));
    assert.deepEqual(
      execution.checkpoints.map((call) => digest(call.output as string)),
      expected,
    );
    assert.deepEqual(execution.result, expected);

    // list() leaves big values out and says so; readValue() fetches one.
    const [listed] = await client.executions.list({ flow: manyLargeOutputsFlow.name });
    assert.deepEqual(
      listed!.omittedValues.map((v) => v.path),
      ["input"],
    );
    assert.deepEqual(await client.executions.readValue(execId, "input"), { mib: MIB, parts: PARTS, note });
    await assert.rejects(client.executions.readValue(execId, "checkpoints/nope/output"), KitaruNotFoundError);
    await assert.rejects(client.executions.readValue(execId, "checkpoints"), KitaruUsageError);
  });

  it("a bad path is INVALID_ARGUMENT with a field violation; a value that does not exist is NOT_FOUND", async () => {
    const drainFor = async (id: string, path: string) => {
      for await (const _ of raw.readExecutionValue({ execId: id, path })) void _;
    };
    const drain = (path: string) => drainFor(execId, path);
    await expectRpcError(() => drain("output"), Code.InvalidArgument, KitaruUsageError);
    await expectRpcError(() => drain("checkpoints/missing/override_value"), Code.NotFound, KitaruNotFoundError);
    await expectRpcError(() => drainFor("kr-unknown", "input"), Code.NotFound, KitaruNotFoundError);
  });
});
