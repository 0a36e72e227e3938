/**
 * Issue 19 item 1: responses far above any client's limit. The value budget
 * was counted as JSON text, but a number costs ~11 bytes on the wire against
 * ~2 in JSON: an input of 1.4 M zeros (2.7 MiB of JSON) gave a 29.4 MiB
 * GetExecution and a 35.7 MiB ListExecutions page, which no client with the
 * default 4 MiB limit (grpc-js, grpc-go, grpc-python, grpcurl) could read.
 * Now every RunnerService response is at most RESPONSE_MESSAGE_BYTES as
 * encoded: values past the budget (counted as encoded) are named in
 * `omitted_values` and read with ReadExecutionValue, and list pages, log
 * pages and a full execution's calls end early with the token that reads on.
 * Checked with grpc-js's default client, grpcurl, and the TS client.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import {
  GetExecutionRequestSchema,
  GetExecutionResponseSchema,
  ListExecutionLogsRequestSchema,
  ListExecutionLogsResponseSchema,
  ListExecutionsRequestSchema,
  ListExecutionsResponseSchema,
  WatchExecutionRequestSchema,
  WatchExecutionResponseSchema,
} from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { KitaruClient } from "../../clients/ts/src/index.ts";
import { RESPONSE_MESSAGE_BYTES } from "../../services/runner/src/server/response-bounds.ts";
import { heavyFlow, wideFlow, zerosFlow } from "../fixtures/flows/response-sizes.ts";
import { stopTestServer } from "../support/database.ts";
import { grpcurlPath } from "../support/grpcurl.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { jsonValue } from "./rpc-helpers.ts";

const ZEROS = 1_400_000;
const HEAVY_CALLS = 20;
const LINES_PER_CALL = 25;
const SERVICE = "/kitaru.runner.v1.RunnerService";
/** 40 calls of 30,000 zeros (~330 KB each as encoded, past the value budget together) and ~66 KB of metadata each. */
const WIDE_CALLS = 40;
const WIDE_ZEROS = 30_000;

