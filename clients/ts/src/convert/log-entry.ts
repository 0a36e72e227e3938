/**
 * The plain `LogEntry` model of checkpoint log lines, and its conversion from protobuf.
 *
 * @module
 */
import type { LogEntry as LogEntryPb } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { logLevelFromProto, type LogLevel } from "#contract/log-level.ts";
import { dateFromTimestamp } from "./json.ts";

export type { LogLevel } from "#contract/log-level.ts";

/** One line checkpoint code wrote with `console.*` or the authoring API's `logger`. */
export interface LogEntry {
  readonly execId: string;
  /** The checkpoint call's invocation ID. */
  readonly invocationId: string;
  readonly checkpointName: string;
  readonly callId: string;
  /** The attempt that wrote it (1, 2, ... after retries). */
  readonly attempt: number;
  readonly time: Date | undefined;
  readonly level: LogLevel;
  readonly message: string;
  /** `console` for captured console output, `logger` for the authoring API's logger. */
  readonly source: string;
}

/** The plain {@link LogEntry} of a `kitaru.runner.v1.LogEntry`. */
export function logEntryFromProto(entry: LogEntryPb): LogEntry {
  return {
    execId: entry.execId,
    invocationId: entry.invocationId,
    checkpointName: entry.checkpointName,
    callId: entry.callId,
    attempt: entry.attempt,
    time: dateFromTimestamp(entry.time),
    level: logLevelFromProto(entry.level),
    message: entry.message,
    source: entry.source,
  };
}
