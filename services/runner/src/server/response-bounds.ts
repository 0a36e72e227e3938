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
 * @module
 */
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { CheckpointCallSchema, ExecutionSchema, LogEntrySchema } from "#gen/kitaru/runner/v1/execution_pb.ts";
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

function encodedBytes<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): number {
  return toBinary(schema, create(schema, init)).length;
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

/**
 * The wire form of an execution view, with as many of its checkpoint calls
 * (full view) as keep the response within {@link RESPONSE_MESSAGE_BYTES};
 * `checkpointsNextPageToken` reads the rest.
 */
export function boundedExecution(view: ExecutionView): MessageInitShape<typeof ExecutionSchema> {
  const execution = executionToProto(view);
  const calls = execution.checkpoints ?? [];
  if (calls.length === 0) return execution;
  const room = RESPONSE_MESSAGE_BYTES - ENVELOPE_BYTES - encodedBytes(ExecutionSchema, { ...execution, checkpoints: [] });
  const kept = fitting(calls, (call) => encodedBytes(CheckpointCallSchema, call), room);
  if (kept === calls.length) return execution;
  const last = view.calls[kept - 1];
  const nextToken = last === undefined ? "" : checkpointsPageToken(last.sequence);
  return { ...execution, checkpoints: calls.slice(0, kept), checkpointsNextPageToken: nextToken } as MessageInitShape<typeof ExecutionSchema>;
}

/** A page of executions as a response: the first ones that fit, and the token after the last one sent. */
export function boundedExecutionPage(page: ExecutionPage): { executions: MessageInitShape<typeof ExecutionSchema>[]; nextPageToken: string } {
  const executions = page.executions.map(executionToProto);
  const kept = fitting(executions, (execution) => encodedBytes(ExecutionSchema, execution), RESPONSE_MESSAGE_BYTES - ENVELOPE_BYTES);
  if (kept === executions.length) return { executions, nextPageToken: page.nextPageToken };
  return { executions: executions.slice(0, kept), nextPageToken: page.pageTokens[kept - 1] ?? "" };
}

/** A page of log lines as a response: the first ones that fit, and the token after the last one sent. */
export function boundedLogPage(page: LogPage): { entries: MessageInitShape<typeof LogEntrySchema>[]; nextPageToken: string } {
  const entries = page.entries.map(logEntryToProto);
  const kept = fitting(entries, (entry) => encodedBytes(LogEntrySchema, entry), RESPONSE_MESSAGE_BYTES - ENVELOPE_BYTES);
  if (kept === entries.length) return { entries, nextPageToken: page.nextPageToken };
  return { entries: entries.slice(0, kept), nextPageToken: page.pageTokens[kept - 1] ?? "" };
}
