/**
 * What a failed call to a kitaru service means when the connection, not the
 * service, failed: nothing listens at the URL, the URL points at another
 * service (the planner's address given as the runner's), `https://` against
 * a plaintext port or `http://` against a TLS port, a certificate the
 * caller does not trust. Shared by the TypeScript client and the planner
 * (its client of the runner), which word the fix with their own settings.
 *
 * Only failures without kitaru details are diagnosed (a kitaru service
 * always sends details), and only then are the probes made: a health check
 * or a reflection listing over the same connection, a TLS handshake. Nothing
 * is added to calls that succeed.
 *
 * @module
 */
import tls from "node:tls";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { Health } from "#gen/grpc/health/v1/health_pb.ts";
import { ServerReflection } from "#gen/grpc/reflection/v1/reflection_pb.ts";
import { PlannerService } from "#gen/kitaru/planner/v1/planner_service_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { systemCodes } from "./system-codes.ts";

/** The two kitaru services. */
export type KitaruService = "runner" | "planner";

/** The service each kitaru service registers in health and reflection. */
const SERVICE_NAME: Readonly<Record<KitaruService, string>> = { runner: RunnerService.typeName, planner: PlannerService.typeName };

/** How long each probe may take. */
const PROBE_TIMEOUT_MS = 2000;

/** A connection problem a person can fix, found by {@link diagnoseConnectionFailure}. */
export type ConnectionFailure =
  /** Nothing answers at the URL (refused, DNS, reset): start the service or fix the URL. */
  | { readonly kind: "unreachable"; readonly url: string; readonly expected: KitaruService; readonly detail: string }
  /** `https://` against a port that does not speak TLS. */
  | { readonly kind: "not-tls"; readonly url: string }
  /** `http://` against a port that speaks TLS. */
  | { readonly kind: "tls-only"; readonly url: string }
  /** The server's certificate is not trusted (unknown CA, wrong name, expired). */
  | { readonly kind: "untrusted-certificate"; readonly url: string; readonly detail: string; readonly hostMismatch: boolean }
  /** A gRPC server answers at the URL, but not the expected kitaru service; `serves` lists what it serves when it says (empty otherwise). */
  | { readonly kind: "wrong-service"; readonly url: string; readonly expected: KitaruService; readonly serves: readonly string[] };

/** What {@link diagnoseConnectionFailure} needs besides the error. */
export interface DiagnosisOptions {
  /** The base URL the call went to. */
  readonly url: string;
  /** The kitaru service the caller meant to reach. */
  readonly expected: KitaruService;
  /** A transport to the same URL for the probes, without this diagnosis (with the caller's credentials). */
  readonly probe: Transport;
  /** The call's signal: a call its caller gave up is not diagnosed. */
  readonly signal?: AbortSignal | undefined;
}

/** The first of `systemCodes`, e.g. ECONNREFUSED, ERR_SSL_WRONG_VERSION_NUMBER; "" when there is none. */
function systemCode(error: unknown): string {
  return systemCodes(error)[0] ?? "";
}

/** Certificate verification failures (Node's codes for OpenSSL's, and the host name check). */
const UNTRUSTED_CERTIFICATE =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REJECTED|ERR_TLS_CERT_ALTNAME_INVALID)$/;
/** What OpenSSL says when the other side does not answer a TLS handshake in TLS. */
const NOT_TLS = /WRONG_VERSION_NUMBER|wrong version number|packet length too long|unknown protocol|http request/i;
/** Failures that say nothing listens (no TLS probe then). */
const NOTHING_THERE = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL)$/;

/**
 * Finds what is wrong with the connection behind `error` (a failed call to
 * `options.url`), or undefined when the failure is not the connection's (or
 * cannot be told): the caller reports `error` as it would have.
 */
export async function diagnoseConnectionFailure(error: unknown, options: DiagnosisOptions): Promise<ConnectionFailure | undefined> {
  if (!(error instanceof ConnectError) || error.details.length > 0 || options.signal?.aborted) return undefined;
  const { url } = options;
  const secure = url.startsWith("https:");
  const code = systemCode(error);
  if (error.code === Code.Unimplemented) return await identifyService(options);
  if (secure && (NOT_TLS.test(code) || NOT_TLS.test(error.rawMessage))) return { kind: "not-tls", url };
  if (secure && UNTRUSTED_CERTIFICATE.test(code)) {
    return { kind: "untrusted-certificate", url, detail: error.rawMessage, hostMismatch: code === "ERR_TLS_CERT_ALTNAME_INVALID" };
  }
  if (!secure && !NOTHING_THERE.test(code) && error.code !== Code.DeadlineExceeded && (await speaksTls(url))) return { kind: "tls-only", url };
  if (error.code === Code.Unavailable) return { kind: "unreachable", url, expected: options.expected, detail: error.rawMessage };
  return undefined;
}

