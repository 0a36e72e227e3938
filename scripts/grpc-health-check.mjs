#!/usr/bin/env node
// gRPC health probe: calls grpc.health.v1.Health/Check and exits 0 when the
// answer is SERVING, 1 otherwise (NOT_SERVING, unknown service, unreachable,
// timeout). Used by the docker-compose health checks and the deploy tests.
//
//   node scripts/grpc-health-check.mjs <host:port> [--tls | --ca FILE] [--service NAME] [--timeout-ms N]
//
// --service defaults to "" (the server's overall status); --timeout-ms to 3000.
// A service with a certificate (KITARU_TLS_CERT) is probed with --tls (the
// system's trusted CAs) or --ca FILE (a CA of your own); an https:// target
// means --tls. Health answers without a token (tokens do not matter here).
// Only @grpc/grpc-js is needed (a runtime dependency, present in the image).
// The two messages are encoded by hand, so no .proto loader is involved:
//   HealthCheckRequest  { string service = 1; }  -> empty message = zero bytes
//   HealthCheckResponse { ServingStatus status = 1; }  (varint; SERVING = 1)
import { readFileSync } from "node:fs";
import grpc from "@grpc/grpc-js";

const STATUS_NAMES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];
const USAGE = "usage: grpc-health-check.mjs <host:port> [--tls | --ca FILE] [--service NAME] [--timeout-ms N]";

function parseArgs(argv) {
  const opts = { target: undefined, service: "", timeoutMs: 3000, tls: false, ca: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (v === undefined) fail(`${arg} needs a value\n${USAGE}`, 2);
      return v;
    };
    if (arg === "-h" || arg === "--help") fail(USAGE, 0);
    else if (arg.startsWith("--service")) opts.service = value();
    else if (arg === "--tls") opts.tls = true;
    else if (arg.startsWith("--ca")) opts.ca = value();
    else if (arg.startsWith("--timeout-ms")) opts.timeoutMs = Number(value());
    else if (!arg.startsWith("-") && opts.target === undefined) opts.target = arg;
    else fail(`unexpected argument ${arg}\n${USAGE}`, 2);
  }
  if (!opts.target) fail(USAGE, 2);
  const scheme = /^(https?):\/\//.exec(opts.target);
  if (scheme) {
    if (scheme[1] === "https") opts.tls = true;
    else if (opts.tls || opts.ca) fail(`${opts.target} is plaintext (http://): drop --tls / --ca, or use https://`, 2);
    opts.target = opts.target.slice(scheme[0].length).replace(/\/+$/, "");
  }
  if (opts.ca) opts.tls = true;
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

/** The channel credentials the options ask for. */
function credentials({ tls, ca }) {
  if (!tls) return grpc.credentials.createInsecure();
  if (!ca) return grpc.credentials.createSsl();
  try {
    return grpc.credentials.createSsl(readFileSync(ca));
  } catch (error) {
    fail(`cannot read --ca ${ca}: ${error.message}`, 2);
  }
}

/** What to check when the call failed: TLS on one side and not on the other is the usual cause of a bare UNAVAILABLE. */
function hint(error, { tls }) {
  const text = `${error.details ?? ""} ${error.message ?? ""}`;
  if (!tls && error.code === grpc.status.UNAVAILABLE && !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(text)) {
    return " (if the service has a certificate, KITARU_TLS_CERT, probe it with --tls or --ca FILE)";
  }
  if (tls && /wrong version number|WRONG_VERSION_NUMBER|packet length too long|ssl3_get_record/i.test(text)) {
    return " (the service speaks plaintext: probe it without --tls / --ca)";
  }
  if (tls && /self.signed|unable to (get|verify)|UNABLE_TO_VERIFY|CERT_/i.test(text)) {
    return " (its certificate is not trusted: give the CA that signed it with --ca FILE)";
  }
  return "";
}

const opts = parseArgs(process.argv.slice(2));
const client = new grpc.Client(opts.target, credentials(opts));
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
      process.stderr.write(`${label}: health check failed: ${grpc.status[error.code] ?? error.code} ${error.details ?? error.message}${hint(error, opts)}\n`);
      process.exit(1);
    }
    const name = STATUS_NAMES[response.status] ?? String(response.status);
    process.stdout.write(`${label}: ${name}\n`);
    process.exit(response.status === 1 ? 0 : 1);
  },
);
