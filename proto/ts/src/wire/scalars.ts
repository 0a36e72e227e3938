/**
 * proto3 scalar fields as the encoders of this folder write them, on
 * protobuf-es's `BinaryWriter`: a field holding its default is left out, as
 * `toBinary` leaves it out.
 *
 * @module
 */
import { type BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/** A `string` field (undefined reads as ""); false for a value that is no string. */
export function writeString(writer: BinaryWriter, fieldNo: number, value: string | undefined): boolean {
  if (value === undefined || value === "") return true;
  if (typeof value !== "string") return false;
  writer.tag(fieldNo, WireType.LengthDelimited).string(value);
  return true;
}

/**
 * A `uint64` field held as a number; false for one that is no safe
 * non-negative integer. Below 2^32 its varint is a uint32's, written without
 * the 64-bit conversion `uint64()` makes of every value.
 */
export function writeUint64(writer: BinaryWriter, fieldNo: number, value: number): boolean {
  if (!(Number.isSafeInteger(value) && value >= 0)) return false;
  if (value === 0) return true;
  writer.tag(fieldNo, WireType.Varint);
  if (value <= 0xffffffff) writer.uint32(value);
  else writer.uint64(value);
  return true;
}
