/**
 * Values an execution response left out (`Execution.omitted_values`), read
 * on their own with `ReadExecutionValue` and put back where they belong.
 *
 * @module
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import type { Execution as ExecutionPb, ExecutionEvent as ExecutionEventPb, StatusChange } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { valueFromJson } from "./convert/json.ts";
import { KitaruInternalError } from "#contract/errors/kitaru-error.ts";
import { streamRpc } from "./rpc-error.ts";

/** Reads one value of an execution by its path (`input`, `result`, `checkpoints/<invocation_id>/output`, ...). */
export async function readExecutionValue(runner: Client<typeof RunnerService>, execId: string, path: string, signal?: AbortSignal): Promise<JsonValue> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  let total: bigint | undefined;
  for await (const response of streamRpc(() => runner.readExecutionValue({ execId, path }, signal ? { signal } : {}))) {
    chunks.push(response.chunk);
    received += response.chunk.length;
    total = response.totalBytes;
  }
  if (total === undefined || BigInt(received) !== total) {
    throw new KitaruInternalError(`ReadExecutionValue sent ${received} of ${total ?? "?"} bytes of '${path}'.`, {
      metadata: { execId, path },
    });
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonValue;
}

/** Reads every value `execution` left out and puts it in place (in the message given). */
export async function fillOmittedValues(runner: Client<typeof RunnerService>, execution: ExecutionPb, signal?: AbortSignal): Promise<void> {
  for (const omitted of execution.omittedValues) {
    const value = await readExecutionValue(runner, execution.execId, omitted.path, signal);
    placeValue(execution, omitted.path, value);
  }
  execution.omittedValues = [];
}

function placeValue(execution: ExecutionPb, path: string, value: JsonValue): void {
  if (path === "input") {
    execution.input = value as JsonObject;
    return;
  }
  if (path === "result") {
    execution.result = valueFromJson(value);
    return;
  }
  const waitName = /^waits\/([^/]+)\/value$/.exec(path)?.[1];
  const wait = waitName === undefined ? undefined : execution.waits.find((w) => w.name === waitName);
  if (wait !== undefined) {
    wait.value = valueFromJson(value);
    return;
  }
  const match = /^checkpoints\/([^/]+)\/(output|override_value)$/.exec(path);
  const call = match ? execution.checkpoints.find((c) => c.invocationId === match[1]) : undefined;
  if (match === null || call === undefined) {
    throw new KitaruInternalError(`The server left out a value at '${path}', which names no value of the execution.`, {
      metadata: { execId: execution.execId, path },
    });
  }
  if (match[2] === "output") call.output = valueFromJson(value);
  else call.overrideValue = valueFromJson(value);
}

/**
 * Reads the value a streamed status change left out (a result beyond one
 * message's value budget) and puts it in place.
 */
export async function fillOmittedStatusResult(runner: Client<typeof RunnerService>, execId: string, change: StatusChange, signal?: AbortSignal): Promise<void> {
  for (const omitted of change.omittedValues) change.result = valueFromJson(await readExecutionValue(runner, execId, omitted.path, signal));
  change.omittedValues = [];
}

/** Reads the value a watch event left out (a result, a wait's answer) and puts it in place. */
export async function fillOmittedEventValue(runner: Client<typeof RunnerService>, event: ExecutionEventPb, signal?: AbortSignal): Promise<void> {
  const kind = event.kind;
  if (kind.case === "statusChanged") await fillOmittedStatusResult(runner, event.execId, kind.value, signal);
  if (kind.case === "waitResolved") {
    for (const omitted of kind.value.omittedValues) kind.value.value = valueFromJson(await readExecutionValue(runner, event.execId, omitted.path, signal));
    kind.value.omittedValues = [];
  }
}
