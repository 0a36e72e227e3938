/**
 * The error a client raises when waiting on an execution that stopped at a
 * pending wait.
 *
 * @module
 */
import { ErrorReason, kitaruError, KitaruStateError, type KitaruErrorOptions } from "#contract/errors/kitaru-error.ts";
import type { Wait } from "./convert/wait.ts";

function describe(execId: string, waits: readonly Wait[]): string {
  const [only] = waits;
  if (waits.length === 1 && only) {
    const question = only.question ? `: ${only.question}` : ".";
    return (
      `Execution '${execId}' is waiting for input at wait '${only.name}'${question} ` +
      `Answer it with \`kitaru executions input ${execId} --value '<json>'\` or ` +
      `\`client.executions.input("${execId}", { wait: "${only.name}", value })\`, then wait again.`
    );
  }
  const names = waits.map((w) => w.name).join(", ");
  return (
    `Execution '${execId}' is waiting for input at ${waits.length} waits (${names}). ` +
    `Answer each with \`client.executions.input("${execId}", { wait: "<name>", value })\` or ` +
    `\`kitaru executions input ${execId} --interactive\` ` +
    `(\`kitaru executions input ${execId} --value ...\` needs a single pending wait), then wait again.`
  );
}

/**
 * An execution the caller waited on stopped at one or more pending waits.
 *
 * Raised by `ExecutionHandle.wait()`, never sent on the wire. Nothing failed:
 * answer the waits listed in `pendingWaits` (`client.executions.input(...)` or
 * `kitaru executions input <id> --value ...`) and call `wait()` again.
 */
@kitaruError(ErrorReason.state)
export class KitaruPendingWaitError extends KitaruStateError {
  readonly execId: string;
  /** The waits pending when the execution stopped, oldest first. */
  readonly pendingWaits: readonly Wait[];

  constructor(options: KitaruErrorOptions & { execId: string; pendingWaits: readonly Wait[] }) {
    super(describe(options.execId, options.pendingWaits), {
      ...options,
      metadata: {
        execId: options.execId,
        waitNames: options.pendingWaits.map((w) => w.name).join(","),
        ...(options.metadata ?? {}),
      },
      state: { execId: options.execId, status: "waiting", operation: "wait" },
    });
    this.execId = options.execId;
    this.pendingWaits = options.pendingWaits;
  }
}
