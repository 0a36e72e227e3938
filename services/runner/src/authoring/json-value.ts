/**
 * JSON values as the authoring API sees them: the contract's types and checks.
 *
 * @module
 */
export type { JsonObject, JsonValue } from "#contract/json-value.ts";
export { toJsonValue } from "#contract/json-value.ts";
