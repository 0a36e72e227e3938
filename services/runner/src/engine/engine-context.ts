/**
 * What the engine's parts share: one store, one value codec, one event bus,
 * the flows, and the one path for state changes. Built once by
 * {@link RunnerEngine}; every part takes it instead of wiring these itself.
 *
 * @module
 */
import type { ExecutionStore } from "../store/execution-store.ts";
import { ValueCodec } from "../store/value-codec.ts";
import { ExecutionEventBus } from "./execution-events.ts";
import { ExecutionTransitions } from "./execution-transitions.ts";
import type { FlowRegistry } from "./flow-registry.ts";

/** The engine's shared dependencies. */
export interface EngineContext {
  readonly store: ExecutionStore;
  /** How durable values are stored and read (value-codec.ts). */
  readonly values: ValueCodec;
  /** In-process events, for watchers and the scheduler. */
  readonly bus: ExecutionEventBus;
  readonly flows: FlowRegistry;
  /** Writes and announces state changes. */
  readonly transitions: ExecutionTransitions;
}

/** The context of an engine over `store` serving `flows`. */
export function createEngineContext(store: ExecutionStore, flows: FlowRegistry): EngineContext {
  const bus = new ExecutionEventBus();
  return { store, flows, bus, values: new ValueCodec(store), transitions: new ExecutionTransitions(store, bus) };
}
