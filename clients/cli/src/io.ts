/**
 * The terminal a command talks to, injected so commands run without one.
 *
 * @module
 */
import { createInterface, type Interface } from "node:readline/promises";

/** Where a command writes and (interactive commands only) reads. */
export interface CliIo {
  /** Writes one line (a trailing newline is added) to standard output. */
  out(line: string): void;
  /** Writes one line to standard error. */
  err(line: string): void;
  /**
   * Shows `prompt` and reads one line; `null` at end of input.
   * Rejects with {@link InterruptedError} on Ctrl-C.
   */
  readLine(prompt: string): Promise<string | null>;
  /** True when prompting makes sense: a TTY on both ends, or injected input. */
  readonly interactive: boolean;
}

/** The user pressed Ctrl-C at a prompt. */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
  constructor() {
    super("Interrupted.");
  }
}

/** A {@link CliIo} on the process's standard streams, with {@link ProcessIo.close} to release stdin. */
export interface ProcessIo extends CliIo {
  close(): void;
}

/** The process's stdin/stdout/stderr as a {@link CliIo}. */
export function createProcessIo(): ProcessIo {
  let rl: Interface | undefined;
  let ended = false;
  const readline = (): Interface => {
    if (rl === undefined) {
      rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
      rl.on("close", () => {
        ended = true;
      });
    }
    return rl;
  };
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    async readLine(prompt) {
      if (ended) return null;
      const reader = readline();
      const controller = new AbortController();
      return new Promise<string | null>((resolve, reject) => {
        const onSigint = (): void => {
          controller.abort();
          reject(new InterruptedError());
        };
        const onClose = (): void => resolve(null);
        reader.once("SIGINT", onSigint);
        reader.once("close", onClose);
        reader
          .question(prompt, { signal: controller.signal })
          .then(
            (answer) => resolve(answer),
            () => undefined, // aborted by SIGINT or closed: settled by the handlers above
          )
          .finally(() => {
            reader.off("SIGINT", onSigint);
            reader.off("close", onClose);
          });
      });
    },
    close() {
      rl?.close();
    },
  };
}
