import type { z } from "zod";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { currentFlowRuntime, type CallOptions } from "./flow-runtime.ts";
import type { OutputHandle, Resolvable } from "./output-handle.ts";

/** How a checkpoint retries a failed attempt. */
export interface CheckpointOptions {
  /** Extra attempts after the first failure; default 0 (no retry). */
  readonly retries?: number;
  /** Delay before the first retry, in milliseconds; default 1000. */
  readonly retryDelayMs?: number;
  /** Each further retry waits this many times longer; default 2. */
  readonly backoffFactor?: number;
  /** Upper bound of a retry delay, in milliseconds; default 60000. */
  readonly maxRetryDelayMs?: number;
  /**
   * Names of the outputs of a multi-output checkpoint. The function then
   * returns an object with exactly these keys, and `handle.output(name)`
   * selects one. Omit for a single output.
   */
  readonly outputs?: readonly string[];
  /**
   * The zod schema of what the checkpoint returns. Each output is checked
   * against it when the function returns (a mismatch fails the call, not
   * retried), and a replay's override of the checkpoint must fit it, or the
   * replay is refused before anything is created (unless the request allows
   * a type change). Without it, an override must have the JSON type of the
   * output it replaces.
   */
  readonly outputSchema?: z.ZodType;
}

/** The resolved settings of a checkpoint. @private */
export interface CheckpointDefinition {
  readonly name: string;
  readonly fn: (...args: unknown[]) => unknown;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly backoffFactor: number;
  readonly maxRetryDelayMs: number;
  readonly outputs: readonly string[];
  readonly outputSchema: z.ZodType | undefined;
}

/**
 * A checkpoint: call it from a flow body to issue a durable call.
 *
 * Each call returns an {@link OutputHandle} at once. The function runs only
 * when the call has no recorded output: on recovery, retry of a failed
 * execution, or for calls a replay reuses, the recorded output (or the
 * replay's override) is returned and the function is not run.
 */
export interface Checkpoint<A extends unknown[], R> {
  (...args: { [K in keyof A]: Resolvable<A[K]> }): OutputHandle<R>;
  /** Issues a call with options, e.g. an explicit invocation ID. */
  call(options: CallOptions, ...args: { [K in keyof A]: Resolvable<A[K]> }): OutputHandle<R>;
  /** The checkpoint name. */
  readonly checkpointName: string;
}

/**
 * Defines a checkpoint named `name` around `fn`.
 *
 * Arguments and the return value must be JSON-serializable. Calling the
 * checkpoint outside a flow body, or inside another checkpoint, throws a
 * `KitaruContextError`.
 *
 * @example
 * ```ts
 * const research = checkpoint("research", async (topic: string) => `notes on ${topic}`, { retries: 2 });
 * ```
 */
export function checkpoint<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => R | Promise<R>,
  options: CheckpointOptions = {},
): Checkpoint<A, Awaited<R>> {
  const definition = defineCheckpoint(name, fn as (...args: unknown[]) => unknown, options);
  const issue = (callOptions: CallOptions, args: readonly unknown[]) =>
    currentFlowRuntime(`checkpoint '${name}'`).issueCheckpoint(definition, args, callOptions) as OutputHandle<Awaited<R>>;
  const callable = ((...args: unknown[]) => issue({}, args)) as Checkpoint<A, Awaited<R>>;
  Object.defineProperty(callable, "checkpointName", { value: name, enumerable: true });
  Object.defineProperty(callable, "call", { value: (callOptions: CallOptions, ...args: unknown[]) => issue(callOptions, args) });
  return callable;
}

function defineCheckpoint(name: string, fn: (...args: unknown[]) => unknown, options: CheckpointOptions): CheckpointDefinition {
  if (typeof name !== "string" || name.trim() === "" || name !== name.trim()) {
    throw new KitaruUsageError(`A checkpoint name must be a non-empty string without surrounding blanks; got '${String(name)}'.`);
  }
  const nonNegative = (value: number | undefined, fallback: number, field: string): number => {
    const resolved = value ?? fallback;
    if (!Number.isFinite(resolved) || resolved < 0) {
      throw new KitaruUsageError(`Checkpoint '${name}': \`${field}\` must be a non-negative number; got ${String(value)}.`);
    }
    return resolved;
  };
  const outputs = options.outputs ?? [];
  if (new Set(outputs).size !== outputs.length || outputs.some((o) => o === "")) {
    throw new KitaruUsageError(`Checkpoint '${name}': \`outputs\` must be distinct non-empty names.`);
  }
  return {
    name,
    fn,
    retries: Math.floor(nonNegative(options.retries, 0, "retries")),
    retryDelayMs: nonNegative(options.retryDelayMs, 1000, "retryDelayMs"),
    backoffFactor: Math.max(1, nonNegative(options.backoffFactor, 2, "backoffFactor")),
    maxRetryDelayMs: nonNegative(options.maxRetryDelayMs, 60_000, "maxRetryDelayMs"),
    outputs,
    outputSchema: declareOutput(name, options.outputSchema),
  };
}

/** The output schemas declared by the checkpoints defined in this process, by checkpoint name. */
const declaredOutputs = new Map<string, Set<z.ZodType>>();

function declareOutput(name: string, schema: z.ZodType | undefined): z.ZodType | undefined {
  if (schema === undefined) return undefined;
  if (typeof (schema as { safeParse?: unknown }).safeParse !== "function") {
    throw new KitaruUsageError(`Checkpoint '${name}': \`output\` must be a zod schema, e.g. z.string().`);
  }
  const schemas = declaredOutputs.get(name) ?? new Set();
  schemas.add(schema);
  declaredOutputs.set(name, schemas);
  return schema;
}

/**
 * The output schemas that checkpoints named `name` declared with
 * `checkpoint(name, fn, { outputSchema })` in this process (the runner's flows
 * module): none when no checkpoint of that name declared one. A replay's
 * override value must fit each. @private
 */
export function declaredOutputSchemas(name: string): readonly z.ZodType[] {
  return [...(declaredOutputs.get(name) ?? [])];
}
