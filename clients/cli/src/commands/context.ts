/**
 * What every command gets: the terminal and an open client.
 *
 * @module
 */
import type { ExecutionsClient, FlowsClient, ReplayJobsClient } from "../../../ts/src/index.ts";
import type { CliIo } from "../io.ts";
import type { Command } from "../parse-args.ts";

/** The part of `KitaruClient` the CLI uses; tests pass fakes of it. */
export interface CliClient {
  readonly executions: Pick<
    ExecutionsClient,
    | "get"
    | "list"
    | "latest"
    | "pendingWaits"
    | "input"
    | "abortWait"
    | "retry"
    | "cancel"
    | "replay"
    | "planReplay"
    | "watch"
    | "logs"
    | "followLogs"
    | "lineage"
    | "compare"
    | "verify"
    | "history"
  >;
  readonly flows: Pick<FlowsClient, "run" | "list">;
  readonly replayJobs: Pick<ReplayJobsClient, "start" | "plan" | "get" | "list" | "items" | "cancel" | "watch">;
  close(): Promise<void>;
}

/** Opens a client; called once per command, closed by the dispatcher. */
export type ClientFactory = () => CliClient;

/** The terminal and the client a command runs with. */
export interface CommandContext {
  readonly io: CliIo;
  readonly client: CliClient;
}

/** A command of the given kind, narrowed from {@link Command}. */
export type CommandOf<K extends Command["kind"]> = Extract<Command, { kind: K }>;

/** Runs one command; resolves to the exit code (errors thrown are printed by the dispatcher, exit 1). */
export type CommandRunner<K extends Command["kind"]> = (command: CommandOf<K>, context: CommandContext) => Promise<number>;
