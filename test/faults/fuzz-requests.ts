/**
 * The fault suite's request fuzzer: seeded random requests for every method
 * of a service, built from the generated descriptors (clients/ts/gen), as
 * wire bytes with the verdict the services owe them.
 *
 * A request is one of:
 * - `structured`: every field set at random (or left unset): strings empty,
 *   from the pool of real values (execution IDs, wait names, flows, value
 *   paths, checkpoint names), unicode and control characters, or longer than
 *   the 1024-character bound; integers at their edges; unknown enum values;
 *   JSON values nested deep, holding NaN or ±Infinity, or `google.protobuf.Value`s
 *   with no kind; repeated and map fields of 0–5 items;
 * - `realistic`: what a client would send, naming real executions, waits,
 *   flows and values, with a small chance of one bad field;
 * - `mutated`: a structured request's bytes with bits flipped, cut short,
 *   bytes inserted, or a field appended;
 * - `random`: random bytes;
 * - plus, on any of them, sometimes odd metadata: long `x-request-id`
 *   headers, many headers, binary headers.
 *
 * `expectInvalid` is set when the request breaks a documented bound the
 * services check before any handler runs (a string field beyond 1024
 * characters, a JSON value not set, not finite or nested deeper than 40, an
 * `x-request-id` header beyond 1024 characters, request headers beyond
 * 16 KiB): the answer must then be INVALID_ARGUMENT.
 *
 * @module
 */
