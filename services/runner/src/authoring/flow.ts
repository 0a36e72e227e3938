import type { z } from "zod";
// The client is a separate layer: only its public entry, and only its types
// here; `run()`/`replay()` load it on first use (test/architecture checks this).
import type { ExecutionHandle, KitaruClient } from "kitaru/client";
import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";
import type { JsonObject } from "./json-value.ts";

/** Options for `flowObject.replay(...)`, shaped like the client's replay. */
export interface FlowReplayOptions {
  /** The source execution ID. */
  readonly execId: string;
  /** Checkpoint selector: name, invocation ID or call ID. */
  readonly from: string;
  /** Input fields shallow-merged onto the source input. */
  readonly args?: JsonObject;
  /** Overrides keyed `checkpoint.<selector>`; values are JSON. */
  readonly overrides?: JsonObject;
  /** Accept override values of another type than the outputs they replace. */
  readonly allowOverrideTypeChange?: boolean;
  /** Idempotency key. */
  readonly requestId?: string;
}

/**
 * A registered flow: a named async function over a zod-validated input.
 *
 * Export it from the module given to `kitaru runner --flows`; the runner
 * registers every exported flow. From a client process, `run()` and
 * `replay()` start executions through the services and return a handle whose
 * `wait()` gives the result; `execute()` runs one to its end in one call.
 */
export interface Flow<I extends z.ZodType, R> {
  /** Marks flow objects among a module's exports. @private */
  readonly kind: "kitaru.flow";
  /** The flow name executions refer to. */
  readonly name: string;
  /** Validates (and may transform) the input of every execution. */
  readonly inputSchema: I;
  /** @private The body the runner executes. */
  readonly body: (input: z.output<I>) => Promise<R>;
  /** Starts an execution through the runner service and returns its handle. */
  run(input: z.input<I>, options?: FlowCallOptions): Promise<ExecutionHandle<R>>;
  /** Runs an execution to its end through the runner service, in one call, and resolves to its result (rejects as `handle.wait()` does). */
  execute(input: z.input<I>, options?: FlowCallOptions): Promise<R>;
  /** Replays an earlier execution of this flow; returns the new execution's handle. */
  replay(options: FlowReplayOptions & FlowCallOptions): Promise<ExecutionHandle<R>>;
}

/** Options of a flow object's `run` and `replay`. */
export interface FlowCallOptions {
  /** Idempotency key. */
  readonly requestId?: string;
  /** The client to use; default one configured from KITARU_RUNNER_URL / KITARU_PLANNER_URL. */
  readonly client?: KitaruClient;
}

/**
 * Defines a flow named `name`.
 *
 * The body runs in a runner, possibly several times (after a crash, after a
 * wait, on replay): keep it deterministic and put side effects and
 * non-determinism (time, randomness, I/O) inside checkpoints.
 *
 * @example
 * ```ts
 * export const contentPipeline = flow("content_pipeline", { input: z.object({ topic: z.string() }) }, async ({ topic }) => {
 *   const notes = research(topic);
 *   return await publish(writeDraft(notes));
 * });
 * ```
 */
export function flow<I extends z.ZodType, R>(name: string, options: { readonly input: I }, body: (input: z.output<I>) => Promise<R>): Flow<I, R> {
  if (typeof name !== "string" || name.trim() === "" || name !== name.trim()) {
    throw new KitaruUsageError(`A flow name must be a non-empty string without surrounding blanks; got '${String(name)}'.`);
  }
  // Loaded on first use: a runner process never needs the client.
  const bind = async (client: KitaruClient | undefined) => (await import("kitaru/client")).flowClient<JsonObject, R>(name, { client });
  return {
    kind: "kitaru.flow",
    name,
    inputSchema: options.input,
    body,
    async run(input, runOptions = {}) {
      // Inputs are JSON objects by contract; the runner validates them with `inputSchema`.
      return (await bind(runOptions.client)).run(input as JsonObject, { requestId: runOptions.requestId });
    },
    async execute(input, runOptions = {}) {
      return (await bind(runOptions.client)).execute(input as JsonObject, { requestId: runOptions.requestId });
    },
    async replay({ client, ...replayOptions }) {
      return (await bind(client)).replay(replayOptions);
    },
  };
}

/** True for flow objects created by {@link flow}. @private */
export function isFlow(value: unknown): value is Flow<z.ZodType, unknown> {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "kitaru.flow";
}
