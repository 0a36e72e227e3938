/**
 * Helpers for talking to the real runner: JSON values as `google.protobuf.Value`,
 * and assertions on the errors it sends (the gRPC code, the
 * `google.rpc.ErrorInfo` detail, and the kitaru error class a client decodes
 * from the details alone).
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.ts";
import { ERROR_DOMAIN, errorFromConnectError, type KitaruError } from "#contract/errors/index.ts";

/** An RPC error as the client sees it: the raw ConnectError and the decoded kitaru error. */
export interface RpcFailure<E extends KitaruError> {
  readonly raw: ConnectError;
  readonly error: E;
  readonly reason: string;
}

/**
 * Awaits `call`, which must fail with `code`; checks that it carries an
 * ErrorInfo of the kitaru domain and decodes to an instance of `type`.
 */
export async function expectRpcError<E extends KitaruError>(
  call: Promise<unknown> | (() => Promise<unknown>),
  code: Code,
  type: abstract new (...args: never[]) => E,
): Promise<RpcFailure<E>> {
  let raw: unknown;
  try {
    await (typeof call === "function" ? call() : call);
  } catch (e) {
    raw = e;
  }
  assert.ok(raw !== undefined, `expected the call to fail with ${Code[code]}, but it succeeded`);
  assert.ok(raw instanceof ConnectError, `expected a ConnectError, got ${String(raw)}`);
  assert.equal(Code[raw.code], Code[code], `wrong code; message: ${raw.rawMessage}`);
  assert.notEqual(raw.code, Code.Unknown);
  assert.notEqual(raw.code, Code.Internal);
  const [info] = raw.findDetails(ErrorInfoSchema);
  assert.ok(info, "the status carries a google.rpc.ErrorInfo");
  assert.equal(info.domain, ERROR_DOMAIN);
  const error = errorFromConnectError(raw);
  assert.ok(error instanceof type, `expected ${type.name}, decoded ${error.name} (${info.reason}): ${error.message}`);
  return { raw, error: error as E, reason: info.reason };
}

/** A JSON value as a `google.protobuf.Value` (for ResolveWait and similar). */
export function jsonValue(value: unknown): Value {
  return fromJson(ValueSchema, value as JsonValue);
}

/** A `google.protobuf.Value` as plain JSON; undefined stays undefined. */
export function plainJson(value: Value | undefined): JsonValue | undefined {
  return value === undefined ? undefined : toJson(ValueSchema, value);
}