import { create, toBinary, type DescField, type DescMessage, type DescMethod, type DescService, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import { ListValueSchema, StructSchema, ValueSchema, type Value } from "@bufbuild/protobuf/wkt";

/** Real things a realistic request can name. */
export interface FuzzPool {
  readonly execIds: readonly string[];
  readonly flows: readonly string[];
  readonly waits: readonly string[];
  readonly checkpoints: readonly string[];
  readonly valuePaths: readonly string[];
}

/** One request the fuzzer sends. */
export interface FuzzRequest {
  readonly method: DescMethod;
  /** "/package.Service/Method". */
  readonly path: string;
  readonly kind: "structured" | "realistic" | "mutated" | "random" | "huge";
  readonly bytes: Buffer;
  /** Extra request headers (grpc-js metadata: ASCII values, `-bin` keys take bytes). */
  readonly headers: readonly (readonly [string, string | Buffer])[];
  /** The request breaks a bound checked before any handler: the answer must be INVALID_ARGUMENT (RESOURCE_EXHAUSTED beyond the transport's size). */
  readonly expectInvalid: boolean;
  /** Why, for failure messages. */
  readonly why: string;
}

/** The documented bounds (services/transport/src/request-limits.ts, grpc-host.ts). */
const STRING_CHARS = 1024;
const VALUE_DEPTH = 40;
const HEADER_BYTES = 16 * 1024;

type Random = () => number;

/** A request generator over `services`, drawing from `random`. */
export class RequestFuzzer {
  readonly #random: Random;
  readonly #pool: FuzzPool;
  readonly #methods: { method: DescMethod; weight: number }[];
  #invalid: string[] = [];

  constructor(random: Random, pool: FuzzPool, services: readonly { service: DescService; weight: number }[]) {
    this.#random = random;
    this.#pool = pool;
    this.#methods = services.flatMap(({ service, weight }) => service.methods.map((method) => ({ method, weight: weight / service.methods.length })));
  }

  /** Every method the fuzzer calls. */
  get methods(): DescMethod[] {
    return this.#methods.map((m) => m.method);
  }

  /** The next request: a random method (or `method`), a random kind. */
  next(method = this.#pickMethod()): FuzzRequest {
    this.#invalid = [];
    const roll = this.#random();
    const kind = roll < 0.4 ? "structured" : roll < 0.7 ? "realistic" : roll < 0.88 ? "mutated" : "random";
    let bytes: Buffer;
    if (kind === "random") {
      bytes = this.#bytes(this.#int(0, this.#chance(0.1) ? 20_000 : 600));
      this.#invalid = []; // whatever these decode to is not checked: a random string is almost never long enough
    } else {
      const message = kind === "realistic" ? this.#realistic(method.input) : this.#message(method.input, 0);
      bytes = Buffer.from(toBinary(method.input, create(method.input, message as never)));
      bytes = this.#injectIntoStruct(method.input, bytes);
      if (kind === "mutated") {
        bytes = this.#mutate(bytes);
        this.#invalid = []; // a mutation may cut the bad part off, or break the framing first: no verdict
      }
    }
    const headers = this.#chance(0.08) ? this.#headers() : [];
    return {
      method,
      path: `/${method.parent.typeName}/${method.name}`,
      kind,
      bytes,
      headers,
      expectInvalid: this.#invalid.length > 0,
      why: this.#invalid.join("; "),
    };
  }

  /**
   * A request past the size bounds: `valueBytes` makes one JSON value larger
   * than 32 MiB (refused with details), `messageBytes` a request of that size
   * made of one long string (above 64 MiB: refused with details; above
   * 80 MiB: by grpc-js itself, RESOURCE_EXHAUSTED).
   */
  huge(method: DescMethod, what: { valueBytes: number } | { messageBytes: number }): FuzzRequest {
    let bytes: Buffer;
    if ("valueBytes" in what) {
      // ResolveWaitRequest{exec_id, wait, value: {string_value: "xxx..."}} / StartExecutionRequest{input: {"a": "xxx..."}}
      const text = "x".repeat(what.valueBytes);
      const init =
        method.name === "ResolveWait"
          ? { execId: this.#pick(this.#pool.execIds), wait: "approve", value: create(ValueSchema, { kind: { case: "stringValue", value: text } }) }
          : { flowName: "content_pipeline", input: { topic: text } };
      bytes = Buffer.from(toBinary(method.input, create(method.input, init as never)));
    } else {
      bytes = Buffer.concat([lengthDelimitedHeader(1, what.messageBytes), Buffer.alloc(what.messageBytes, 0x78)]);
    }
    return {
      method,
      path: `/${method.parent.typeName}/${method.name}`,
      kind: "huge",
      bytes,
      headers: [],
      expectInvalid: true,
      why: `huge: ${JSON.stringify(what)}`,
    };
  }

  #pickMethod(): DescMethod {
    const total = this.#methods.reduce((sum, m) => sum + m.weight, 0);
    let roll = this.#random() * total;
    for (const m of this.#methods) {
      roll -= m.weight;
      if (roll <= 0) return m.method;
    }
    return this.#methods[this.#methods.length - 1]!.method;
  }

  // --- structured: every field at random -----------------------------------

  #message(schema: DescMessage, depth: number): Record<string, unknown> {
    const init: Record<string, unknown> = {};
    const oneofsSet = new Set<string>();
    for (const field of schema.fields) {
      if (this.#chance(depth === 0 ? 0.2 : 0.4)) continue; // unset
      if (field.oneof !== undefined) {
        if (oneofsSet.has(field.oneof.localName)) continue;
        oneofsSet.add(field.oneof.localName);
        init[field.oneof.localName] = { case: field.localName, value: this.#fieldValue(field, depth) };
        continue;
      }
      init[field.localName] = this.#fieldValue(field, depth);
    }
    return init;
  }

  #fieldValue(field: DescField, depth: number): unknown {
    switch (field.fieldKind) {
      case "scalar":
        return this.#scalar(field.scalar, field.name);
      case "enum":
        return this.#enumValue(field.enum.values.map((v) => v.number));
      case "message":
        return this.#messageValue(field.message, depth, field.name);
      case "list": {
        const n = this.#chance(0.05) ? this.#int(50, 300) : this.#int(0, 5);
        return Array.from({ length: n }, () =>
          field.listKind === "scalar"
            ? this.#scalar(field.scalar, field.name)
            : field.listKind === "enum"
              ? this.#enumValue(field.enum.values.map((v) => v.number))
              : this.#messageValue(field.message, depth, field.name),
        );
      }
      case "map": {
        const entries: [unknown, unknown][] = [];
        for (let i = this.#int(0, 3); i > 0; i--) {
          const key = this.#scalar(field.mapKey, `${field.name} key`);
          const value =
            field.mapKind === "scalar"
              ? this.#scalar(field.scalar, field.name)
              : field.mapKind === "enum"
                ? this.#enumValue(field.enum.values.map((v) => v.number))
                : this.#messageValue(field.message, depth, field.name);
          entries.push([key, value]);
        }
        return Object.fromEntries(entries.map(([k, v]) => [String(k), v]));
      }
    }
  }

  #messageValue(schema: DescMessage, depth: number, name: string): unknown {
    if (schema.typeName === StructSchema.typeName) return this.#jsonObject(name);
    if (schema.typeName === ValueSchema.typeName) return this.#value(name);
    if (schema.typeName === "google.protobuf.Timestamp") return { seconds: BigInt(this.#int(-1e9, 4e9)), nanos: this.#int(0, 999_999_999) };
    if (depth >= 4) return {};
    return this.#message(schema, depth + 1);
  }

  #scalar(type: ScalarType, name: string): unknown {
    switch (type) {
      case ScalarType.STRING:
        return this.#string(name);
      case ScalarType.BOOL:
        return this.#chance(0.5);
      case ScalarType.BYTES:
        return new Uint8Array(this.#bytes(this.#int(0, 64)));
      case ScalarType.DOUBLE:
      case ScalarType.FLOAT:
        return this.#pick([0, -0, 1.5, -1e308, 1e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE]);
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64:
        return this.#pick([0n, 1n, -1n, 100n, 9223372036854775807n, -9223372036854775808n]);
      case ScalarType.UINT64:
      case ScalarType.FIXED64:
        return this.#pick([0n, 1n, 3n, 100n, 18446744073709551615n]);
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return this.#pick([0, 1, 10, 1000, 4294967295]);
      default:
        return this.#pick([0, 1, -1, 10, 100, 1001, 2147483647, -2147483648]);
    }
  }

  #enumValue(known: number[]): number {
    return this.#chance(0.8) ? this.#pick(known) : this.#pick([-1, 99, 2147483647]);
  }

  /** A string for field `name`: from the pool when the name says what it is, else odd. */
  #string(name: string): string {
    const roll = this.#random();
    if (roll < 0.06) {
      const text = this.#pick(["k", "é", "😀", "\u0000", "\u202e", "ab"]).repeat(this.#int(STRING_CHARS + 1, this.#chance(0.2) ? 70_000 : 20_000));
      if (text.length > STRING_CHARS) this.#invalid.push(`${name}: a string of ${text.length} characters`);
      return text;
    }
    if (roll < 0.5) {
      const real = this.#poolString(name);
      if (real !== undefined) return real;
    }
    return this.#oddString();
  }

  #poolString(name: string): string | undefined {
    const pool = this.#pool;
    if (/exec_id/.test(name)) return this.#pick(pool.execIds);
    if (/flow_name/.test(name)) return this.#pick(pool.flows);
    if (name === "wait") return this.#pick(pool.waits);
    if (name === "path") return this.#pick(pool.valuePaths);
    if (/^(from|checkpoint|invocation_id|selector|name|key)$/.test(name))
      return this.#pick([...pool.checkpoints, ...pool.checkpoints.map((c) => `checkpoint.${c}`)]);
    if (name === "request_id") return `fuzz-${this.#int(0, 50)}`; // reused: conflicting requests under one ID
    if (name === "page_token") return this.#pick(["", "eyJ4IjoxfQ", "not a token", "kr-aaaa:0"]);
    return undefined;
  }

  #oddString(): string {
    switch (this.#int(0, 9)) {
      case 0:
        return "";
      case 1:
        return " \t\n";
      case 2:
        return `kr-${"a".repeat(this.#int(0, 40))}`;
      case 3:
        return "😀🎉 ü ß 漢字 \u202e RTL \u0301\u0301\u0301";
      case 4:
        return String.fromCharCode(...Array.from({ length: this.#int(1, 40) }, () => this.#int(0, 31)));
      case 5:
        return "\ud800 lone \udfff surrogates";
      case 6:
        return "../../etc/passwd";
      case 7:
        return '\'; DROP TABLE executions; --{"$gt":""}';
      case 8:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a format-string probe, sent as is
        return "%s%n%x${x}{{x}}";
      default:
        return "x".repeat(this.#int(1, STRING_CHARS)); // up to the bound: fine
    }
  }

  // --- JSON values ----------------------------------------------------------

  /** A Struct field's JSON object: usually fine, sometimes with NaN/±Infinity or nested beyond the bound. */
  #jsonObject(name: string): JsonObject {
    const roll = this.#random();
    if (roll < 0.08) {
      this.#invalid.push(`${name}: a non-finite number`);
      return { n: this.#pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]), topic: "x" };
    }
    if (roll < 0.14) {
      const depth = this.#int(VALUE_DEPTH + 5, 48); // each level is two messages: protobuf-es decodes 100 at most
      this.#invalid.push(`${name}: nested ${depth} levels`);
      return { topic: "x", deep: nestedJson(depth - 1) };
    }
    const object: JsonObject = {};
    for (let i = this.#int(0, 4); i > 0; i--) object[this.#jsonKey()] = this.#json(0);
    if (this.#chance(0.5)) object["topic"] = this.#chance(0.8) ? "fuzzed topic" : this.#json(0);
    return object;
  }

  #jsonKey(): string {
    return this.#pick(["topic", "a", "", "$where", "a.b", "😀", "\u0000", "__proto__", "constructor", "x".repeat(300)]);
  }

  #json(depth: number): JsonValue {
    const roll = this.#random();
    if (depth > 6 || roll < 0.5) return this.#pick<JsonValue>([null, true, false, 0, -1.5, 1e300, "", "text", "😀", "\u0000\u0001"]);
    if (roll < 0.75) return Array.from({ length: this.#int(0, 4) }, () => this.#json(depth + 1));
    const object: JsonObject = {};
    for (let i = this.#int(0, 4); i > 0; i--) object[this.#jsonKey()] = this.#json(depth + 1);
    return object;
  }

  /** A `google.protobuf.Value`: usually fine, sometimes with no kind, NaN/±Infinity, or nested beyond the bound. */
  #value(name: string): Value {
    const roll = this.#random();
    if (roll < 0.06) {
      this.#invalid.push(`${name}: a Value with no kind`);
      return this.#chance(0.5)
        ? create(ValueSchema, {})
        : create(ValueSchema, { kind: { case: "structValue", value: { fields: { approved: create(ValueSchema, {}) } } } });
    }
    if (roll < 0.12) {
      this.#invalid.push(`${name}: a non-finite number`);
      const n = create(ValueSchema, { kind: { case: "numberValue", value: this.#pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) } });
      return this.#chance(0.5) ? n : create(ValueSchema, { kind: { case: "listValue", value: create(ListValueSchema, { values: [n] }) } });
    }
    if (roll < 0.17) {
      const depth = this.#int(VALUE_DEPTH + 5, 48);
      this.#invalid.push(`${name}: nested ${depth} levels`);
      return nestedValue(depth);
    }
    if (roll < 0.2) return nestedValue(this.#int(1, 35)); // deep but within the bound
    return protoValueOf(this.#json(0));
  }

  /**
   * Sometimes appends a Struct field holding a Value with no kind (protobuf
   * merges it into the field): no client would send it. No verdict: protobuf-es
   * reads such a value inside a Struct as null before kitaru sees the request.
   */
  #injectIntoStruct(schema: DescMessage, bytes: Buffer): Buffer {
    if (!this.#chance(0.05)) return bytes;
    const struct = schema.fields.find((f) => f.fieldKind === "message" && f.message.typeName === StructSchema.typeName);
    if (struct === undefined) return bytes;
    const bad = Buffer.from(toBinary(StructSchema, create(StructSchema, { fields: { injected: create(ValueSchema, {}) } })));
    return Buffer.concat([bytes, lengthDelimitedHeader(struct.number, bad.length), bad]);
  }

  // --- realistic --------------------------------------------------------------

  #realistic(schema: DescMessage): Record<string, unknown> {
    const pool = this.#pool;
    const execId = this.#pick(pool.execIds);
    const good: Record<string, Record<string, unknown>> = {
      "kitaru.runner.v1.StartExecutionRequest": {
        flowName: this.#pick(pool.flows),
        input: this.#pick<JsonObject>([{ topic: `fuzz ${this.#int(0, 1e6)}` }, { topic: "" }, {}, { mib: 0.01, parts: 1 }, { marker: "/dev/null", seed: 1 }]),
        requestId: this.#chance(0.5) ? `fuzz-start-${this.#int(0, 30)}` : "",
      },
      "kitaru.runner.v1.GetExecutionRequest": { execId, view: this.#int(0, 2) },
      "kitaru.runner.v1.ListExecutionsRequest": {
        flowName: this.#chance(0.5) ? this.#pick(pool.flows) : "",
        status: this.#int(0, 5),
        pageSize: this.#pick([0, 1, 10, 100, 1000]),
      },
      "kitaru.runner.v1.ListPendingWaitsRequest": { execId },
      "kitaru.runner.v1.ResolveWaitRequest": {
        execId,
        wait: this.#pick(pool.waits),
        value: protoValueOf(
          this.#pick<JsonValue>([{ approved: true, reviewer: "fuzz" }, { approved: false, reviewer: "" }, { n: 1 }, { add: 2 }, "text", null]),
        ),
      },
      "kitaru.runner.v1.AbortWaitRequest": { execId, wait: this.#pick(pool.waits) },
      "kitaru.runner.v1.RetryExecutionRequest": { execId },
      "kitaru.runner.v1.CancelExecutionRequest": { execId },
      "kitaru.runner.v1.WatchExecutionRequest": { execId, followWaits: this.#chance(0.5) },
      "kitaru.runner.v1.ListExecutionLogsRequest": {
        execId,
        checkpoint: this.#chance(0.5) ? this.#pick(pool.checkpoints) : "",
        pageSize: this.#pick([0, 5, 500]),
      },
      "kitaru.runner.v1.WatchExecutionLogsRequest": { execId, checkpoint: this.#chance(0.3) ? this.#pick(pool.checkpoints) : "" },
      "kitaru.runner.v1.ReadExecutionValueRequest": { execId, path: this.#pick(pool.valuePaths) },
      "kitaru.runner.v1.GetExecutionLineageRequest": { execId },
      "kitaru.runner.v1.CompareExecutionsRequest": { baseExecId: execId, otherExecId: this.#pick(pool.execIds) },
      "kitaru.runner.v1.ListFlowsRequest": {},
      "kitaru.runner.v1.GetCallGraphRequest": { execId },
      "kitaru.runner.v1.StartReplayRequest": {
        plan: {
          sourceExecId: execId,
          flowName: this.#pick(pool.flows),
          from: this.#pick(pool.checkpoints),
          roots: [{ invocationId: this.#pick(pool.checkpoints), callId: "call-x" }],
          reuse: this.#chance(0.5) ? [{ invocationId: this.#pick(pool.checkpoints), callId: "call-y", sequence: 1n }] : [],
          overrides: this.#chance(0.3) ? [{ key: `checkpoint.${this.#pick(pool.checkpoints)}`, value: protoValueOf("override") }] : [],
          input: { topic: "replayed" },
        },
        requestId: this.#chance(0.5) ? `fuzz-replay-${this.#int(0, 30)}` : "",
        validateOnly: this.#chance(0.5),
      },
      "kitaru.planner.v1.PlanReplayRequest": {
        execId,
        from: this.#pick(pool.checkpoints),
        args: this.#chance(0.3) ? { topic: "new topic" } : undefined,
        overrides: this.#chance(0.3) ? { [`checkpoint.${this.#pick(pool.checkpoints)}`]: "edited" } : undefined,
      },
      "kitaru.planner.v1.ReplayExecutionRequest": {
        execId,
        from: this.#pick(pool.checkpoints),
        args: this.#chance(0.3) ? { topic: "new topic" } : undefined,
        overrides: this.#chance(0.3) ? { [`checkpoint.${this.#pick(pool.checkpoints)}`]: "edited" } : undefined,
        requestId: this.#chance(0.5) ? `fuzz-planner-${this.#int(0, 30)}` : "",
      },
    };
    const realistic = good[schema.typeName];
    // A request type without a realistic form is a structured one (its fields already fuzzed, and
    // noted in #invalid: overwriting one of them here would leave a stale note).
    if (realistic === undefined) return this.#message(schema, 0);
    const init = realistic;
    if (this.#chance(0.1) && schema.fields.length > 0) {
      // One field at random, fuzzed.
      const field = this.#pick(schema.fields);
      if (field.oneof === undefined) init[field.localName] = this.#fieldValue(field, 0);
    }
    return init;
  }

  // --- bytes ------------------------------------------------------------------

  #mutate(bytes: Buffer): Buffer {
    const out = Buffer.from(bytes);
    switch (this.#int(0, 4)) {
      case 0: // flip bits
        for (let i = this.#int(1, 4); i > 0 && out.length > 0; i--) out[this.#int(0, out.length - 1)]! ^= 1 << this.#int(0, 7);
        return out;
      case 1: // cut short
        return out.subarray(0, this.#int(0, out.length));
      case 2: // insert random bytes
        {
          const at = this.#int(0, out.length);
          return Buffer.concat([out.subarray(0, at), this.#bytes(this.#int(1, 16)), out.subarray(at)]);
        }
      case 3: // a field with a huge declared length
        return Buffer.concat([out, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]);
      default: // an unknown field, group wire types, a varint of 10 bytes
        return Buffer.concat([
          out,
          Buffer.from([0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x0b, 0x0c, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
        ]);
    }
  }

  #headers(): (readonly [string, string | Buffer])[] {
    const headers: [string, string | Buffer][] = [];
    switch (this.#int(0, 4)) {
      case 0: {
        const n = this.#chance(0.5) ? this.#int(STRING_CHARS + 1, 12_000) : this.#int(1, STRING_CHARS);
        if (n > STRING_CHARS) this.#invalid.push(`x-request-id header of ${n} characters`);
        headers.push(["x-request-id", "h".repeat(n)]);
        break;
      }
      case 1: {
        // Many headers, well below the bound or well above it (and below HTTP/2's own 64 KiB cut-off).
        const total = this.#chance(0.5) ? this.#int(1_000, HEADER_BYTES - 4096) : this.#int(HEADER_BYTES + 4096, 3 * HEADER_BYTES);
        let size = 0;
        for (let i = 0; size < total; i++) {
          const value = "v".repeat(this.#int(10, 2000));
          headers.push([`x-fuzz-${i}`, value]);
          size += `x-fuzz-${i}`.length + value.length + 32;
        }
        if (size > HEADER_BYTES) this.#invalid.push(`${size} bytes of extra headers`);
        break;
      }
      case 2:
        headers.push(["x-fuzz-bin", this.#bytes(this.#int(0, 512))]);
        break;
      case 3:
        headers.push(["x-kitaru-namespace", this.#pick(["default", "other", "", "../x", "a".repeat(100)])]);
        break;
      default:
        headers.push(["authorization", this.#pick(["Bearer ", "Bearer x", "Basic Zm9vOmJhcg==", "x".repeat(300)])]);
    }
    return headers;
  }

  #bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.#random() * 256);
    return out;
  }

  #chance(p: number): boolean {
    return this.#random() < p;
  }

  #int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)]!;
  }
}

/** A JSON value as a `google.protobuf.Value` message. */
function protoValueOf(json: JsonValue): Value {
  if (json === null) return create(ValueSchema, { kind: { case: "nullValue", value: 0 } });
  if (typeof json === "number") return create(ValueSchema, { kind: { case: "numberValue", value: json } });
  if (typeof json === "string") return create(ValueSchema, { kind: { case: "stringValue", value: json } });
  if (typeof json === "boolean") return create(ValueSchema, { kind: { case: "boolValue", value: json } });
  if (Array.isArray(json)) return create(ValueSchema, { kind: { case: "listValue", value: { values: json.map(protoValueOf) } } });
  return create(ValueSchema, {
    kind: { case: "structValue", value: { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, protoValueOf(v)])) } },
  });
}

/** A Value `depth` lists deep around a string. */
function nestedValue(depth: number): Value {
  let value = create(ValueSchema, { kind: { case: "stringValue", value: "bottom" } });
  for (let i = 0; i < depth; i++) value = create(ValueSchema, { kind: { case: "listValue", value: { values: [value] } } });
  return value;
}

/** A JSON value `depth` objects deep. */
function nestedJson(depth: number): JsonValue {
  let value: JsonValue = "bottom";
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

/** The tag and length of a length-delimited field `number` of `length` bytes. */
function lengthDelimitedHeader(number: number, length: number): Buffer {
  const bytes = [...varint((number << 3) | 2), ...varint(length)];
  return Buffer.from(bytes);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
