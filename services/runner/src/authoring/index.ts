/**
 * The flow-authoring API, imported as `kitaru` from a flows module.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { flow, checkpoint, wait } from "kitaru";
 *
 * const research = checkpoint("research", async (topic: string) => `notes on ${topic}`);
 * const writeDraft = checkpoint("write_draft", async (notes: string) => `draft from ${notes}`);
 *
 * export const contentPipeline = flow("content_pipeline", { input: z.object({ topic: z.string() }) }, async ({ topic }) => {
 *   const draft = writeDraft(research(topic));
 *   const approved = await wait({ name: "approve", question: "Publish?", schema: z.boolean() });
 *   return approved ? await draft : "rejected";
 * });
 * ```
 * @module
 */
export { flow } from "./flow.ts";
export { checkpoint } from "./checkpoint.ts";
export { wait } from "./wait.ts";
export { log } from "./log.ts";
export { logger } from "./logger.ts";
export { checkpointContext } from "./checkpoint-context.ts";
export { NonRetryableError } from "./non-retryable-error.ts";
export { OutputHandle } from "./output-handle.ts";
export type { Flow, FlowReplayOptions, FlowCallOptions } from "./flow.ts";
export type { Checkpoint, CheckpointOptions } from "./checkpoint.ts";
export type { CheckpointContext } from "./checkpoint-context.ts";
export type { Logger } from "./logger.ts";
export type { WaitOptions } from "./wait.ts";
export type { Resolvable } from "./output-handle.ts";
export type { JsonValue, JsonObject } from "./json-value.ts";
export type { CallOptions } from "./flow-runtime.ts";
