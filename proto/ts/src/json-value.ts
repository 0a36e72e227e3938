/**
 * JSON values: what flow inputs, checkpoint outputs, overrides, wait answers
 * and results are, everywhere in kitaru. The same shapes as protobuf-es's
 * `JsonValue` and `JsonObject`, so values pass to and from
 * `google.protobuf.Value` and `Struct` fields without copies.
 *
 * @module
 */

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (flow inputs, wait metadata, overrides). */
export type JsonObject = { [key: string]: JsonValue };
