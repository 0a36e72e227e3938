/**
 * How a service secures what it serves: bearer tokens and TLS, from its
 * settings, with one rule: a service listening beyond loopback requires
 * tokens (unless told explicitly that something else authenticates).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { ServerCredentials } from "@grpc/grpc-js";
import { z } from "zod";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { TokenRegistry } from "./auth.ts";
import type { SettingsTable } from "./settings-table.ts";

/** The security settings every service takes (spread into its settings table). */
export const securitySettings = {
  tokens: {
    flag: "tokens",
    env: "KITARU_TOKENS",
    schema: z.string().optional(),
    arg: "<list>",
    doc: "accepted bearer tokens, `namespace=token,...` (`*=token`: a service token); unset: no authentication",
  },
  tokensFile: {
    flag: "tokens-file",
    env: "KITARU_TOKENS_FILE",
    schema: z.string().optional(),
    arg: "<file>",
    doc: "accepted tokens from a file, one `namespace token` per line (# comments)",
  },
  tlsCert: {
    flag: "tls-cert",
    env: "KITARU_TLS_CERT",
    schema: z.string().optional(),
    arg: "<file>",
    doc: "serve TLS with this certificate chain (PEM)",
  },
  tlsKey: { flag: "tls-key", env: "KITARU_TLS_KEY", schema: z.string().optional(), arg: "<file>", doc: "the certificate's private key (PEM)" },
  tlsClientCa: {
    flag: "tls-client-ca",
    env: "KITARU_TLS_CLIENT_CA",
    schema: z.string().optional(),
    arg: "<file>",
    doc: "require client certificates signed by this CA (mTLS)",
  },
  allowUnauthenticated: {
    flag: "allow-unauthenticated",
    env: "KITARU_ALLOW_UNAUTHENTICATED",
    schema: z.enum(["true", "false"], { error: "must be true or false" }).optional(),
    arg: "",
    doc: "listen beyond loopback without tokens (only when a proxy in front authenticates every call)",
    boolean: true,
  },
} as const satisfies SettingsTable;

/** The security part of a validated service configuration. */
export type SecurityConfig = { readonly [K in keyof typeof securitySettings]?: z.output<(typeof securitySettings)[K]["schema"]> };

/** What a service serves with. */
export interface ServerSecurity {
  readonly credentials: ServerCredentials;
  /** Undefined when authentication is off. */
  readonly tokens: TokenRegistry | undefined;
  /** "https" with TLS, else "http": the scheme of the service's URL. */
  readonly scheme: "http" | "https";
  /** One line each for the service's start-up log. */
  readonly notes: readonly string[];
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1";
}

function readSetting(path: string, setting: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new KitaruUsageError(`${setting}: cannot read '${path}': ${(error as Error).message}`);
  }
}

/**
 * Builds the credentials and token registry of a service bound to `host`.
 * Throws a usage error naming the setting for a bad file, a key without a
 * certificate, and for a non-loopback `host` without tokens.
 */
export function serverSecurity(config: SecurityConfig, host: string): ServerSecurity {
  const notes: string[] = [];
  const registries: TokenRegistry[] = [];
  if (config.tokens) registries.push(TokenRegistry.parse(config.tokens, "--tokens / KITARU_TOKENS"));
  if (config.tokensFile) registries.push(TokenRegistry.parse(readSetting(config.tokensFile, "--tokens-file / KITARU_TOKENS_FILE"), config.tokensFile));
  const tokens = registries.length === 0 ? undefined : TokenRegistry.merge(registries);
  if (tokens === undefined) {
    if (!isLoopback(host) && config.allowUnauthenticated !== "true") {
      throw new KitaruUsageError(
        `Listening on ${host} (beyond this machine) requires bearer tokens: set KITARU_TOKENS ('namespace=token,...') or --tokens-file. ` +
          "If a proxy in front authenticates every call, say so with --allow-unauthenticated.",
      );
    }
    notes.push(`authentication is OFF: anyone who can reach ${host} can read and steer every execution (set KITARU_TOKENS to require tokens)`);
  } else {
    notes.push(`authentication on: ${tokens.size} token(s)`);
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new KitaruUsageError("TLS needs both --tls-cert / KITARU_TLS_CERT and --tls-key / KITARU_TLS_KEY.");
  }
  if (config.tlsClientCa !== undefined && config.tlsCert === undefined) {
    throw new KitaruUsageError("--tls-client-ca / KITARU_TLS_CLIENT_CA (client certificates) needs TLS: set --tls-cert and --tls-key too.");
  }
  if (config.tlsCert === undefined || config.tlsKey === undefined) {
    if (!isLoopback(host)) notes.push("TLS is off: tokens and data cross the network in clear text (set KITARU_TLS_CERT and KITARU_TLS_KEY)");
    return { credentials: ServerCredentials.createInsecure(), tokens, scheme: "http", notes };
  }
  const cert = Buffer.from(readSetting(config.tlsCert, "--tls-cert / KITARU_TLS_CERT"));
  const key = Buffer.from(readSetting(config.tlsKey, "--tls-key / KITARU_TLS_KEY"));
  const clientCa = config.tlsClientCa === undefined ? null : Buffer.from(readSetting(config.tlsClientCa, "--tls-client-ca / KITARU_TLS_CLIENT_CA"));
  let credentials: ServerCredentials;
  try {
    credentials = ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
  } catch (error) {
    throw new KitaruUsageError(`The TLS certificate or key is not usable: ${(error as Error).message}`);
  }
  notes.push(clientCa === null ? "TLS on" : "TLS on, client certificates required (mTLS)");
  return { credentials, tokens, scheme: "https", notes };
}
