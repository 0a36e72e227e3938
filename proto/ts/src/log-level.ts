/**
 * The severity of a log line checkpoint code wrote, and its protobuf form.
 *
 * @module
 */
import { LogLevel as LogLevelPb } from "#gen/kitaru/runner/v1/execution_pb.ts";

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const levelByPb: Record<LogLevelPb, LogLevel> = {
  [LogLevelPb.UNSPECIFIED]: "info",
  [LogLevelPb.DEBUG]: "debug",
  [LogLevelPb.INFO]: "info",
  [LogLevelPb.WARN]: "warn",
  [LogLevelPb.ERROR]: "error",
};

const levelToPb: Record<LogLevel, LogLevelPb> = {
  debug: LogLevelPb.DEBUG,
  info: LogLevelPb.INFO,
  warn: LogLevelPb.WARN,
  error: LogLevelPb.ERROR,
};

/** The level of a `LogLevel` enum value (unset reads as `info`). */
export function logLevelFromProto(level: LogLevelPb): LogLevel {
  return levelByPb[level] ?? "info";
}

/** The `LogLevel` enum value of a level. */
export function logLevelToProto(level: LogLevel): LogLevelPb {
  return levelToPb[level];
}
