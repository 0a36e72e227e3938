/**
 * Bearer-token authentication of every call, and the principal it yields.
 *
 * Each token grants one namespace; a service token (namespace `*`) is what
 * the planner uses to call the runner on behalf of its own callers, naming
 * their namespace in the `x-kitaru-namespace` header. Tokens are compared in
 * constant time, several may grant one namespace (rotation), and refusals
 * never say which tokens or namespaces exist.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import { KitaruAuthError, KitaruPermissionError, KitaruUsageError } from "#contract/errors/index.ts";
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN } from "#contract/namespaces.ts";
import type { HandlerContext, Principal } from "./handler-context.ts";
import type { Interceptor } from "./interceptor.ts";

/** The header a service token names the caller's namespace in. */
export const NAMESPACE_HEADER = "x-kitaru-namespace";

/** A namespace name (`*` in a token entry marks a service token). */
const NAMESPACE = NAMESPACE_PATTERN;
/** Tokens shorter than this are refused at start: they are guessable. */
const MIN_TOKEN_CHARS = 16;

interface TokenEntry {
  readonly namespace: string;
  readonly digest: Buffer;
}

/**
 * The tokens a service accepts, each granting a namespace (`*`: a service token).
 *
 * Parsed from `namespace=token` entries separated by commas or newlines
 * (`KITARU_TOKENS`), or from a file with one `namespace token` (or
 * `namespace=token`) per line, `#` comments allowed (`KITARU_TOKENS_FILE`).
 */
export class TokenRegistry {
  readonly #entries: readonly TokenEntry[];

  private constructor(entries: readonly TokenEntry[]) {
    this.#entries = entries;
  }

  /** Parses token entries; a malformed entry is a usage error naming `source` and the line, never the token. */
  static parse(text: string, source: string): TokenRegistry {
    const entries: TokenEntry[] = [];
    text.split(/[\n,]/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const match = /^([^\s=]+)\s*[=\s]\s*(\S+)$/.exec(line);
      const where = `${source}, entry ${index + 1}`;
      if (!match) throw new KitaruUsageError(`${where}: expected \`namespace=token\` (or \`*=token\` for a service token).`);
      const [, namespace, token] = match as unknown as [string, string, string];
      if (namespace !== "*" && !NAMESPACE.test(namespace)) {
        throw new KitaruUsageError(`${where}: the namespace must be lowercase letters, digits, _ and - (at most 63), or * for a service token.`);
      }
      if (token.length < MIN_TOKEN_CHARS) throw new KitaruUsageError(`${where}: a token must have at least ${MIN_TOKEN_CHARS} characters.`);
      entries.push({ namespace, digest: digest(token) });
    });
    if (entries.length === 0) throw new KitaruUsageError(`${source} holds no token.`);
    return new TokenRegistry(entries);
  }

  /** Merges registries (tokens from the environment and from a file). */
  static merge(registries: readonly TokenRegistry[]): TokenRegistry {
    return new TokenRegistry(registries.flatMap((r) => r.#entries));
  }

  /** How many tokens are accepted. */
  get size(): number {
    return this.#entries.length;
  }

  /** The namespace a token grants (`*` for a service token), or undefined. Constant time in the token. */
  namespaceOf(token: string): string | undefined {
    const candidate = digest(token);
    let found: string | undefined;
    for (const entry of this.#entries) {
      // Every entry is compared, so the time taken does not depend on which one matches.
      if (timingSafeEqual(entry.digest, candidate) && found === undefined) found = entry.namespace;
    }
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Options of {@link authenticate}. */
export interface AuthenticateOptions {
  /** The accepted tokens; undefined turns authentication off (every call is `anonymous` in the default namespace). */
  readonly tokens: TokenRegistry | undefined;
  /** Methods callable without a token: health checks. */
  readonly exempt?: (method: DescMethod) => boolean;
  /** Methods only a service token may call (internal services); a namespace token gets PERMISSION_DENIED. */
  readonly serviceOnly?: (method: DescMethod) => boolean;
}

/** True for the gRPC health service, which load balancers probe without credentials. */
export function isHealthMethod(method: DescMethod): boolean {
  return method.parent.typeName === "grpc.health.v1.Health";
}

/**
 * The interceptor that authenticates every call and hands the handler its
 * {@link Principal} as `ctx.principal`. A missing, malformed or unknown token
 * is UNAUTHENTICATED; a namespace token naming another namespace in
 * `x-kitaru-namespace` is PERMISSION_DENIED.
 */
export function authenticate(options: AuthenticateOptions): Interceptor {
  return (next) =>
    async function* (input, ctx) {
      yield* next(input, { ...ctx, principal: principalOf(ctx, options) });
    };
}

function principalOf(ctx: HandlerContext, options: AuthenticateOptions): Principal {
  const asked = headerValue(ctx, NAMESPACE_HEADER);
  if (options.tokens === undefined) {
    return { namespace: asked ?? DEFAULT_NAMESPACE, kind: "anonymous" };
  }
  if (options.exempt?.(ctx.method)) return { namespace: DEFAULT_NAMESPACE, kind: "anonymous" };
  const header = headerValue(ctx, "authorization");
  const token = header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  const granted = token === undefined ? undefined : options.tokens.namespaceOf(token);
  if (granted === undefined) {
    throw new KitaruAuthError(
      header === undefined
        ? "This service requires a bearer token: send `authorization: Bearer <token>` (KITARU_TOKEN for the kitaru CLI and clients)."
        : "The bearer token is not valid for this service.",
    );
  }
  if (granted === "*") {
    if (asked !== undefined && !NAMESPACE.test(asked)) {
      throw new KitaruUsageError(`\`${NAMESPACE_HEADER}\` must be a namespace name.`, {
        violations: [{ field: NAMESPACE_HEADER, description: "must be lowercase letters, digits, _ and -" }],
      });
    }
    return { namespace: asked ?? DEFAULT_NAMESPACE, kind: "service" };
  }
  if (asked !== undefined && asked !== granted) {
    throw new KitaruPermissionError("This token does not allow acting in another namespace.");
  }
  if (options.serviceOnly?.(ctx.method)) {
    throw new KitaruPermissionError(`${ctx.method.parent.typeName} is internal to kitaru's services; use the PlannerService instead.`);
  }
  return { namespace: granted, kind: "token" };
}

function headerValue(ctx: HandlerContext, name: string): string | undefined {
  const [value] = ctx.metadata.get(name);
  return typeof value === "string" && value !== "" ? value : undefined;
}