describe("every RunnerService response fits a default client's 4 MiB limit", { timeout: 600_000 }, () => {
  let env: RunnerEnv;
  /** grpc-js with its defaults: it refuses messages over 4 MiB. */
  let plain: grpc.Client;
  let zerosId: string;
  let heavyId: string;
  let wideId: string;
  const zeros = new Array<number>(ZEROS).fill(0);

  /** A unary call through the default grpc-js client: the response and its size on the wire. */
  function unary<I extends DescMessage, O extends DescMessage>(method: string, input: I, output: O, request: MessageInitShape<I>) {
    return new Promise<{ bytes: number; message: MessageShape<O> }>((resolve, reject) => {
      plain.makeUnaryRequest(
        `${SERVICE}/${method}`,
        (init: MessageInitShape<I>) => Buffer.from(toBinary(input, create(input, init))),
        (bytes: Buffer) => bytes,
        request,
        (error, bytes) => (error || bytes === undefined ? reject(error) : resolve({ bytes: bytes.length, message: fromBinary(output, bytes) })),
      );
    });
  }

  const settled = (execId: string, wanted: ExecutionStatus) =>
    eventually(
      async () => (await env.client.getExecution({ execId })).execution!.status,
      (status) => status === wanted,
      120_000,
    );

  before(async () => {
    env = await createRunnerEnv([zerosFlow, heavyFlow, wideFlow]);
    plain = new grpc.Client(env.runner.address, grpc.credentials.createInsecure());
    const started = await env.client.startExecution({ flowName: "zeros_echo", input: { zeros } });
    zerosId = started.execution!.execId;
    await settled(zerosId, ExecutionStatus.WAITING);
    await env.client.resolveWait({ execId: zerosId, wait: "more_zeros", value: jsonValue(zeros) });
    assert.equal(await settled(zerosId, ExecutionStatus.COMPLETED), ExecutionStatus.COMPLETED);
    const wide = await env.client.startExecution({ flowName: "wide_outputs", input: { calls: WIDE_CALLS, zeros: WIDE_ZEROS } });
    wideId = wide.execution!.execId;
    assert.equal(await settled(wideId, ExecutionStatus.COMPLETED), ExecutionStatus.COMPLETED);
    // Twelve executions whose metadata is ~330 KB each as encoded (30,000 numbers: 60 KB of JSON).
    for (let i = 0; i < 12; i++) {
      const { execution } = await env.client.startExecution({ flowName: "heavy_metadata", input: { calls: i === 0 ? HEAVY_CALLS : 1, numbers: 30_000 } });
      if (i === 0) heavyId = execution!.execId;
      assert.equal(await settled(execution!.execId, ExecutionStatus.COMPLETED), ExecutionStatus.COMPLETED);
    }
  });
  after(async () => {
    plain?.close();
    await env?.teardown();
    await stopTestServer();
  });

  it("GetExecution of 1.4 M zeros (15.4 MB per value as encoded): read by default grpc-js, with the values named for ReadExecutionValue", async () => {
    for (const view of [ExecutionView.BASIC, ExecutionView.FULL]) {
      const { bytes, message } = await unary("GetExecution", GetExecutionRequestSchema, GetExecutionResponseSchema, { execId: zerosId, view });
      assert.ok(bytes <= RESPONSE_MESSAGE_BYTES, `${bytes} bytes`);
      const omitted = message.execution!.omittedValues.map((value) => [value.path, Number(value.bytes)]);
      const json = JSON.stringify(zeros).length;
      assert.deepEqual(omitted.slice(0, 2), [
        ["input", JSON.stringify({ zeros }).length],
        ["result", JSON.stringify({ count: ZEROS, zeros, answer: zeros }).length],
      ]);
      if (view === ExecutionView.FULL) assert.deepEqual(omitted[2], ["checkpoints/zeros_copy/output", json]);
    }
    // The TS client reads them and returns the whole execution.
    await using client = new KitaruClient({ runnerUrl: `http://${env.runner.address}`, plannerUrl: "http://127.0.0.1:9" });
    const whole = await client.executions.get(zerosId);
    assert.equal((whole.input["zeros"] as number[]).length, ZEROS);
    assert.equal((whole.checkpoints[0]!.output as number[]).length, ZEROS);
    assert.equal(((whole.result as { answer: number[] }).answer as number[]).length, ZEROS);
    assert.deepEqual(await client.executions.readValue(zerosId, "waits/more_zeros/value"), zeros);
  });

  it("WatchExecution streams every event within the limit: a result or a wait's answer past the budget is named, not sent", async () => {
    const messages: { bytes: number; message: MessageShape<typeof WatchExecutionResponseSchema> }[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = plain.makeServerStreamRequest(
        `${SERVICE}/WatchExecution`,
        (init: MessageInitShape<typeof WatchExecutionRequestSchema>) =>
          Buffer.from(toBinary(WatchExecutionRequestSchema, create(WatchExecutionRequestSchema, init))),
        (bytes: Buffer) => bytes,
        { execId: zerosId },
      );
      call.on("data", (bytes: Buffer) => messages.push({ bytes: bytes.length, message: fromBinary(WatchExecutionResponseSchema, bytes) }));
      call.on("error", reject);
      call.on("end", resolve);
    });
    assert.ok(messages.every(({ bytes }) => bytes <= RESPONSE_MESSAGE_BYTES));
    const kinds = messages.map(({ message }) => message.event?.kind);
    const resolved = kinds.find((kind) => kind?.case === "waitResolved");
    assert.deepEqual(resolved?.case === "waitResolved" ? resolved.value.omittedValues.map((v) => v.path) : [], ["waits/more_zeros/value"]);
    const final = kinds.at(-1);
    assert.equal(final?.case, "statusChanged");
    assert.deepEqual(final?.case === "statusChanged" ? final.value.omittedValues.map((v) => v.path) : [], ["result"]);
    // The TS client's watch reads them in place.
    await using client = new KitaruClient({ runnerUrl: `http://${env.runner.address}`, plannerUrl: "http://127.0.0.1:9" });
    const events = [];
    for await (const event of client.executions.watch(zerosId)) events.push(event);
    const last = events.at(-1);
    assert.equal(last?.kind === "statusChanged" && (last.result as { count: number }).count, ZEROS);
  });

  it("ListExecutions ends a page early when more would not fit, and its token reads on without gaps or repeats", async () => {
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const { bytes, message } = await unary("ListExecutions", ListExecutionsRequestSchema, ListExecutionsResponseSchema, { pageSize: 200, pageToken });
      assert.ok(bytes <= RESPONSE_MESSAGE_BYTES, `${bytes} bytes`);
      seen.push(...message.executions.map((e) => e.execId));
      pageToken = message.nextPageToken;
      pages++;
    } while (pageToken !== "");
    assert.ok(pages >= 2, `${pages} pages for 14 executions, 12 of them of ~330 KB each`);
    assert.equal(seen.length, 14);
    assert.equal(new Set(seen).size, 14);
  });

  it("GetExecution FULL of calls that do not fit in one response: the first ones, and a token for the next", async () => {
    const calls: number[] = [];
    let checkpointsPageToken = "";
    let pages = 0;
    do {
      const { bytes, message } = await unary("GetExecution", GetExecutionRequestSchema, GetExecutionResponseSchema, {
        execId: heavyId,
        view: ExecutionView.FULL,
        checkpointsPageToken,
      });
      assert.ok(bytes <= RESPONSE_MESSAGE_BYTES, `${bytes} bytes`);
      const execution = message.execution!;
      assert.equal(execution.checkpointCount, HEAVY_CALLS, "the count is of all calls");
      calls.push(...execution.checkpoints.map((call) => Number(call.sequence)));
      checkpointsPageToken = execution.checkpointsNextPageToken;
      pages++;
    } while (checkpointsPageToken !== "");
    assert.ok(pages >= 2, `${pages} responses`);
    assert.deepEqual(
      calls,
      Array.from({ length: HEAVY_CALLS }, (_, i) => i + 1),
    );
    await using client = new KitaruClient({ runnerUrl: `http://${env.runner.address}`, plannerUrl: "http://127.0.0.1:9" });
    const whole = await client.executions.get(heavyId);
    assert.deepEqual(
      whole.checkpoints.map((call) => call.output),
      Array.from({ length: HEAVY_CALLS }, (_, i) => i),
    );
  });

  it("GetExecution FULL names only the left-out values of the calls it sends; the client reads every call's output", async () => {
    const { message } = await unary("GetExecution", GetExecutionRequestSchema, GetExecutionResponseSchema, { execId: wideId, view: ExecutionView.FULL });
    const first = message.execution!;
    assert.ok(first.checkpointsNextPageToken !== "", "the calls take more than one response");
    const sent = new Set(first.checkpoints.map((call) => call.invocationId));
    const named = first.omittedValues.map((value) => value.path.split("/")[1]!);
    assert.ok(named.length > 0, "some outputs are past the value budget");
    assert.deepEqual(
      named.filter((invocationId) => !sent.has(invocationId)),
      [],
      "a left-out value names a call of this response",
    );
    // Before the fix the TS client failed: "The server left out a value at 'checkpoints/wide_step_N/output', which names no value of the execution".
    await using client = new KitaruClient({ runnerUrl: `http://${env.runner.address}`, plannerUrl: "http://127.0.0.1:9" });
    const whole = await client.executions.get(wideId);
    assert.equal(whole.checkpoints.length, WIDE_CALLS);
    assert.deepEqual(
      whole.checkpoints.map((call) => (call.output as number[]).length),
      Array(WIDE_CALLS).fill(WIDE_ZEROS),
    );
  });

  it("ListExecutionLogs ends a page early when more lines would not fit; the client reads them all", async () => {
    const { bytes, message } = await unary("ListExecutionLogs", ListExecutionLogsRequestSchema, ListExecutionLogsResponseSchema, {
      execId: heavyId,
      pageSize: 1000,
    });
    assert.ok(bytes <= RESPONSE_MESSAGE_BYTES, `${bytes} bytes`);
    assert.ok(message.entries.length < HEAVY_CALLS * LINES_PER_CALL && message.nextPageToken !== "", `${message.entries.length} lines in the first page`);
    await using client = new KitaruClient({ runnerUrl: `http://${env.runner.address}`, plannerUrl: "http://127.0.0.1:9" });
    const lines = await client.executions.logs(heavyId);
    assert.equal(lines.length, HEAVY_CALLS * LINES_PER_CALL);
    assert.equal(new Set(lines.map((line) => line.message.split(" ")[0])).size, HEAVY_CALLS * LINES_PER_CALL);
  });

  it("grpcurl with its default limit reads the full execution of 1.4 M zeros", async () => {
    const grpcurl = await grpcurlPath();
    const { stdout } = await promisify(execFile)(
      grpcurl,
      ["-plaintext", "-d", JSON.stringify({ execId: zerosId, view: "EXECUTION_VIEW_FULL" }), env.runner.address, "kitaru.runner.v1.RunnerService/GetExecution"],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const answer = JSON.parse(stdout) as { execution: { status: string; omittedValues: { path: string }[] } };
    assert.equal(answer.execution.status, "EXECUTION_STATUS_COMPLETED");
    assert.deepEqual(
      answer.execution.omittedValues.map((value) => value.path),
      ["input", "result", "checkpoints/zeros_copy/output", "waits/more_zeros/value"],
      "every value past the budget is named, the wait's answer too (the full view carries waits)",
    );
  });
});
