/**
 * `kitaru executions logs <exec_id> [--checkpoint] [--limit] [--follow] [--grouped] [-v|-vv]`:
 * the lines checkpoint code wrote, in Kitaru's text and JSON shapes.
 *
 * @module
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { LogEntry, LogFollowEvent } from "../../../ts/src/index.ts";
import { printItems } from "../output.ts";
import type { CliIo } from "../io.ts";
import type { CommandContext, CommandOf, CommandRunner } from "./context.ts";

/** Python's level names, as Kitaru prints them. */
const LEVEL_NAMES = { debug: "DEBUG", info: "INFO", warn: "WARNING", error: "ERROR" } as const;

const stamp = (date: Date | undefined): string => (date === undefined ? "-" : date.toISOString().replace("T", " ").slice(0, 19));

/** One log line as text: the message; with `-v` time and level; with `-vv` also the checkpoint. */
function logLine(entry: LogEntry, verbosity: number): string {
  if (verbosity <= 0) return entry.message;
  const level = LEVEL_NAMES[entry.level].padEnd(5);
  if (verbosity === 1) return `${stamp(entry.time)} ${level} ${entry.message}`;
  return `${stamp(entry.time)} ${level} [${entry.invocationId}] ${entry.message}`;
}

/** A log line as a JSON item: Kitaru's keys (`message`, `level`, `timestamp`, `source`, `checkpoint_name`) and kitaru's own. */
function logItem(entry: LogEntry): JsonObject {
  return {
    message: entry.message,
    level: LEVEL_NAMES[entry.level],
    timestamp: entry.time?.toISOString() ?? null,
    source: "step",
    checkpoint_name: entry.checkpointName,
    invocation_id: entry.invocationId,
    call_id: entry.callId,
    attempt: entry.attempt,
    exec_id: entry.execId,
    origin: entry.source,
  };
}

/** Prints entries as text, grouped under one header per call when asked. */
function printText(io: CliIo, entries: readonly LogEntry[], command: CommandOf<"executions.logs">): void {
  if (!command.grouped) {
    for (const entry of entries) io.out(logLine(entry, command.verbosity));
    return;
  }
  const groups = new Map<string, LogEntry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.invocationId);
    if (group === undefined) groups.set(entry.invocationId, [entry]);
    else group.push(entry);
  }
  let first = true;
  for (const [invocationId, group] of groups) {
    if (!first) io.out("");
    first = false;
    io.out(`── checkpoint: ${invocationId} ${"─".repeat(30)}`);
    for (const entry of group) io.out(logLine(entry, command.verbosity));
  }
}

/** Lists the lines (text or `{"command": "executions.logs", "items", "count"}`), or follows them with `--follow`. */
export const runExecutionsLogs: CommandRunner<"executions.logs"> = async (command, context) => {
  if (command.follow) return follow(command, context);
  const { io, client } = context;
  const entries = await client.executions.logs(command.execId, { checkpoint: command.checkpoint, limit: command.limit });
  if (command.output === "json") {
    printItems(io, command.kind, entries.map(logItem));
  } else if (entries.length === 0) {
    io.out(`No log entries found for execution ${command.execId}.`);
    io.out("The execution may still be starting, or its checkpoint code wrote nothing.");
  } else {
    printText(io, entries, command);
  }
  return 0;
};

/**
 * Prints lines as they arrive and one line per waiting or terminal status;
 * exit 0 when the execution completed, 1 when it failed or was cancelled.
 * JSON: one `{"command", "event": "log"|"waiting"|"terminal", "item"}` line each.
 */
async function follow(command: CommandOf<"executions.logs">, { io, client }: CommandContext): Promise<number> {
  const json = command.output === "json";
  const emit = (event: string, item: JsonObject) => io.out(JSON.stringify({ command: command.kind, event, item }));
  let printed = 0;
  let lastWait = "";
  let lastGroup = "";
  for await (const event of client.executions.followLogs(command.execId, { checkpoint: command.checkpoint })) {
    if (event.kind === "log") {
      if (command.limit !== undefined && printed >= command.limit) continue;
      printed += 1;
      if (json) emit("log", logItem(event.entry));
      else {
        if (command.grouped && event.entry.invocationId !== lastGroup) {
          if (lastGroup !== "") io.out("");
          lastGroup = event.entry.invocationId;
          io.out(`── checkpoint: ${lastGroup} ${"─".repeat(30)}`);
        }
        io.out(logLine(event.entry, command.verbosity));
      }
      continue;
    }
    const ended = await statusLine(command, event, { io, client }, emit, lastWait);
    if (typeof ended === "number") return ended;
    lastWait = ended;
  }
  return 0;
}

/** Prints a status change; resolves to the exit code when it is terminal, else to the wait named (to print it once). */
async function statusLine(
  command: CommandOf<"executions.logs">,
  event: Exclude<LogFollowEvent, { kind: "log" }>,
  { io, client }: CommandContext,
  emit: (event: string, item: JsonObject) => void,
  lastWait: string,
): Promise<number | string> {
  const json = command.output === "json";
  switch (event.status) {
    case "completed":
      if (json) emit("terminal", { status: "completed", message: "Execution completed successfully" });
      else io.out("[Execution completed successfully]");
      return 0;
    case "failed": {
      // As Kitaru's stream ends: the failure and its traceback, then how to retry.
      const failure = event.failure;
      const message = failure?.message ?? "execution failed";
      const recovery = `kitaru executions retry ${command.execId}`;
      if (json) {
        emit("terminal", {
          status: "failed",
          message,
          exception_type: failure?.exceptionType || null,
          origin: failure?.origin ?? null,
          invocation_id: failure?.invocationId || null,
          traceback: failure?.traceback || null,
          recovery_command: recovery,
        });
      } else {
        const where = failure?.invocationId ? ` (checkpoint '${failure.invocationId}')` : "";
        io.out(`[Execution failed: ${failure?.exceptionType ? `${failure.exceptionType}: ` : ""}${message}${where}]`);
        if (failure?.traceback) for (const line of failure.traceback.trimEnd().split("\n")) io.out(`  ${line}`);
        io.out(`Retry it with: ${recovery}`);
      }
      return 1;
    }
    case "cancelled":
      if (json) emit("terminal", { status: "cancelled", message: "Execution cancelled" });
      else io.out("[Execution cancelled]");
      return 1;
    case "waiting": {
      const [wait] = await client.executions.pendingWaits(command.execId);
      const name = wait?.name ?? "unknown";
      if (name === lastWait) return lastWait;
      if (json) emit("waiting", { wait_name: name, wait_id: wait?.waitId ?? null, question: wait?.question || null });
      else io.out(`[Execution is waiting for input on: ${name}]`);
      return name;
    }
    case "running":
      return lastWait;
  }
}
