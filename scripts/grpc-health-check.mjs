#!/usr/bin/env node
// gRPC health probe: calls grpc.health.v1.Health/Check and exits 0 when the
// answer is SERVING, 1 otherwise (NOT_SERVING, unknown service, unreachable,
// timeout). Used by the docker-compose health checks and the deploy tests.
//
//   node scripts/grpc-health-check.mjs <host:port> [--service NAME] [--timeout-ms N]
//
// --service defaults to "" (the server's overall status); --timeout-ms to 3000.
// Only @grpc/grpc-js is needed (a runtime dependency, present in the image).
// The two messages are encoded by hand, so no .proto loader is involved:
//   HealthCheckRequest  { string service = 1; }  -> empty message = zero bytes
//   HealthCheckResponse { ServingStatus status = 1; }  (varint; SERVING = 1)
import grpc from "@grpc/grpc-js";

const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];
const USAGE = "usage: grpc-health-check.mjs <host:port> [--service NAME] [--timeout-ms N]";

function parseArgs(argv) {
  const opts = { target: undefined, service: "", timeoutMs: 3000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (v === undefined) fail(`${arg} needs a value\n${USAGE}`, 2);
      return v;
    };
    if (arg === "-h" || arg === "--help") fail(USAGE, 0);
    else if (arg.startsWith("--service")) opts.service = value();
    else if (arg.startsWith("--timeout-ms")) opts.timeoutMs = Number(value());
    else if (!arg.startsWith("-") && opts.target === undefined) opts.target = arg;
    else fail(`unexpected argument ${arg}\n${USAGE}`, 2);
  }
  if (!opts.target) fail(USAGE, 2);
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) fail("--timeout-ms must be a positive number", 2);
  return opts;
}

function fail(message, code) {
  (code === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  process.exit(code);
}

function encodeVarint(n) {
  const out = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** HealthCheckRequest: field 1 (string) only when non-empty. */
function encodeRequest({ service }) {
  if (!service) return Buffer.alloc(0);
  const bytes = Buffer.from(service, "utf8");
  return Buffer.from([0x0a, ...encodeVarint(bytes.length), ...bytes]);
}

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error("truncated varint");
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
    if (shift > 63) throw new Error("varint too long");
  }
}

/** HealthCheckResponse: the last field 1 varint wins; unknown fields are skipped. */
function decodeResponse(buf) {
  let status = 0;
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) status = v;
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  if (pos > buf.length) throw new Error("truncated message");
  return { status };
}

const opts = parseArgs(process.argv.slice(2));
const client = new grpc.Client(opts.target, grpc.credentials.createInsecure());
const label = `${opts.target}${opts.service ? ` (${opts.service})` : ""}`;
client.makeUnaryRequest(
  "/grpc.health.v1.Health/Check",
  encodeRequest,
  decodeResponse,
  { service: opts.service },
  new grpc.Metadata(),
  { deadline: Date.now() + opts.timeoutMs },
  (error, response) => {
    client.close();
    if (error) {
      process.stderr.write(`${label}: health check failed: ${grpc.status[error.code] ?? error.code} ${error.details ?? error.message}\n`);
      process.exit(1);
    }
    const name = STATUS_NAMES[response.status] ?? String(response.status);
    process.stdout.write(`${label}: ${name}\n`);
    process.exit(response.status === 1 ? 0 : 1);
  },
);
