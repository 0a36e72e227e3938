/**
 * The answers a replay copies from its source execution, for the waits the
 * replay request named in `answer_waits_from_source`.
 *
 * A replayed wait is matched to the source's wait of the same name and
 * occurrence (`approve`, `approve_2`, ...), as reused calls are matched by
 * invocation ID. Without an answer to copy (the source never answered, has no
 * such wait, aborted it, or its answer does not fit the replayed wait's
 * schema) the wait is left for an input, with a note saying why.
 *
 * @module
 */
import { formatViolations } from "#contract/errors/kitaru-error.ts";
import type { JsonValue } from "#contract/json-value.ts";
import type { ExecutionRecord, WaitRecord } from "../store/records.ts";
import type { EngineContext } from "./engine-context.ts";
import { jsonSchemaViolations } from "./schema-violations.ts";

/** The source's answer to copy, or why there is none. */
export type SourceAnswer = { readonly kind: "answer"; readonly value: JsonValue } | { readonly kind: "none"; readonly note: string };

/** The source answers one replayed execution may copy; built per run, the source's waits read once. */
export class SourceWaitAnswers {
  readonly #context: Pick<EngineContext, "store" | "values">;
  readonly #names: ReadonlySet<string>;
  /** The execution the answers are copied from. */
  readonly sourceExecId: string;
  #sourceWaits: Promise<Map<string, WaitRecord>> | undefined;

  private constructor(context: Pick<EngineContext, "store" | "values">, sourceExecId: string, names: readonly string[]) {
    this.#context = context;
    this.sourceExecId = sourceExecId;
    this.#names = new Set(names);
  }

  /** The answers of a replay that opted in for some waits; undefined for any other execution. */
  static of(context: Pick<EngineContext, "store" | "values">, execution: ExecutionRecord): SourceWaitAnswers | undefined {
    const replay = execution.replay;
    if (replay?.answerWaitsFromSource === undefined || replay.answerWaitsFromSource.length === 0) return undefined;
    return new SourceWaitAnswers(context, replay.sourceExecId, replay.answerWaitsFromSource);
  }

  /** True when the request named this wait: by the name given to `wait()` or its numbered name. */
  covers(wait: Pick<WaitRecord, "baseName" | "name">): boolean {
    return this.#names.has(wait.baseName) || this.#names.has(wait.name);
  }

  /** The source's recorded answer to the wait of the same occurrence, checked against `wait`'s schema; or why there is none. */
  async find(wait: Pick<WaitRecord, "name" | "schema">, signal?: AbortSignal): Promise<SourceAnswer> {
    this.#sourceWaits ??= this.#context.store.listWaits(this.sourceExecId, { signal }).then((waits) => new Map(waits.map((w) => [w.name, w])));
    const recorded = (await this.#sourceWaits).get(wait.name);
    const why = (reason: string): SourceAnswer => ({ kind: "none", note: `Not answered from execution ${this.sourceExecId}: ${reason}` });
    if (recorded === undefined) return why(`it never reached a wait '${wait.name}'.`);
    const resolution = recorded.resolution;
    if (resolution === undefined) return why(`its wait '${wait.name}' was never answered.`);
    if (resolution.kind === "abort") return why(`its wait '${wait.name}' was aborted, not answered.`);
    const value = await this.#context.values.load(resolution.value, { signal });
    const violations = jsonSchemaViolations(wait.schema, value);
    if (violations.length > 0) return why(`its answer to '${wait.name}' does not fit this wait's schema: ${formatViolations(violations)}.`);
    return { kind: "answer", value };
  }
}
