import { KitaruContextError } from "#contract/errors/index.ts";

/**
 * Hands out invocation IDs within one execution: the name for the first call,
 * then `name_2`, `name_3`, ...; an explicit ID is used as given. IDs depend
 * only on the order of calls, so a deterministic flow body gets the same IDs
 * on every run.
 */
export class InvocationIds {
  readonly #used = new Set<string>();
  readonly #counts = new Map<string, number>();
  readonly #kind: string;

  constructor(kind: "checkpoint" | "wait") {
    this.#kind = kind;
  }

  /** The next ID for `name`, or `explicit` when given (a duplicate explicit ID throws). */
  next(name: string, explicit?: string): string {
    if (explicit !== undefined) {
      if (typeof explicit !== "string" || explicit.trim() === "") {
        throw new KitaruContextError(`An explicit ${this.#kind} id must be a non-empty string.`);
      }
      if (this.#used.has(explicit)) {
        throw new KitaruContextError(`Duplicate ${this.#kind} id '${explicit}' in one execution: explicit ids must be unique.`, {
          metadata: { invocationId: explicit },
        });
      }
      this.#used.add(explicit);
      return explicit;
    }
    let count = this.#counts.get(name) ?? 0;
    let id: string;
    do {
      count += 1;
      id = count === 1 ? name : `${name}_${count}`;
    } while (this.#used.has(id));
    this.#counts.set(name, count);
    this.#used.add(id);
    return id;
  }
}
