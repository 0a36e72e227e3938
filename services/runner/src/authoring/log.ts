import { currentLogTarget } from "./flow-runtime.ts";
import { toJsonValue, type JsonObject } from "./json-value.ts";

/**
 * Attaches JSON metadata to the current execution (from a flow body) or to the
 * running checkpoint call (from inside a checkpoint). Later keys win.
 *
 * Metadata is stored with the next durable write; it is informational and
 * never affects replay.
 */
export function log(metadata: JsonObject): void {
  const value = toJsonValue(metadata, "log() metadata");
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError("log() takes a JSON object.");
  }
  const target = currentLogTarget();
  target.runtime.log(value, target.invocationId);
}
