import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@connectrpc/connect";
import { CheckpointCallStatus, ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { bigText, digest, executions, largeOutputFlow } from "../fixtures/flows/large-output.ts";
import { stopTestServer } from "../support/database.ts";
import { jsonValue, plainJson } from "./rpc-helpers.ts";
import { ClientSessions } from "../support/grpc-clients.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";

const MIB = 20;
const MAX_BYTES = 256 * 1024 * 1024;

describe("a checkpoint output larger than a MongoDB document (16 MiB)", () => {
  let env: RunnerEnv;
  const clients = new ClientSessions();
  let client: Client<typeof RunnerService>;
  before(async () => {
    env = await createRunnerEnv([largeOutputFlow]);
    client = clients.client(RunnerService, env.runner.address, { readMaxBytes: MAX_BYTES, writeMaxBytes: MAX_BYTES });
  });
  after(async () => {
    clients.close();
    await env?.teardown();
    await stopTestServer();
  });

  it(`round-trips a ${MIB} MiB string through the store to ReadExecutionValue, the next checkpoint and the result`, async () => {
    const expected = digest(bigText(MIB));
    assert.ok(expected.length > 16 * 1024 * 1024);

    const { execution } = await client.startExecution({ flowName: "large_output", input: { mib: MIB } });
    const execId = execution!.execId;
    const settled = (e: { status: ExecutionStatus }) => e.status !== ExecutionStatus.RUNNING;
    const waiting = await eventually(async () => (await client.getExecution({ execId })).execution!, settled, 120_000);
    assert.equal(waiting.status, ExecutionStatus.WAITING, waiting.failure?.message);

    // While the execution waits, the output exists only in the store.
    const { execution: fullView } = await client.getExecution({ execId, view: ExecutionView.FULL });
    const [produced] = fullView!.checkpoints;
    assert.equal(produced?.invocationId, "produce");
    assert.equal(produced?.status, CheckpointCallStatus.COMPLETED);
    // Past one response's value budget, the output is named instead of sent, and read on its own.
    assert.equal(produced?.output, undefined);
    assert.deepEqual(
      fullView!.omittedValues.map((v) => v.path),
      ["checkpoints/produce/output"],
    );
    const chunks: Uint8Array[] = [];
    for await (const message of client.readExecutionValue({ execId, path: "checkpoints/produce/output" })) chunks.push(message.chunk);
    assert.deepEqual(digest(JSON.parse(Buffer.concat(chunks).toString("utf8")) as string), expected, "ReadExecutionValue returns the output intact");

    // After the input the body runs again: produce is not re-run, measure reads its output from the store.
    await client.resolveWait({ execId, wait: "measure_now", value: jsonValue(true) });
    const done = await eventually(
      async () => (await client.getExecution({ execId })).execution!,
      (e) => settled(e) && e.status !== ExecutionStatus.WAITING,
      120_000,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED, done.failure?.message);
    assert.deepEqual(plainJson(done.result), { length: expected.length, sha256: expected.sha256, tail: bigText(MIB).slice(-32) });
    assert.deepEqual(executions, { produce: 1, measure: 1 });
    const { execution: finalView } = await client.getExecution({ execId, view: ExecutionView.FULL });
    const measured = finalView!.checkpoints.find((c) => c.invocationId === "measure");
    assert.deepEqual(measured?.dataDependencies, ["produce"]);
    assert.deepEqual(plainJson(measured?.output), expected);
  });
});
