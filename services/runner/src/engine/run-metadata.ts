/**
 * The metadata a run's flow body and checkpoint calls attach with `log()`:
 * merged per execution and per call, bounded, and written with the state
 * transitions (the execution's) and the call records (each call's).
 *
 * @module
 */
import type { JsonObject } from "#contract/json-value.ts";
import { ValueCodec } from "../store/value-codec.ts";

/** Metadata kept per execution and per call (it travels with every state transition). */
export const METADATA_LIMIT_BYTES = 64 * 1024;

const WHAT = "log() metadata";

/** One run's metadata. */
export class RunMetadata {
  readonly #values: ValueCodec;
  readonly #calls = new Map<string, JsonObject>();
  #flow: JsonObject;

  /** Starts from the execution's metadata as its last state recorded it. */
  constructor(values: ValueCodec, recorded: string | undefined) {
    this.#values = values;
    this.#flow = (ValueCodec.decodeInline(recorded) ?? {}) as JsonObject;
  }

  /** Merges `metadata` into the execution's (or the call's); past the limit → `KitaruContextError`, nothing changed. */
  log(metadata: JsonObject, invocationId?: string): void {
    const merged = { ...(invocationId === undefined ? this.#flow : (this.#calls.get(invocationId) ?? {})), ...metadata };
    this.#values.encodeInline(merged, WHAT, METADATA_LIMIT_BYTES);
    if (invocationId === undefined) this.#flow = merged;
    else this.#calls.set(invocationId, merged);
  }

  /** The execution's metadata as stored with a transition; undefined when there is none. */
  flowText(): string | undefined {
    return Object.keys(this.#flow).length === 0 ? undefined : this.#values.encodeInline(this.#flow, WHAT, METADATA_LIMIT_BYTES);
  }

  /** A call's metadata as stored with its record; undefined when it logged none. */
  callText(invocationId: string): string | undefined {
    const metadata = this.#calls.get(invocationId);
    return metadata === undefined ? undefined : this.#values.encodeInline(metadata, WHAT, METADATA_LIMIT_BYTES);
  }
}
