/**
 * Details for the one refusal grpc-js makes on its own: a request message
 * larger than `grpc.max_receive_message_length` is answered
 * RESOURCE_EXHAUSTED from inside grpc-js's call object, before any
 * interceptor or handler sees the call, with a bare message. grpc-js reads
 * only the 5-byte length prefix before refusing, so the request is never
 * buffered; this adds the `google.rpc.Status` details every other kitaru
 * error carries (an `ErrorInfo` with `KITARU_USAGE_ERROR` and a `BadRequest`
 * violation), so clients in every language report the bound.
 *
 * It wraps `BaseServerInterceptingCall.prototype.sendStatus`, which grpc-js
 * does not export from its index: {@link installOversizedRequestDetails}
 * throws at start-up if a grpc-js upgrade moved it, and
 * test/transport/request-limits.test.ts sends a request past the bound.
 *
 * @module
 */
import { createRequire } from "node:module";
import { create, toBinary } from "@bufbuild/protobuf";
import { Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { errorToStatus } from "#contract/errors/wire.ts";

/** What grpc-js passes to `sendStatus`. */
interface GrpcStatusObject {
  readonly code: number;
  readonly details: string;
  readonly metadata?: Metadata | null;
}

type SendStatus = (this: unknown, status: GrpcStatusObject) => void;

const DETAILS_KEY = "grpc-status-details-bin";
let installed = false;

/**
 * Wraps grpc-js's status writer once per process (idempotent); `maxBytes` is
 * the documented request bound the refusal names.
 */
export function installOversizedRequestDetails(maxBytes: number): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const module = require("@grpc/grpc-js/build/src/server-interceptors.js") as {
    BaseServerInterceptingCall?: { prototype: { sendStatus?: SendStatus } };
  };
  const prototype = module.BaseServerInterceptingCall?.prototype;
  const original = prototype?.sendStatus;
  if (prototype === undefined || typeof original !== "function") {
    throw new Error("@grpc/grpc-js no longer has BaseServerInterceptingCall.prototype.sendStatus: update services/transport/src/oversized-requests.ts");
  }
  prototype.sendStatus = function sendStatus(this: unknown, status: GrpcStatusObject) {
    original.call(this, oversized(status, maxBytes) ?? status);
  };
  installed = true;
}

/** The status with details, when it is grpc-js refusing an oversized request; else undefined. */
function oversized(status: GrpcStatusObject, maxBytes: number): GrpcStatusObject | undefined {
  if (status.code !== GrpcStatus.RESOURCE_EXHAUSTED || !/^Received message (larger|that decompresses)/.test(status.details)) return undefined;
  if ((status.metadata?.get(DETAILS_KEY).length ?? 0) > 0) return undefined;
  const size = /\((\d+) vs/.exec(status.details)?.[1];
  const got = size === undefined ? "" : `; got ${size}`;
  const error = new KitaruUsageError(`The request is larger than the ${maxBytes} bytes this service reads${size === undefined ? "" : ` (${size} bytes)`}.`, {
    metadata: size === undefined ? { limit: String(maxBytes) } : { bytes: size, limit: String(maxBytes) },
    violations: [{ field: "", description: `a request must be at most ${maxBytes} bytes${got}` }],
  });
  const wire = errorToStatus(error);
  const details = create(StatusSchema, { ...wire.details, code: GrpcStatus.RESOURCE_EXHAUSTED });
  const metadata = status.metadata?.clone() ?? new Metadata();
  metadata.set(DETAILS_KEY, Buffer.from(toBinary(StatusSchema, details)));
  return { code: GrpcStatus.RESOURCE_EXHAUSTED, details: wire.message, metadata };
}
