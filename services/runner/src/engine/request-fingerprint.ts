import { createHash } from "node:crypto";
import { KitaruUsageError } from "#contract/errors/index.ts";
import type { JsonValue } from "../authoring/json-value.ts";
import type { ExecutionRecord } from "../store/records.ts";

/**
 * A digest of what an idempotent request asked for, stored with the execution
 * it created: the same request ID must come with the same request.
 *
 * JSON objects are digested with their keys sorted, so the same values sent
 * in another key order (protobuf `Struct` keeps no order) are the same request.
 */
export function requestFingerprint(request: JsonValue): string {
  return createHash("sha256").update(canonicalJson(request)).digest("base64url");
}

function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
}

/**
 * Throws a {@link KitaruUsageError} when `existing`, the execution an earlier
 * request with `requestId` created, was asked for differently than now.
 * Executions recorded before fingerprints existed are compared by `fallback`.
 */
export function checkSameRequest(existing: ExecutionRecord, request: { requestId: string; fingerprint: string; what: string; fallbackMatches: boolean }): void {
  const same = existing.requestFingerprint === undefined ? request.fallbackMatches : existing.requestFingerprint === request.fingerprint;
  if (same) return;
  throw new KitaruUsageError(
    `Request ID '${request.requestId}' was already used for a different request (it created execution '${existing.execId}'). ` +
      `A request ID identifies one request: repeat it only with the same ${request.what}, or use a new request ID.`,
    {
      metadata: { requestId: request.requestId, execId: existing.execId },
      violations: [{ field: "request_id", description: `already used for a different ${request.what}` }],
    },
  );
}
