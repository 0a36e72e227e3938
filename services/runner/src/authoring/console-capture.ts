import { currentCheckpointAttempt, type LogLevel } from "./flow-runtime.ts";
import { formatLogArguments } from "./logger.ts";

const methods: readonly (readonly [keyof Console & ("log" | "info" | "debug" | "warn" | "error"), LogLevel])[] = [
  ["log", "info"],
  ["info", "info"],
  ["debug", "debug"],
  ["warn", "warn"],
  ["error", "error"],
];

let installed = false;

/**
 * Makes `console.log/info/debug/warn/error` called by checkpoint code (in its
 * async call tree) also store the line with the call's current attempt.
 * The line is still printed as before. Idempotent; installed by the runner
 * engine when it starts. @private
 */
export function captureCheckpointConsole(): void {
  if (installed) return;
  installed = true;
  for (const [method, level] of methods) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      currentCheckpointAttempt()?.writeLog(level, formatLogArguments(args), "console");
      original(...args);
    };
  }
}
