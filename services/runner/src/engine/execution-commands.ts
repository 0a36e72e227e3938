import { KitaruNotFoundError, KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import type { ExecutionStore, NewExecution, StoreCallOptions } from "../store/execution-store.ts";
import type { ValueCodec } from "../store/value-codec.ts";
import type { EngineContext } from "./engine-context.ts";
import type { ExecutionRecord, ExecutionState, ExecutionStatus, WaitRecord } from "../store/records.ts";
import { crashPoint } from "./crash-points.ts";
import type { ExecutionEventBus } from "./execution-events.ts";
import type { ExecutionTransitions } from "./execution-transitions.ts";
import type { FlowRegistry } from "./flow-registry.ts";
import { execIdForRequest, newExecId } from "./ids.ts";
import { checkSameRequest, requestFingerprint } from "./request-fingerprint.ts";
import { checkFlowInput } from "./flow-input.ts";
import { selectPendingWait } from "./wait-selection.ts";
import { recordWaitAnswer } from "./wait-answers.ts";

/**
 * An execution as a caller names it: its ID, in the caller's namespace, with
 * the caller's signal (store calls made for the request stop when it aborts).
 */
export interface ExecutionRef {
  readonly execId: string;
  readonly namespace: string;
  readonly signal?: AbortSignal | undefined;
}

/** The namespace of an execution (records written before namespaces are in the default one). */
export function namespaceOf(execution: ExecutionRecord): string {
  return execution.namespace ?? DEFAULT_NAMESPACE;
}

/**
 * How a start inserts its execution: by default through
 * `ExecutionTransitions.create`; a runner's engine passes its scheduler's
 * `create`, which inserts the execution claimed when it can run it at once.
 */
export type CreateExecution = (execution: NewExecution, options: StoreCallOptions) => Promise<ExecutionRecord | undefined>;

/** Attempts at a compare-and-set transition before giving up under contention. */
const TRANSITION_ATTEMPTS = 20;

/** A transition to append, or an error explaining why the current state forbids it. */
type Decision = Omit<ExecutionState, "seq"> | KitaruStateError | "no-op";

/**
 * The state-changing operations on executions: start, input, abort, cancel,
 * retry. Each validates against the current state and appends one transition
 * (compare-and-set on the transition sequence), re-deciding on contention.
 */
export class ExecutionCommands {
  readonly #store: ExecutionStore;
  readonly #bus: ExecutionEventBus;
  readonly #flows: FlowRegistry;
  readonly #values: ValueCodec;
  readonly #transitions: ExecutionTransitions;
  /**
   * The input being handled by this process, per execution (by namespace and
   * execution ID): inputs racing for one execution queue behind it. It
   * resolves with the waits as it left them, so the inputs queued behind it
   * are decided against that state without reading the store.
   */
  readonly #inputs = new Map<string, Promise<InputOutcome>>();

  readonly #create: CreateExecution;

  constructor(context: EngineContext, options?: { create?: CreateExecution }) {
    this.#store = context.store;
    this.#bus = context.bus;
    this.#flows = context.flows;
    this.#values = context.values;
    this.#transitions = context.transitions;
    this.#create = options?.create ?? ((execution, storeOptions) => context.transitions.create(execution, storeOptions));
  }

  /**
   * Reads an execution of the caller's namespace or throws not-found: one of
   * another namespace is "not found" too, so nothing says it exists.
   */
  async require(ref: ExecutionRef): Promise<ExecutionRecord> {
    const { execId } = ref;
    if (typeof execId !== "string" || execId.trim() === "") {
      throw new KitaruUsageError("`exec_id` must be a non-empty execution ID.");
    }
    const execution = await this.#store.getExecution(execId, { signal: ref.signal });
    if (execution === undefined || namespaceOf(execution) !== ref.namespace) {
      throw new KitaruNotFoundError(`Execution '${execId}' was not found.`, {
        resourceType: "execution",
        resourceName: execId,
        metadata: { execId },
      });
    }
    return execution;
  }

  /**
   * Inserts a new execution (a start's or a replay's) and announces it;
   * through the runner's scheduler, which creates it claimed when it can run
   * it at once. `undefined` when one with its ID exists already.
   */
  create(execution: NewExecution, options: StoreCallOptions): Promise<ExecutionRecord | undefined> {
    return this.#create(execution, options);
  }

  /**
   * Starts an execution of `flowName`. The input is validated by the flow's
   * schema first. With a `requestId` the execution ID is derived from it, so
   * the same request twice returns the same execution; `created` says
   * whether this call created it.
   */
  async start(request: {
    namespace: string;
    flowName: string;
    input: JsonObject;
    requestId?: string;
    signal?: AbortSignal;
  }): Promise<{ execution: ExecutionRecord; created: boolean }> {
    if (typeof request.flowName !== "string" || request.flowName.trim() === "") {
      throw new KitaruUsageError("`flow_name` must name a registered flow.");
    }
    const flow = this.#flows.get(request.flowName);
    checkFlowInput(flow, request.input, { what: `Invalid input for flow '${flow.name}'`, metadata: { flowName: flow.name } });
    const { namespace } = request;
    const execId = request.requestId ? execIdForRequest("start", namespace, request.requestId) : newExecId();
    const fingerprint = request.requestId ? requestFingerprint({ flowName: flow.name, input: request.input }) : undefined;
    const created = await this.create(
      {
        execId,
        namespace,
        flowName: flow.name,
        input: await this.#values.save(request.input, "The flow input", { signal: request.signal }),
        createdAt: new Date(),
        requestId: request.requestId || undefined,
        flowVersion: this.#flows.version,
        requestFingerprint: fingerprint,
      },
      { signal: request.signal },
    );
    if (created !== undefined) return { execution: created, created: true };
    const execution = await this.require({ execId, namespace, signal: request.signal });
    if (request.requestId && fingerprint) {
      checkSameRequest(execution, {
        requestId: request.requestId,
        fingerprint,
        what: "flow and input",
        fallbackMatches: execution.flowName === flow.name,
      });
    }
    return { execution, created: false };
  }

  /**
   * Accepts input for a pending wait. The value is checked against the wait's
   * schema before anything is written; exactly one of concurrent inputs wins
   * (the resolution is an insert keyed by the wait); the execution then
   * continues by itself.
   */
  async resolveWait(ref: ExecutionRef, selector: string, value: JsonValue): Promise<ExecutionRecord> {
    // Inputs racing in this process for one execution are served one at a time. One queued behind
    // an input that settled its wait is decided against the state that input left (it is ordered
    // right after it), so a thousand racing inputs cost one attempt's reads and writes, not a
    // thousand: the winner is not slowed down by the losers, and they lose at once.
    const key = `${ref.namespace}\u0000${ref.execId}`;
    for (let ahead = this.#inputs.get(key); ahead !== undefined; ) {
      const outcome = await ahead.catch(() => undefined);
      const current = this.#inputs.get(key);
      if (current !== undefined && current !== ahead) {
        ahead = current; // another queued input went first: wait for it in turn
        continue;
      }
      if (outcome !== undefined) {
        const { execution, waits, settled } = outcome;
        try {
          selectPendingWait(execution, waits, selector);
        } catch (error) {
          const trimmed = typeof selector === "string" ? selector.trim() : "";
          const named = settled.baseName === trimmed || settled.name === trimmed || settled.waitId === trimmed;
          throw error instanceof KitaruStateError && named ? alreadyResolved(execution, settled) : error;
        }
      }
      break; // the input ahead failed (invalid value, database), or another wait is pending: go ahead
    }
    const attempt = this.#resolveInput(ref, selector, value);
    this.#inputs.set(key, attempt);
    try {
      const outcome = await attempt;
      if (!outcome.won) throw alreadyResolved(outcome.execution, outcome.settled);
      return outcome.execution;
    } finally {
      if (this.#inputs.get(key) === attempt) this.#inputs.delete(key);
    }
  }

  /** Reads the execution and its waits, then resolves the selected one (see {@link resolveWait}). */
  async #resolveInput(ref: ExecutionRef, selector: string, value: JsonValue): Promise<InputOutcome> {
    const execution = await this.require(ref);
    const waits = await this.#store.listWaits(execution.execId, { signal: ref.signal });
    const wait = selectPendingWait(execution, waits, selector);
    return this.#resolveSelected(execution, waits, wait, value, ref.signal);
  }

  async #resolveSelected(
    execution: ExecutionRecord,
    waits: readonly WaitRecord[],
    wait: WaitRecord,
    value: JsonValue,
    signal: AbortSignal | undefined,
  ): Promise<InputOutcome> {
    const { execId } = execution;
    const { won, resolved } = await recordWaitAnswer({ store: this.#store, values: this.#values }, wait, value, { signal });
    const at = resolved.resolution?.at ?? new Date();
    const after = waits.map((w) => (w.name === wait.name ? resolved : w));
    // Lost to an input in another process: the wait is settled all the same (its value is not known here).
    if (!won) return { won: false, execution, waits: after, settled: wait };
    crashPoint("after-wait-resolution");
    this.#bus.publish({ kind: "wait_resolved", execId, at, wait: resolved });
    await this.#transition(execId, undefined, (state) =>
      state.status === "waiting" ? { kind: "resumed", status: "running", generation: state.generation, metadata: state.metadata, at: new Date() } : "no-op",
    );
    return { won: true, execution: await this.#read(execId), waits: after, settled: wait };
  }

  /** Aborts a pending wait: the resolution is recorded and the execution ends cancelled. */
  async abortWait(ref: ExecutionRef, selector: string): Promise<ExecutionRecord> {
    const execution = await this.require(ref);
    const { execId } = execution;
    const wait = selectPendingWait(execution, await this.#store.listWaits(execId, { signal: ref.signal }), selector);
    const at = new Date();
    if (!(await this.#store.resolveWait(execId, wait.name, { kind: "abort", at }, { signal: ref.signal }))) throw alreadyResolved(execution, wait);
    this.#bus.publish({ kind: "wait_resolved", execId, at, wait: { ...wait, resolution: { kind: "abort", at } } });
    await this.#transition(execId, undefined, (state) =>
      isActive(state.status) ? { kind: "cancelled", status: "cancelled", generation: state.generation, metadata: state.metadata, at, endedAt: at } : "no-op",
    );
    return this.#read(execId);
  }

  /** Cancels a running or waiting execution; a terminal one is a state error. */
  async cancel(ref: ExecutionRef): Promise<ExecutionRecord> {
    const { execId } = await this.require(ref);
    await this.#transition(execId, ref.signal, (state) => {
      if (!isActive(state.status)) {
        return new KitaruStateError(`Only running or waiting executions can be cancelled. Execution '${execId}' is currently '${state.status}'.`, {
          state: { execId, status: state.status, operation: "cancel" },
          metadata: { execId, status: state.status },
        });
      }
      const at = new Date();
      return { kind: "cancelled", status: "cancelled", generation: state.generation, metadata: state.metadata, at, endedAt: at };
    });
    return this.#read(execId);
  }

  /** Restarts a failed execution under the same ID; its completed calls are reused. */
  async retry(ref: ExecutionRef): Promise<ExecutionRecord> {
    const { execId } = await this.require(ref);
    await this.#transition(execId, ref.signal, (state) => {
      if (state.status !== "failed") {
        return new KitaruStateError(`Only failed executions can be retried. Execution '${execId}' is currently '${state.status}'.`, {
          state: { execId, status: state.status, operation: "retry" },
          metadata: { execId, status: state.status },
        });
      }
      return { kind: "retried", status: "running", generation: state.generation + 1, metadata: state.metadata, at: new Date() };
    });
    return this.#read(execId);
  }

  /** Appends the transition `decide` picks for the latest state; retries on contention. */
  async #transition(execId: string, signal: AbortSignal | undefined, decide: (state: ExecutionState) => Decision): Promise<void> {
    for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt++) {
      const execution = await this.#read(execId, signal);
      const decision = decide(execution.state);
      if (decision === "no-op") return;
      if (decision instanceof KitaruStateError) throw decision;
      if ((await this.#transitions.append(execId, execution.state, decision, { signal })) !== undefined) return;
    }
    throw new KitaruStateError(`Execution '${execId}' is changing too fast to update; try again.`, { metadata: { execId } });
  }

  /** Reads an execution already found in the caller's namespace (it is never deleted). */
  async #read(execId: string, signal?: AbortSignal): Promise<ExecutionRecord> {
    const execution = await this.#store.getExecution(execId, { signal });
    if (execution === undefined) throw new Error(`execution ${execId} vanished from the store`);
    return execution;
  }
}

/** How an input left its execution: the wait it settled (won, or lost to another process's input) and the waits after it. */
interface InputOutcome {
  readonly won: boolean;
  readonly execution: ExecutionRecord;
  readonly waits: readonly WaitRecord[];
  readonly settled: WaitRecord;
}

function isActive(status: ExecutionStatus): boolean {
  return status === "running" || status === "waiting";
}

function alreadyResolved(execution: ExecutionRecord, wait: WaitRecord): KitaruStateError {
  return new KitaruStateError(`Wait '${wait.name}' of execution '${execution.execId}' was already resolved by another input.`, {
    waitSelection: { execId: execution.execId, selector: wait.name, availableWaitNames: [], matchingWaitIds: [wait.waitId] },
    metadata: { execId: execution.execId, wait: wait.name, waitId: wait.waitId },
  });
}
