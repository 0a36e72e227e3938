/**
 * Checks which waits a replay answers from its source execution's recorded
 * answers (`answer_waits_from_source`).
 *
 * By default a replay asks every wait again (docs/replay-contract.md §4); the
 * caller opts in per wait name. Whether the source recorded an answer is the
 * runner's to find when the replay reaches the wait, so nothing here reads the
 * source's waits: a name the source never answered only leaves that wait to
 * an input.
 *
 * @module
 */
import { KitaruUsageError } from "#contract/errors/kitaru-error.ts";

/**
 * The wait names to answer from the source, in the order given, each once.
 *
 * Throws {@link KitaruUsageError} for a name that is not a string or is blank
 * (a wait's name is never blank), naming its position. Names are matched as
 * given (not trimmed), like the names `wait()` records.
 */
export function parseSourceWaitAnswers(execId: string, names: readonly unknown[] | undefined): string[] {
  const accepted: string[] = [];
  (names ?? []).forEach((name, index) => {
    if (typeof name !== "string" || name.trim() === "") {
      const given = typeof name === "string" ? `'${name}'` : typeof name;
      throw new KitaruUsageError(
        `answer_waits_from_source[${index}] must name a wait (the name given to wait()); received ${given}. ` +
          `Replay of execution '${execId}' was not started.`,
        { metadata: { execId, index: String(index), wait: typeof name === "string" ? name : "" } },
      );
    }
    if (!accepted.includes(name)) accepted.push(name);
  });
  return accepted;
}