/**
 * Which service answers at the URL when the expected one did not: undefined
 * when the expected kitaru service is there after all (a method it lacks:
 * another version), else a "wrong-service" failure naming what the server
 * serves, by health (no token needed) or reflection (when allowed).
 */
export async function identifyService(options: DiagnosisOptions): Promise<ConnectionFailure | undefined> {
  const { url, expected, probe, signal } = options;
  const call = { timeoutMs: PROBE_TIMEOUT_MS, ...(signal ? { signal } : {}) };
  const health = createClient(Health, probe);
  const serves = async (service: string) =>
    health.check({ service }, call).then(
      () => true,
      () => false,
    );
  if (await serves(SERVICE_NAME[expected])) return undefined;
  for (const [other, name] of Object.entries(SERVICE_NAME)) {
    if (other !== expected && (await serves(name))) return { kind: "wrong-service", url, expected, serves: [name] };
  }
  return { kind: "wrong-service", url, expected, serves: await listedServices(probe, call) };
}

/** The services the server's reflection lists (not health and reflection themselves); empty when it does not answer. */
async function listedServices(probe: Transport, call: { timeoutMs: number; signal?: AbortSignal }): Promise<string[]> {
  const reflection = createClient(ServerReflection, probe);
  async function* listServices() {
    yield { messageRequest: { case: "listServices" as const, value: "" } };
  }
  try {
    for await (const response of reflection.serverReflectionInfo(listServices(), call)) {
      if (response.messageResponse.case !== "listServicesResponse") return [];
      return response.messageResponse.value.service.map((s) => s.name).filter((name) => !name.startsWith("grpc."));
    }
  } catch {
    // Reflection off, or refused without a token: the message says less.
  }
  return [];
}

/** True when the server at `url` completes a TLS handshake (whatever its certificate). */
function speaksTls(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(port || 80),
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
      ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
    });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once("secureConnect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** How the reader of a message sets what it names. */
export interface ConnectionSettings {
  /** The URL setting, e.g. "KITARU_RUNNER_URL (or runnerUrl)" or "--runner-url / KITARU_RUNNER_URL". */
  readonly urlSetting: string;
  /** The CA setting, e.g. "KITARU_CA_FILE (or caFile)" or "--runner-ca / KITARU_RUNNER_CA". */
  readonly caSetting: string;
  /** Who is calling, when not the reader: "planner" words an unreachable service as "The planner cannot reach ...". */
  readonly caller?: string | undefined;
}

/** `url` with its scheme swapped (`http://h:1` ⇄ `https://h:1`). */
function withScheme(url: string, scheme: "http" | "https"): string {
  return url.replace(/^https?:/, `${scheme}:`);
}

/** The message for a {@link ConnectionFailure}: what answers (or not) at the URL and the setting that fixes it. */
export function describeConnectionFailure(failure: ConnectionFailure, settings: ConnectionSettings): string {
  const { url } = failure;
  switch (failure.kind) {
    case "unreachable": {
      const subject = settings.caller ? `The ${settings.caller} cannot reach` : "Cannot reach";
      return `${subject} the kitaru ${failure.expected} at ${url} (${failure.detail}). Start it with \`kitaru ${failure.expected}\` or set ${settings.urlSetting}.`;
    }
    case "not-tls":
      return `The service at ${url} does not speak TLS: use ${withScheme(url, "http")} in ${settings.urlSetting} (or give the service a certificate: --tls-cert / --tls-key).`;
    case "tls-only":
      return `The service at ${url} speaks TLS: use ${withScheme(url, "https")} in ${settings.urlSetting}, with ${settings.caSetting} if its certificate is not signed by a CA this machine trusts.`;
    case "untrusted-certificate":
      return failure.hostMismatch
        ? `The certificate of the service at ${url} does not name that host (${failure.detail}): use a host name the certificate lists in ${settings.urlSetting}.`
        : `The certificate of the service at ${url} is not trusted (${failure.detail}): give the CA that signed it with ${settings.caSetting}.`;
    case "wrong-service": {
      const other = (Object.keys(SERVICE_NAME) as KitaruService[]).find((s) => s !== failure.expected && failure.serves.includes(SERVICE_NAME[s]));
      if (other)
        return `The service at ${url} is not a kitaru ${failure.expected}: it serves ${SERVICE_NAME[other]}. Is ${settings.urlSetting} the ${other}'s address?`;
      if (failure.serves.length > 0)
        return `The service at ${url} is not a kitaru ${failure.expected}: it serves ${failure.serves.join(", ")}. Check ${settings.urlSetting}.`;
      return `The service at ${url} is not a kitaru ${failure.expected} (it does not serve ${SERVICE_NAME[failure.expected]}). Check ${settings.urlSetting}.`;
    }
  }
}
