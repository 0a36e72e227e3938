import { formatWithOptions } from "node:util";
import { currentCheckpointAttempt, currentFlowBodyRuntime, type LogLevel } from "./flow-runtime.ts";

/** Writes log lines at four levels, formatted like `console.log`. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const consoleMethod: Record<LogLevel, "debug" | "info" | "warn" | "error"> = { debug: "debug", info: "info", warn: "warn", error: "error" };

/** Formats log arguments the way `console.log` does, without colours. @private */
export function formatLogArguments(args: readonly unknown[]): string {
  return formatWithOptions({ colors: false }, ...args);
}

function write(level: LogLevel, args: readonly unknown[]): void {
  const attempt = currentCheckpointAttempt();
  if (attempt !== undefined) {
    attempt.writeLog(level, formatLogArguments(args), "logger");
    return;
  }
  const runtime = currentFlowBodyRuntime();
  if (runtime !== undefined) {
    runtime.writeFlowLog(level, formatLogArguments(args));
    return;
  }
  console[consoleMethod[level]](...args);
}

/**
 * The authoring API's logger.
 *
 * Inside a checkpoint, each line is stored with the call's current attempt
 * and shown by `kitaru executions logs` (`console.*` output there is captured
 * the same way). In a flow body, lines go to the runner's console only: the
 * body runs again after waits, crashes and on replay, so storing its lines
 * would repeat them. Elsewhere it writes to the console.
 *
 * @example
 * ```ts
 * const research = checkpoint("research", async (topic: string) => {
 *   logger.info("searching for %s", topic);
 *   return search(topic);
 * });
 * ```
 */
export const logger: Logger = {
  debug: (...args) => write("debug", args),
  info: (...args) => write("info", args),
  warn: (...args) => write("warn", args),
  error: (...args) => write("error", args),
};
