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
  #value: Promise<unknown> | (() => Promise<unknown>);
  readonly #outputNames: readonly string[];

  /**
   * @private Created by the engine when a call is issued. `value` is the
   * output, or a function that produces it on first use (a reused call's
   * recorded output is parsed only if the flow or an executed call needs it).
   */
  constructor(init: {
    runtime: FlowRuntime;
    invocationId: string;
    value: Promise<unknown> | (() => Promise<unknown>);
    outputNames: readonly string[];
    outputName?: string;
  }) {
    this.#runtime = init.runtime;
    this.invocationId = init.invocationId;
    this.#value = init.value;
    this.#outputNames = init.outputNames;
    this.outputName = init.outputName;
    if (typeof init.value !== "function") unhandledIsFine(init.value);
  }

  /** The output (produced now if it is produced on first use). */
  #settled(): Promise<unknown> {
    if (typeof this.#value === "function") this.#value = unhandledIsFine(this.#value());
    return this.#value;
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
      value: () => this.#settled(),
      outputNames: [],
      outputName: name,
    });
  }

  /** @private The value without recording a load (used for data edges). */
  resolveWithoutLoad(): Promise<T> {
    const name = this.outputName;
    return this.#settled().then((value) => (name === undefined ? value : (value as Record<string, unknown>)[name]) as T);
  }
}

/**
 * Returns `value` after marking its rejection handled: a handle nobody awaits
 * must not crash the process with an unhandled rejection; the failure still
 * reaches the flow through any await or dependent call.
 */
function unhandledIsFine(value: Promise<unknown>): Promise<unknown> {
  value.catch(() => undefined);
  return value;
}

/** A value, its handle, or arrays/objects of such: what checkpoint arguments accept. */
export type Resolvable<T> =
  | T
  | OutputHandle<T>
  | (T extends readonly (infer E)[] ? readonly Resolvable<E>[] : T extends object ? { [P in keyof T]: Resolvable<T[P]> } : never);

/**
 * A copy of a checkpoint argument with `replace` applied to every instance of
 * `type` in it (arrays and plain objects are searched and copied; any other
 * value is kept as it is).
 */
function mapInstances<T>(value: unknown, type: abstract new (...args: never[]) => T, replace: (found: T) => unknown): unknown {
  if (value instanceof type) return replace(value);
  if (Array.isArray(value)) return value.map((item) => mapInstances(item, type, replace));
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapInstances(item, type, replace)]));
  }
  return value;
}

/** Where a handle was in a checkpoint's arguments, in the copy {@link resolveArguments} keeps. */
class HandleSlot {
  constructor(readonly index: number) {}
}

/**
 * The invocation IDs of the output handles anywhere in checkpoint arguments,
 * in first-seen order: the call's data dependencies. All a reused call needs
 * of its arguments.
 *
 * @private
 */
export function argumentDependencies(args: readonly unknown[]): string[] {
  const dependencies: string[] = [];
  let seen: Set<string> | undefined; // only once there are many
  const add = (handle: OutputHandle<unknown>) => {
    const id = handle.invocationId;
    if (seen === undefined && dependencies.length >= 16) seen = new Set(dependencies);
    if (seen === undefined ? dependencies.includes(id) : seen.has(id)) return;
    dependencies.push(id);
    seen?.add(id);
  };
  for (const arg of args) {
    if (arg instanceof OutputHandle) add(arg);
    else mapInstances(arg, OutputHandle, add);
  }
  return dependencies;
}

/**
 * The arguments of a call that runs, with every output handle replaced by its
 * value. Their shape is taken now (a copy with the handles marked), the
 * values filled in once every handle has resolved.
 *
 * @private
 */
export function resolveArguments(args: readonly unknown[]): Promise<unknown[]> {
  const handles: OutputHandle<unknown>[] = [];
  const shape = args.map((arg) => mapInstances(arg, OutputHandle, (handle) => new HandleSlot(handles.push(handle) - 1)));
  return Promise.all(handles.map((handle) => handle.resolveWithoutLoad())).then((resolved) =>
    shape.map((arg) => mapInstances(arg, HandleSlot, (slot) => resolved[slot.index])),
  );
}
