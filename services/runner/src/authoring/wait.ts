import type { z } from "zod";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { currentFlowRuntime } from "./flow-runtime.ts";
import type { JsonObject, JsonValue } from "./json-value.ts";

/** What a flow body waits for. */
export interface WaitOptions<S extends z.ZodType | undefined> {
  /** The wait's name; a repeated name gets `name_2`, `name_3`, ... */
  readonly name: string;
  /** The question shown to whoever answers (CLI, client). */
  readonly question?: string;
  /** Schema of the expected value; its JSON Schema is stored and shown to clients. */
  readonly schema?: S;
  /** Free-form JSON metadata stored with the wait. */
  readonly metadata?: JsonObject;
}

/**
 * Suspends the flow until input arrives for this wait, then returns it.
 *
 * The execution becomes `waiting` and no runner holds it; an input accepted
 * through `ResolveWait` (client `executions.input`, CLI `executions input`)
 * lets it continue by itself. Inputs are validated against `schema` before
 * they are accepted. A replayed execution asks again, unless the replay
 * opted in to answer this wait with the source's recorded answer
 * (`answer_waits_from_source`). Aborting the wait cancels the execution. Waits create
 * no lineage edges.
 *
 * @example
 * ```ts
 * const approved = await wait({ name: "approve", question: "Publish?", schema: z.boolean() });
 * ```
 */
export function wait<S extends z.ZodType | undefined = undefined>(options: WaitOptions<S>): Promise<S extends z.ZodType ? z.output<S> : JsonValue> {
  const runtime = currentFlowRuntime(`wait '${options?.name}'`);
  if (typeof options?.name !== "string" || options.name.trim() === "") {
    throw new KitaruUsageError("wait() needs a non-empty `name`.");
  }
  return runtime.wait(options) as Promise<S extends z.ZodType ? z.output<S> : JsonValue>;
}
