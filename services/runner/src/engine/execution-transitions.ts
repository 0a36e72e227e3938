/**
 * The one path an execution's state changes take: write it to the store
 * (an insert with a deterministic key, so a compare-and-set), and when it was
 * written, publish it to this process's watchers and scheduler.
 *
 * @module
 */
import { createdState, type ExecutionStore, type InsertExecutionOptions, type NewExecution, type StoreCallOptions } from "../store/execution-store.ts";
import type { ExecutionRecord, ExecutionState } from "../store/records.ts";
import type { ExecutionEventBus } from "./execution-events.ts";

/** Writes state changes and announces the ones that were written. */
export class ExecutionTransitions {
  readonly #store: ExecutionStore;
  readonly #bus: ExecutionEventBus;

  constructor(store: ExecutionStore, bus: ExecutionEventBus) {
    this.#store = store;
    this.#bus = bus;
  }

  /**
   * Inserts a new execution and announces its latest state; `undefined` when
   * one with that ID exists already (an idempotent repeat). With
   * `options.claimed` the execution is created claimed (its first two
   * transitions in one write) and the claimed state is its state.
   */
  async create(execution: NewExecution, options?: InsertExecutionOptions): Promise<ExecutionRecord | undefined> {
    if (!(await this.#store.insertExecution(execution, options))) return undefined;
    // What was inserted, not read back: a replay's record holds its whole plan (thousands of entries).
    // Undefined fields are left out, as a read would return them.
    const first = createdState(execution);
    const state = options?.claimed === undefined ? first : withoutUndefined({ ...options.claimed, seq: first.seq + 1 });
    const record = withoutUndefined({ ...execution, state }) as ExecutionRecord;
    this.#announce(execution.execId, record.state);
    return record;
  }

  /**
   * Appends `next` after `expected` and announces it; `undefined` (nothing
   * announced) when another writer appended first.
   *
   * What every state carries from the one before unless `next` sets it: the
   * flow versions that ran the body, and a version hold while the execution
   * is running (`next` clears it by naming `versionHold` as undefined).
   */
  async append(execId: string, expected: ExecutionState, next: Omit<ExecutionState, "seq">, options?: StoreCallOptions): Promise<ExecutionState | undefined> {
    const carried: Omit<ExecutionState, "seq"> = {
      ...next,
      flowVersionRuns: next.flowVersionRuns ?? expected.flowVersionRuns,
      versionHold: "versionHold" in next ? next.versionHold : next.status === "running" ? expected.versionHold : undefined,
    };
    for (const key of ["flowVersionRuns", "versionHold"] as const) if (carried[key] === undefined) delete (carried as Record<string, unknown>)[key];
    const state = await this.#store.appendTransition(execId, expected, carried, options);
    if (state !== undefined) this.#announce(execId, state);
    return state;
  }

  #announce(execId: string, state: ExecutionState): void {
    this.#bus.publish({ kind: "status_changed", execId, at: state.at, state });
  }
}

/** `value` without its undefined members, as a read from the store returns it. */
function withoutUndefined<T extends object>(value: T): T {
  const copy = { ...value } as Record<string, unknown>;
  for (const key of Object.keys(copy)) if (copy[key] === undefined) delete copy[key];
  return copy as T;
}
