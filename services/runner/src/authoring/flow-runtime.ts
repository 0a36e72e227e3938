import { AsyncLocalStorage } from "node:async_hooks";
import { KitaruContextError } from "#contract/errors/index.ts";
import type { LogLevel } from "#contract/log-level.ts";
import type { JsonObject, JsonValue } from "./json-value.ts";
import type { OutputHandle } from "./output-handle.ts";
import type { CheckpointDefinition } from "./checkpoint.ts";
import type { z } from "zod";

/** Options of one checkpoint call. */
export interface CallOptions {
  /** Explicit invocation ID instead of `name`, `name_2`, ...; must be unique in the execution. */
  readonly id?: string;
}

/** What a flow body asks of a wait. */
export interface WaitRequest {
  readonly name: string;
  readonly question?: string;
  readonly schema?: z.ZodType;
  readonly metadata?: JsonObject;
}

/**
 * The engine's side of a running flow body: what `checkpoint()`, `wait()`,
 * `log()` and output handles call into. Implemented by the runner's engine;
 * not part of the public authoring API.
 *
 * @private
 */
export interface FlowRuntime {
  /** Issues one checkpoint call and returns its output handle at once. */
  issueCheckpoint(definition: CheckpointDefinition, args: readonly unknown[], options: CallOptions): OutputHandle<unknown>;
  /** Records that the flow body loaded the output of `invocationId`. */
  noteLoad(invocationId: string): void;
  /** Suspends until the wait is resolved; returns the accepted value. */
  wait(request: WaitRequest): Promise<JsonValue>;
  /** Attaches metadata to the execution, or to the checkpoint call `invocationId`. */
  log(metadata: JsonObject, invocationId?: string): void;
  /** A log line the flow body wrote (not inside a checkpoint); not stored, as the body may run several times. */
  writeFlowLog(level: LogLevel, message: string): void;
}

/** Severity of a log line. */
export type { LogLevel };

/** Where a log line came from: captured `console.*` output or the `logger` of the authoring API. */
export type LogSource = "console" | "logger";

/**
 * One running attempt of a checkpoint call, as its code sees it. Created by
 * the engine for each attempt. @private
 */
export interface CheckpointAttempt {
  readonly execId: string;
  readonly name: string;
  readonly invocationId: string;
  /** 1 for the first attempt, then 2, 3, ... */
  readonly attempt: number;
  /** Aborted when the execution is cancelled, or the runner stops or loses its claim. */
  readonly signal: AbortSignal;
  /** Records one log line of this attempt. */
  writeLog(level: LogLevel, message: string, source: LogSource): void;
}

const SCOPES_KEY = Symbol.for("kitaru.flowScopes");

type Scope =
  | { readonly kind: "flow"; readonly runtime: FlowRuntime }
  | { readonly kind: "checkpoint"; readonly name: string; readonly invocationId: string; readonly runtime: FlowRuntime; readonly attempt: CheckpointAttempt };

/**
 * Which flow body or checkpoint the current code runs in. One per process,
 * shared through a global symbol: a flows module may load its own copy of this
 * package (tsx loads a TypeScript flows module of a CommonJS project in a
 * loader namespace of its own), and its `checkpoint()` calls must still find
 * the run the engine started.
 */
const processScopes = globalThis as { [SCOPES_KEY]?: AsyncLocalStorage<Scope> };
processScopes[SCOPES_KEY] ??= new AsyncLocalStorage<Scope>();
const scopes: AsyncLocalStorage<Scope> = processScopes[SCOPES_KEY];

/** Runs a flow body with `runtime` as its engine. @private */
export function runInFlow<T>(runtime: FlowRuntime, body: () => Promise<T>): Promise<T> {
  return scopes.run({ kind: "flow", runtime }, body);
}

/** Runs one attempt of a checkpoint function; checkpoint() and wait() refuse to run inside it. @private */
export function runInCheckpoint<T>(runtime: FlowRuntime, attempt: CheckpointAttempt, fn: () => Promise<T>): Promise<T> {
  return scopes.run({ kind: "checkpoint", name: attempt.name, invocationId: attempt.invocationId, runtime, attempt }, fn);
}

/** The checkpoint attempt whose code is running now, if any. @private */
export function currentCheckpointAttempt(): CheckpointAttempt | undefined {
  const scope = scopes.getStore();
  return scope?.kind === "checkpoint" ? scope.attempt : undefined;
}

/** The runtime of the flow body running now (outside checkpoints), if any. @private */
export function currentFlowBodyRuntime(): FlowRuntime | undefined {
  const scope = scopes.getStore();
  return scope?.kind === "flow" ? scope.runtime : undefined;
}

/** The runtime of the flow body calling `what`, or a clear error outside one. @private */
export function currentFlowRuntime(what: string): FlowRuntime {
  const scope = scopes.getStore();
  if (scope === undefined) {
    throw new KitaruContextError(`${what} can only run inside a flow body (started by a kitaru runner).`, { metadata: { what } });
  }
  if (scope.kind === "checkpoint") {
    throw new KitaruContextError(`${what} cannot be called inside checkpoint '${scope.name}'. Call it in the flow body instead.`, {
      metadata: { what, checkpoint: scope.name },
    });
  }
  return scope.runtime;
}

/** Where `log()` writes: the flow's runtime and, inside a checkpoint, its call. @private */
export function currentLogTarget(): { runtime: FlowRuntime; invocationId?: string } {
  const scope = scopes.getStore();
  if (scope === undefined) throw new KitaruContextError("log() can only run inside a flow body or a checkpoint.");
  return scope.kind === "checkpoint" ? { runtime: scope.runtime, invocationId: scope.invocationId } : { runtime: scope.runtime };
}
