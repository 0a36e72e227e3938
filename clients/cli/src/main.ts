/**
 * The `kitaru` command: wires the real terminal, client and services into
 * the dispatcher. The only place that calls `process.exit`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { KitaruClient } from "../../ts/src/index.ts";
import { runCli } from "./cli.ts";
import type { ServiceName } from "./parse-args.ts";
import type { LocalVerifierLoader } from "./commands/executions-verify.ts";
import { createProcessIo } from "./io.ts";

/** This module's extension: `.ts` from the sources, `.js` from the package's dist/. */
const EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** Entry points of the services, relative to this file. */
const SERVICE_MAIN = {
  runner: `../../../services/runner/src/main${EXTENSION}`,
  planner: `../../../services/planner/src/main${EXTENSION}`,
  console: `../../../services/console/src/main${EXTENSION}`,
} as const;

interface ServiceModule {
  main(argv: string[]): Promise<void>;
}

/** The runner's check of executions against a local flows module, loaded for `executions verify --flows` only. */
const LOCAL_VERIFIER = `../../../services/runner/src/local-verifier${EXTENSION}`;

interface LocalVerifierModule {
  openLocalVerifier: LocalVerifierLoader;
}

/** Imports a service only when asked for, so client commands never load server code. */
async function startService(service: ServiceName, argv: readonly string[]): Promise<void> {
  // A computed specifier keeps the client's type check independent of the
  // services' sources; the module shape is checked by ServiceModule.
  const specifier: string = SERVICE_MAIN[service];
  const module = (await import(specifier)) as ServiceModule;
  await module.main([...argv]);
  // The service has shut down and handed its executions back. Checkpoint code it
  // abandoned (a blocked call, a timer) must not keep the process alive.
  process.exit(0);
}

/**
 * Runs `kitaru` with `argv` (default: the process arguments) and exits with
 * its code; `kitaru runner|planner|console` serve until SIGINT/SIGTERM, then exit 0.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // `kitaru executions watch ... | head`: the reader went away; stop quietly like other CLIs.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  const io = createProcessIo();
  let code: number | undefined;
  try {
    code = await runCli(argv, {
      io,
      createClient: () => new KitaruClient(),
      startService,
      readFile: (path) => readFileSync(path, "utf8"),
      loadVerifier: async (modulePath, options) => {
        const specifier: string = LOCAL_VERIFIER; // computed: the client's type check stays independent of the runner's sources
        return ((await import(specifier)) as LocalVerifierModule).openLocalVerifier(modulePath, options);
      },
    });
  } finally {
    io.close();
  }
  if (code === undefined) return;
  // Let piped output drain before exiting.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) await main();
