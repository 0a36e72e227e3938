import type { z } from "zod";
import { KitaruError } from "#contract/errors/index.ts";
import { checkListenAddress, explainListenError, ListenAddressError } from "./listen-errors.ts";
import { parentExit, startedByNpm } from "./parent-exit.ts";
import { parseServiceCommand, type SettingSource } from "./service-config.ts";

/** A service as a process: its command line, how to start it, and how to stop it. */
export interface ServiceProcess<S extends z.ZodType> {
  /** "runner" or "planner": prefixes log lines. */
  readonly name: string;
  readonly help: string;
  readonly schema: S;
  readonly settings: Readonly<Record<string, SettingSource>>;
  /** Starts serving; returns how to stop. `log` writes one line to stderr. */
  start(config: z.output<S>, log: (message: string) => void): Promise<{ stop(): Promise<void> }>;
}

/**
 * Runs a service from its command line until SIGINT or SIGTERM (or, when npm
 * started it, until npm's shell exits: parent-exit.ts), then stops it
 * gracefully. A bad flag or setting exits with code 2 and a message naming it.
 * A set-up failure while starting (the port is taken, the database or the
 * flows module cannot be loaded: a `KitaruError` from `start`, or a
 * `ListenAddressError`) exits with code 1 and one line
 * `kitaru <service>: <what and how to fix it>`; anything else is thrown.
 * Returns once the service has stopped; the caller exits the process.
 */
export async function runServiceProcess<S extends z.ZodType>(argv: readonly string[], service: ServiceProcess<S>): Promise<void> {
  const log = (message: string) => process.stderr.write(`[kitaru ${service.name}] ${message}\n`);
  let command: ReturnType<typeof parseServiceCommand<S>>;
  try {
    command = parseServiceCommand(argv, { schema: service.schema, settings: service.settings, help: service.help, env: process.env });
  } catch (error) {
    process.stderr.write(`Error: ${KitaruError.isKitaruError(error) ? error.message : String(error)}\n`);
    process.exit(2);
  }
  if (command.kind === "help") {
    process.stdout.write(command.text);
    return;
  }
  let running: { stop(): Promise<void> };
  try {
    // The address first: a taken port is reported before the database or the flows are loaded.
    const { host, port } = command.config as { host?: unknown; port?: unknown };
    if (typeof host === "string" && typeof port === "number") await checkListenAddress(host, port);
    running = await service.start(command.config, log);
  } catch (error) {
    const failure = error instanceof ListenAddressError ? explainListenError(error, { service: service.name, ...service.settings }) : error;
    if (!KitaruError.isKitaruError(failure)) throw error;
    process.stderr.write(`kitaru ${service.name}: ${failure.message}\n`);
    process.exit(1);
  }
  const parent = parentExit(startedByNpm());
  const reason = await Promise.race([
    new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    }),
    parent.exited.then((pid) => `the npm process that started it (its shell, pid ${pid}) exited`),
  ]);
  parent.cancel();
  log(`${reason}: shutting down`);
  await running.stop();
}
