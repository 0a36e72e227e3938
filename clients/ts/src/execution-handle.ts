/**
 * A handle on one execution: read it, follow it, wait for its result.
 *
 * @module
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { ExecutionEvent } from "./convert/event.ts";
import type { Execution } from "./convert/execution.ts";
import { executionOutcomeError } from "./execution-outcome.ts";
import { followToEnd, type ExecutionReader } from "./follow-execution.ts";

/** Options of {@link ExecutionHandle.wait}. */
export interface WaitOptions {
  /** Called once per event while waiting (progress display). */
  readonly onEvent?: ((event: ExecutionEvent) => void | Promise<void>) | undefined;
  /** Stops waiting (the execution itself goes on). */
  readonly signal?: AbortSignal | undefined;
}

/** Options of {@link ExecutionHandle.watch}. */
export interface HandleWatchOptions {
  /** Keep streaming while the execution waits for input; by default the stream ends when it waits. */
  readonly followWaits?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * A handle on one execution, returned by `flowClient(...).run()` and
 * `.replay()` and by `client.executions.handle(execId)`.
 *
 * Holding a handle costs nothing; every method reads the execution anew.
 */
export class ExecutionHandle<TResult = JsonValue> {
  readonly execId: string;
  readonly #reader: ExecutionReader;

  /** @private Use `client.executions.handle(execId)`. */
  constructor(reader: ExecutionReader, execId: string) {
    this.#reader = reader;
    this.execId = execId;
  }

  /** The execution now, with its checkpoint calls. */
  get(): Promise<Execution> {
    return this.#reader.get(this.execId, { view: "full" });
  }

  /**
   * Waits for the execution to finish and resolves to the flow's result.
   *
   * Rejects with `KitaruDivergenceError` (failed, origin divergence, with its
   * `detail`), `KitaruUserCodeError` (failed in user code),
   * `KitaruExecutionError` (failed otherwise, or cancelled), or
   * `KitaruPendingWaitError` when it stops at a pending wait: answer the wait,
   * then call `wait()` again.
   */
  async wait(options: WaitOptions = {}): Promise<TResult> {
    // Without onEvent: one stream of status changes, and a completion's result taken from it.
    const end = await followToEnd(this.#reader, this.execId, options);
    if (end.kind === "completed") return (end.result ?? null) as TResult;
    const execution = end.execution;
    const error = executionOutcomeError(execution);
    if (error !== undefined) throw error;
    // The flow's declared output type is the caller's promise; the runner
    // validated nothing about it, so this cast is where that trust sits.
    return (execution.result ?? null) as TResult;
  }

  /** The execution's events: its history first, then live events until it waits or ends. */
  watch(options: HandleWatchOptions = {}): AsyncIterable<ExecutionEvent> {
    return this.#reader.watch(this.execId, options);
  }
}
