/**
 * The error a client raises when waiting on an execution that stopped at a
 * pending wait.
 *
 * @module
 */
import type { Wait } from "../../../../clients/ts/src/convert/wait.ts";
import { KitaruError, KitaruStateError, type KitaruErrorOptions } from "./kitaru-error.ts";

/** Class names of `value`'s prototype chain; the cross-copy `instanceof` of kitaru-error.ts. */
function classNames(value: unknown): string[] {
  if (!KitaruError.isKitaruError(value)) return [];
  const names: string[] = [];
  let proto = Object.getPrototypeOf(value) as { constructor?: { className?: string } } | null;
  while (proto) {
    const name = proto.constructor?.className;
    if (name) names.push(name);
    proto = Object.getPrototypeOf(proto) as typeof proto;
  }
  return names;
}

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
export class KitaruPendingWaitError extends KitaruStateError {
  static override readonly className: string = "KitaruPendingWaitError";
  static override [Symbol.hasInstance] = (value: unknown): boolean =>
    classNames(value).includes("KitaruPendingWaitError");
  override readonly name: string = "KitaruPendingWaitError";
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
