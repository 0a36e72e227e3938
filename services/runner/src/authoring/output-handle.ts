import type { FlowRuntime } from "./flow-runtime.ts";

/**
 * The output of a checkpoint call, returned at once when the call is issued.
 *
 * Awaiting it (or calling {@link OutputHandle.load}) gives the value and
 * records a *load edge*: every checkpoint issued afterwards depends on this
 * call. Passing the handle itself (or an object or array containing it) to
 * another checkpoint records a *data edge* instead, and the callee receives
 * the value. Pass handles rather than awaited values to keep lineage precise:
 * a replay then re-executes only true descendants.
 *
 * @example
 * ```ts
 * const notes = research(input.topic);      // OutputHandle<string>
 * const draft = writeDraft(notes);          // data edge research → write_draft
 * return await publish(draft);              // load edge (nothing issued after it)
 * ```
 */
export class OutputHandle<T> implements PromiseLike<T> {
  /** The invocation ID of the call that produces this output. */
  readonly invocationId: string;
  /** The output name, for one output of a multi-output checkpoint. */
  readonly outputName: string | undefined;
  readonly #runtime: FlowRuntime;
  readonly #value: Promise<unknown>;
  readonly #outputNames: readonly string[];

  /** @private Created by the engine when a call is issued. */
  constructor(init: {
    runtime: FlowRuntime;
    invocationId: string;
    value: Promise<unknown>;
    outputNames: readonly string[];
    outputName?: string;
  }) {
    this.#runtime = init.runtime;
    this.invocationId = init.invocationId;
    this.#value = init.value;
    this.#outputNames = init.outputNames;
    this.outputName = init.outputName;
    // A handle nobody awaits must not crash the process with an unhandled rejection;
    // the failure still reaches the flow through any await or dependent call.
    this.#value.catch(() => undefined);
  }

  /** Loads the value; records a load edge. */
  // biome-ignore lint/suspicious/noThenProperty: a handle is awaited on purpose (a thenable): awaiting it is the load edge
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#runtime.noteLoad(this.invocationId);
    return this.resolveWithoutLoad().then(onFulfilled, onRejected);
  }

  /** Same as `await handle`: loads the value and records a load edge. */
  load(): Promise<T> {
    return this.then((value) => value);
  }

  /**
   * The handle of one named output of a multi-output checkpoint.
   * Throws when the checkpoint declared no output of that name.
   */
  output<K extends keyof T & string>(name: K): OutputHandle<T[K]> {
    if (!this.#outputNames.includes(name)) {
      const declared = this.#outputNames.length === 0 ? "a single output" : `outputs ${this.#outputNames.join(", ")}`;
      throw new TypeError(`Checkpoint call '${this.invocationId}' has ${declared}; it has no output '${name}'.`);
    }
    return new OutputHandle<T[K]>({
      runtime: this.#runtime,
      invocationId: this.invocationId,
      value: this.#value,
      outputNames: [],
      outputName: name,
    });
  }

  /** @private The value without recording a load (used for data edges). */
  resolveWithoutLoad(): Promise<T> {
    const name = this.outputName;
    return this.#value.then((value) => (name === undefined ? value : (value as Record<string, unknown>)[name]) as T);
  }
}

/** A value, its handle, or arrays/objects of such: what checkpoint arguments accept. */
export type Resolvable<T> =
  | T
  | OutputHandle<T>
  | (T extends readonly (infer E)[] ? readonly Resolvable<E>[] : T extends object ? { [P in keyof T]: Resolvable<T[P]> } : never);

/**
 * Finds the output handles anywhere in checkpoint arguments (arrays and plain
 * objects are searched) and returns their invocation IDs, in first-seen order,
 * plus a function that resolves the arguments with every handle replaced by
 * its value (called for a call that runs, not for one reused or journaled).
 *
 * @private
 */
export function resolveArguments(args: readonly unknown[]): { dependencies: string[]; values: () => Promise<unknown[]> } {
  const dependencies: string[] = [];
  const handles: OutputHandle<unknown>[] = [];
  const seen = new Set<string>();
  const visit = (value: unknown): (() => unknown) => {
    if (value instanceof OutputHandle) {
      if (!seen.has(value.invocationId)) {
        seen.add(value.invocationId);
        dependencies.push(value.invocationId);
      }
      const index = handles.push(value) - 1;
      return () => settled[index];
    }
    if (Array.isArray(value)) {
      const items = value.map(visit);
      return () => items.map((item) => item());
    }
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      const entries = Object.entries(value).map(([key, item]) => [key, visit(item)] as const);
      return () => Object.fromEntries(entries.map(([key, item]) => [key, item()]));
    }
    return () => value;
  };
  let settled: unknown[] = [];
  const builders = args.map(visit);
  // Only a call that runs needs its arguments (a reused one does not wait for them).
  const values = () =>
    Promise.all(handles.map((handle) => handle.resolveWithoutLoad())).then((resolved) => {
      settled = resolved;
      return builders.map((build) => build());
    });
  return { dependencies, values };
}
