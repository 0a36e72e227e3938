/**
 * Every RunnerService response stays under one size that gRPC clients
 * accept without raising their receive limit (4 MiB in grpc-go,
 * grpc-python, grpc-js and grpcurl): values past a response's value budget
 * are left out by the engine (`value-budget.ts`), and what is left is
 * measured here as protobuf encodes it. A list page (executions, log lines)
 * or a full execution's checkpoint calls that would not fit end early, with
 * the token that reads the rest. At least one item is always sent, so
 * reading on always progresses.
 *
 * A response is encoded once: when it fits (the usual case) its bytes are
 * what is sent; only one that does not is measured item by item.
 *
 * @module
 */
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { CheckpointCallSchema, ExecutionSchema, LogEntrySchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { GetExecutionResponseSchema, ListExecutionLogsResponseSchema, ListExecutionsResponseSchema } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { EncodedMessage } from "#contract/wire/encoded-message.ts";
import { checkpointsPageToken, type ExecutionPage, type ExecutionView } from "../engine/execution-queries.ts";
import type { LogPage } from "../engine/execution-logs.ts";
import { executionToProto, logEntryToProto } from "./convert.ts";

/**
 * The most bytes one response message carries: 3.5 MiB, half a MiB under
 * the 4 MiB default receive limit of gRPC clients (docs/limits.md).
 */
export const RESPONSE_MESSAGE_BYTES = 3.5 * 1024 * 1024;

/** What a response holds besides its list (tags, lengths, a page token): kept free. */
const ENVELOPE_BYTES = 4096;

function encode<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Uint8Array {
  return toBinary(schema, create(schema, init));
}

/** Bytes of an element of a repeated message field numbered below 16: tag, length, message. */
function elementBytes(messageBytes: number): number {
  let lengthBytes = 1;
  for (let rest = messageBytes; rest > 0x7f; rest = Math.floor(rest / 128)) lengthBytes++;
  return 1 + lengthBytes + messageBytes;
}

/** How many of the elements fit in `room` bytes, in order (at least one). */
function fitting<T>(elements: readonly T[], bytes: (element: T) => number, room: number): number {
  let used = 0;
  for (const [index, element] of elements.entries()) {
    used += elementBytes(bytes(element));
    if (used > room && index > 0) return index;
  }
  return elements.length;
}

/** The encoded response when it fits; undefined when it does not. */
function whole<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): EncodedMessage<Desc> | undefined {
  const bytes = encode(schema, init);
  return bytes.length <= RESPONSE_MESSAGE_BYTES ? new EncodedMessage(schema, bytes) : undefined;
}

/**
 * The GetExecution response of an execution view, with as many of its
 * checkpoint calls (full view) as keep it within
 * {@link RESPONSE_MESSAGE_BYTES}; `checkpointsNextPageToken` reads the rest.
 */
export function boundedExecutionResponse(
  view: ExecutionView,
): EncodedMessage<typeof GetExecutionResponseSchema> | MessageInitShape<typeof GetExecutionResponseSchema> {
  const execution = executionToProto(view);
  const fits = whole(GetExecutionResponseSchema, { execution });
  const calls = execution.checkpoints ?? [];
  if (fits !== undefined || calls.length === 0) return fits ?? { execution };
  const room = RESPONSE_MESSAGE_BYTES - ENVELOPE_BYTES - encode(ExecutionSchema, { ...execution, checkpoints: [] }).length;
  const kept = fitting(calls, (call) => encode(CheckpointCallSchema, call).length, room);
  const last = view.calls[kept - 1];
  const nextToken = last === undefined ? "" : checkpointsPageToken(last.sequence);
  const sent = calls.slice(0, kept);
  // The values left out of calls this response does not send are named by the response that sends those calls.
  const sentIds = new Set(sent.map((call) => call.invocationId ?? ""));
  const omittedValues = (execution.omittedValues ?? []).filter((value) => {
    const invocationId = /^checkpoints\/([^/]+)\//.exec(value.path ?? "")?.[1];
    return invocationId === undefined || sentIds.has(invocationId);
  });
  return {
    execution: { ...execution, checkpoints: sent, omittedValues, checkpointsNextPageToken: nextToken } as MessageInitShape<typeof ExecutionSchema>,
  };
}

/** A page of executions as a response: the first ones that fit, and the token after the last one sent. */
export function boundedExecutionPage(
  page: ExecutionPage,
): EncodedMessage<typeof ListExecutionsResponseSchema> | MessageInitShape<typeof ListExecutionsResponseSchema> {
  const executions = page.executions.map(executionToProto);
  const fits = whole(ListExecutionsResponseSchema, { executions, nextPageToken: page.nextPageToken });
  if (fits !== undefined) return fits;
  const kept = fitting(executions, (execution) => encode(ExecutionSchema, execution).length, RESPONSE_MESSAGE_BYTES - ENVELOPE_BYTES);
  return { executions: executions.slice(0, kept), nextPageToken: kept === executions.length ? page.nextPageToken : (page.pageTokens[kept - 1] ?? "") };
}

/** A page of log lines as a response: the first ones that fit, and the token after the last one sent. */
export function boundedLogPage(
  page: LogPage,
): EncodedMessage<typeof ListExecutionLogsResponseSchema> | MessageInitShape<typeof ListExecutionLogsResponseSchema> {
  const entries = page.entries.map(logEntryToProto);
  const fits = whole(ListExecutionLogsResponseSchema, { entries, nextPageToken: page.nextPageToken });
  if (fits !== undefined) return fits;
  const kept = fitting(entries, (entry) => encode(LogEntrySchema, entry).length, RESPONSE_MESSAGE_BYTES - ENVELOPE_BYTES);
  return { entries: entries.slice(0, kept), nextPageToken: kept === entries.length ? page.nextPageToken : (page.pageTokens[kept - 1] ?? "") };
}
