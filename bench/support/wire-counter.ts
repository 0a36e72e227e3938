/**
 * A TCP proxy between a MongoDB driver and a MongoDB-wire server that counts
 * the requests going through it: one request message is one database round
 * trip. Used by the benches to count what the engine sends without changing
 * the store (MongoExecutionStore keeps its MongoClient private, so command
 * monitoring cannot be switched on from outside).
 *
 * Only the client→server direction is parsed: the message header, and for
 * OP_MSG the command body (kind-0 section) and document sequences (kind-1).
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import { BSON } from "mongodb";

const OP_MSG = 2013;
const OP_QUERY = 2004;
const OP_COMPRESSED = 2012;

/** One request seen on the wire. */
export interface WireRequest {
  /** performance.now() when the whole message had arrived at the proxy. */
  readonly at: number;
  /** Command name (first key of the body), e.g. "insert", "find", "getMore", "hello". */
  readonly command: string;
  /** Collection the command targets, when it names one. */
  readonly collection: string;
  /** Database ($db), when given. */
  readonly db: string;
  /** Documents carried by an insert (body array or document sequence), else 0. */
  readonly documents: number;
  readonly bytes: number;
}

export interface WireCounter {
  /** URI to give the driver instead of the server's. */
  readonly uri: string;
  readonly requests: WireRequest[];
  close(): Promise<void>;
}

/** Starts a counting proxy in front of the single host of `serverUri`. */
export async function startWireCounter(serverUri: string): Promise<WireCounter> {
  const target = singleHost(serverUri);
  const requests: WireRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host, port: target.port });
    sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readInt32LE(0);
        if (pending.length < length) break;
        requests.push(parseRequest(pending.subarray(0, length)));
        pending = pending.subarray(length);
      }
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", closeBoth).on("error", closeBoth);
    upstream.on("close", closeBoth).on("error", closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(serverUri);
  url.host = `127.0.0.1:${port}`;
  url.searchParams.set("directConnection", "true");
  return {
    uri: url.toString(),
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function singleHost(uri: string): { host: string; port: number } {
  if (!uri.startsWith("mongodb://")) throw new Error(`round-trip counting needs a mongodb:// URI with one host, got ${uri}`);
  const url = new URL(uri);
  if (url.host.includes(",")) throw new Error("round-trip counting needs a single-host URI");
  if (/^(true|yes)$/i.test(url.searchParams.get("tls") ?? url.searchParams.get("ssl") ?? "")) {
    throw new Error("round-trip counting does not support TLS URIs");
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 27017) };
}

function parseRequest(message: Buffer): WireRequest {
  const at = performance.now();
  const opCode = message.readInt32LE(12);
  const bytes = message.length;
  try {
    if (opCode === OP_MSG) {
      const flags = message.readUInt32LE(16);
      const end = flags & 1 ? message.length - 4 : message.length;
      let offset = 20;
      let body: BSON.Document = {};
      let sequenceDocs = 0;
      while (offset < end) {
        const kind = message[offset]!;
        offset += 1;
        const size = message.readInt32LE(offset);
        if (kind === 0) {
          body = BSON.deserialize(message.subarray(offset, offset + size), { promoteLongs: false, promoteValues: false });
          offset += size;
        } else {
          // Document sequence: size, identifier (cstring), documents.
          const sectionEnd = offset + size;
          let p = message.indexOf(0, offset + 4) + 1;
          while (p < sectionEnd) {
            sequenceDocs += 1;
            p += message.readInt32LE(p);
          }
          offset = sectionEnd;
        }
      }
      const command = Object.keys(body)[0] ?? "?";
      const first = body[command];
      const collection = typeof first === "string" ? first : typeof body.collection === "string" ? body.collection : "";
      const inline = Array.isArray(body.documents) ? body.documents.length : 0;
      return { at, command, collection, db: typeof body.$db === "string" ? body.$db : "", documents: command === "insert" ? inline + sequenceDocs : 0, bytes };
    }
    if (opCode === OP_QUERY) return { at, command: "OP_QUERY", collection: "", db: "", documents: 0, bytes };
    if (opCode === OP_COMPRESSED) return { at, command: "OP_COMPRESSED", collection: "", db: "", documents: 0, bytes };
  } catch {
    // fall through: count it, unnamed
  }
  return { at, command: `op${opCode}`, collection: "", db: "", documents: 0, bytes };
}

/** Requests to `db` in [from, to], grouped "command collection" → {requests, documents}. */
export function summarize(requests: readonly WireRequest[], db: string, from: number, to: number) {
  const groups = new Map<string, { requests: number; documents: number }>();
  let total = 0;
  for (const r of requests) {
    if (r.at < from || r.at > to || r.db !== db) continue;
    total += 1;
    const key = r.collection ? `${r.command} ${r.collection}` : r.command;
    const g = groups.get(key) ?? { requests: 0, documents: 0 };
    g.requests += 1;
    g.documents += r.documents;
    groups.set(key, g);
  }
  return { total, groups: [...groups.entries()].sort((a, b) => b[1].requests - a[1].requests) };
}

export function formatGroups(groups: ReturnType<typeof summarize>["groups"]): string {
  return groups.map(([key, g]) => `${key}: ${g.requests}${g.documents ? ` (${g.documents} docs)` : ""}`).join(", ");
}
