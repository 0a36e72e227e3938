/**
 * JSON values and timestamps between protobuf well-known types and plain values.
 *
 * `google.protobuf.Struct` fields already arrive as `JsonObject` in
 * protobuf-es v2; only `google.protobuf.Value` and `Timestamp` need converting.
 *
 * @module
 */
import { fromJson, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, timestampDate, type Timestamp, type Value } from "@bufbuild/protobuf/wkt";

/** A JSON value of a `google.protobuf.Value` field; `undefined` when the field is unset. */
export function jsonFromValue(value: Value | undefined): JsonValue | undefined {
  if (value === undefined) return undefined;
  // A present Value without a kind cannot be written as JSON by toJson; it
  // carries no information, so it reads as JSON null.
  if (value.kind.case === undefined) return null;
  return toJson(ValueSchema, value);
}

/** A `google.protobuf.Value` holding `json`. Throws on values JSON cannot hold (NaN, Infinity). */
export function valueFromJson(json: JsonValue): Value {
  return fromJson(ValueSchema, json);
}

/** A copy of a Struct field, `{}` when unset, so callers can mutate it safely. */
export function objectFromStruct(struct: JsonObject | undefined): JsonObject {
  return struct === undefined ? {} : { ...struct };
}

/** The `Date` of a timestamp; `undefined` when unset. */
export function dateFromTimestamp(timestamp: Timestamp | undefined): Date | undefined {
  return timestamp === undefined ? undefined : timestampDate(timestamp);
}
