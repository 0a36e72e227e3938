/**
 * `kitaru/errors`: kitaru's typed errors, for code that handles them without
 * the client, and the client's own {@link KitaruPendingWaitError}.
 *
 * @example
 * ```ts
 * import { KitaruStateError } from "kitaru/errors";
 * try { await client.executions.replay("kr-a8f3c2", { from: "write_draft" }); }
 * catch (e) { if (e instanceof KitaruStateError) console.error(e.selector?.availableNames); }
 * ```
 * @module
 */
export * from "#contract/errors/index.ts";
export { KitaruPendingWaitError } from "./pending-wait-error.ts";
