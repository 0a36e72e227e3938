/**
 * The codes Node puts on errors (`error.code`: system calls' ECONNREFUSED,
 * OpenSSL's, Node's own ERR_HTTP2_…), read down an error's cause chain: the
 * transport maps them to gRPC codes, the connection diagnosis to what is
 * wrong with a URL.
 *
 * @module
 */

/**
 * The codes of an error and of its causes, the error's own first (e.g.
 * ERR_HTTP2_STREAM_ERROR, then ECONNRESET); at most 8 errors down the chain.
 */
export function systemCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code !== "") codes.push(code);
  }
  return codes;
}
