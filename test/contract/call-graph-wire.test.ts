/**
 * The call graph written and read in its wire form (#contract/wire/): the
 * runner's encoder writes byte for byte what protobuf-es writes for the same
 * GetCallGraphResponse, the planner's reader gives what `fromBinary` then
 * `sourceFromCallGraph` give (the same result, or an error where protobuf-es
 * has one), and records written by one read back through the other as they
 * were. Records and bytes either side does not cover are left to protobuf-es.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { decodeCallGraph, callGraphBytes, GET_CALL_GRAPH_BYTES } from "#contract/wire/call-graph-decoder.ts";
import { encodeCallGraphResponse, encodeLineageEntry } from "#contract/wire/call-graph-encoder.ts";
import { CheckpointCallStatus, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { CallGraphSchema, CallLineageSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { GetCallGraphResponseBytesSchema, GetCallGraphResponseSchema, RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { sourceFromCallGraph, sourceFromCallGraphBytes } from "../../services/planner/src/server/convert.ts";
import { type CallGraphRead, callGraphHeadToProto, callGraphResponseToProto, callGraphVersions } from "../../services/runner/src/server/convert.ts";
import type { CallLineage } from "../../services/runner/src/store/execution-store.ts";
import type { ExecutionRecord } from "../../services/runner/src/store/records.ts";

// ---------------------------------------------------------------------------
// The runner's records

function execution(overrides: { status?: ExecutionRecord["state"]["status"]; seq?: number; execId?: string; flowName?: string } = {}): ExecutionRecord {
  const at = new Date(0);
  return {
    execId: overrides.execId ?? "kr-abc",
    namespace: "default",
    flowName: overrides.flowName ?? "flow",
    input: { kind: "inline", json: "{}" },
    createdAt: at,
    state: { kind: "completed", status: overrides.status ?? "completed", generation: 0, at, seq: overrides.seq ?? 7, endedAt: at },
  } as unknown as ExecutionRecord;
}

function call(k: number, overrides: Partial<CallLineage> = {}): CallLineage {
  return {
    invocationId: k === 1 ? "step" : `step_${k}`,
    callId: `call-${k.toString(36).padStart(16, "x")}`,
    name: "step",
    status: "completed",
    sequence: k,
    generation: 0,
    dataDependencies: k === 1 ? [] : [k === 2 ? "step" : `step_${k - 1}`],
    loadDependencies: [],
    outputNames: [],
    ...overrides,
  } as CallLineage;
}

/** A graph as the runner reads it; the runner's flow version is "v9" unless given. */
type GraphRead = Omit<CallGraphRead, "flowVersion" | "calls"> & { readonly calls: readonly CallLineage[]; readonly flowVersion?: string };

const withVersion = (graph: GraphRead): CallGraphRead => ({ flowVersion: "v9", ...graph });

const chainRead = (n: number): GraphRead => ({ execution: execution(), input: { calls: n }, calls: Array.from({ length: n }, (_, i) => call(i + 1)) });

const encode = (graph: GraphRead) => {
  const read = withVersion(graph);
  return encodeCallGraphResponse(callGraphHeadToProto(read), read.calls, callGraphVersions(read));
};

/** The graph's lineage as the embedded store keeps it: each call's entry, concatenated. */
const storedEntries = (graph: GraphRead) => ({
  lineageBytes: Buffer.concat(
    graph.calls.map((c) => {
      const entry = encodeLineageEntry(c);
      assert.ok(entry, "the encoder covers this call");
      return entry;
    }),
  ),
});

/** protobuf-es's bytes, from the records and from the entries the store keeps alike. */
function assertSameBytes(graph: GraphRead): void {
  const expected = Buffer.from(toBinary(GetCallGraphResponseSchema, create(GetCallGraphResponseSchema, callGraphResponseToProto(withVersion(graph)))));
  const encoded = encode(graph);
  assert.ok(encoded, "the encoder covers this graph");
  assert.equal(encoded.schema, GetCallGraphResponseSchema);
  assert.deepEqual(Buffer.from(encoded.bytes), expected);
  const read = withVersion(graph);
  const fromEntries = encodeCallGraphResponse(callGraphHeadToProto(read), storedEntries(graph), callGraphVersions(read));
  assert.deepEqual(Buffer.from(fromEntries?.bytes ?? []), expected, "written from the stored entries");
  const generic = callGraphResponseToProto({ ...read, calls: storedEntries(graph) });
  assert.deepEqual(
    Buffer.from(toBinary(GetCallGraphResponseSchema, create(GetCallGraphResponseSchema, generic))),
    expected,
    "the generic way, from the entries",
  );
}

// ---------------------------------------------------------------------------
// Bytes as the planner receives them

type GraphInit = MessageInitShape<typeof CallGraphSchema>;
type LineageInit = NonNullable<GraphInit["lineage"]>[number];

const generic = (bytes: Uint8Array) => sourceFromCallGraph(fromBinary(CallGraphSchema, bytes));

/** Read by the wire reader (not left to protobuf-es), and the same as protobuf-es's. */
function assertSameSource(bytes: Uint8Array): void {
  assert.ok(
    decodeCallGraph(bytes, (status) => status),
    "the reader covers these bytes",
  );
  assert.deepEqual(sourceFromCallGraphBytes(bytes), generic(bytes));
}

function assertBothRefuse(bytes: Uint8Array): void {
  assert.throws(() => generic(bytes));
  assert.throws(() => sourceFromCallGraphBytes(bytes));
}

const graphBytes = (graph: GraphInit) => toBinary(CallGraphSchema, create(CallGraphSchema, graph));

function chain(n: number): LineageInit[] {
  return Array.from({ length: n }, (_, i) => ({
    invocationId: i === 0 ? "step" : `step_${i + 1}`,
    callId: `call-${i}`,
    name: "step",
    status: CheckpointCallStatus.COMPLETED,
    sequence: BigInt(i + 1),
    dataDependencies: i === 0 ? [] : [i === 1 ? "step" : `step_${i}`],
  }));
}

const header: GraphInit = {
  execId: "kr-1",
  flowName: "flow",
  status: ExecutionStatus.COMPLETED,
  input: { calls: 3, nested: { a: [1, "x", null] } },
  version: 9n,
};

/** Bytes by hand: a varint. */
function varint(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest > 0x7fn) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
}
const tag = (fieldNo: number, wireType: number) => varint(BigInt(fieldNo * 8 + wireType));
const lengthDelimited = (fieldNo: number, body: number[] | Uint8Array) => [...tag(fieldNo, 2), ...varint(BigInt(body.length)), ...body];
const text = (value: string) => [...Buffer.from(value, "utf8")];
/** A graph with the given calls (CallLineage bytes). */
const graphOf = (...calls: number[][]) => new Uint8Array([...lengthDelimited(1, text("kr-1")), ...calls.flatMap((body) => lengthDelimited(7, body))]);
const validCall = [...lengthDelimited(1, text("step")), ...lengthDelimited(2, text("call-1")), ...tag(5, 0), 1];
/** A graph with unknown fields of every wire type after its call. */
const unknownGraphFields = new Uint8Array([
  ...graphOf(validCall),
  ...tag(99, 0),
  5,
  ...tag(98, 1),
  ...[1, 2, 3, 4, 5, 6, 7, 8],
  ...tag(97, 5),
  ...[1, 2, 3, 4],
  ...lengthDelimited(96, [1, 2]),
]);

/** Strings of every length class and of non-ASCII, astral and ill-formed UTF-16. */
const awkwardStrings = [
  "",
  "a",
  "a".repeat(32),
  "a".repeat(33),
  "a".repeat(127),
  "a".repeat(128),
  "a".repeat(20_000),
  "é",
  "é".repeat(43),
  "€".repeat(200),
  "😀",
  "😀".repeat(22),
  "a\uD800b", // lone high surrogate
  "\uDC00", // lone low surrogate
  `${"a".repeat(127)}é`,
  "\u0000\u007f\u0080\u07ff\u0800\uffff",
  "\uFEFFbom",
];

describe("call graph in its wire form", () => {
  it("knows every field of the messages it writes and reads by hand (a field added to the contract must be added to both)", () => {
    assert.deepEqual(
      CallLineageSchema.fields.map((f) => `${f.number} ${f.name}`),
      ["1 invocation_id", "2 call_id", "3 name", "4 status", "5 sequence", "6 data_dependencies", "7 load_dependencies", "8 output_names"],
    );
    // The graph's other fields are written by protobuf-es, then the lineage: it must stay the last field.
    assert.equal(CallGraphSchema.field.lineage.number, Math.max(...CallGraphSchema.fields.map((f) => f.number)));
    assert.deepEqual(
      GetCallGraphResponseSchema.fields.map((f) => `${f.number} ${f.name}`),
      ["1 graph", "2 source_flow_version", "3 flow_version"],
    );
    // The planner's view of the response: the same fields, the graph left as bytes.
    const [bytesField] = GetCallGraphResponseBytesSchema.fields;
    assert.deepEqual([bytesField?.number, bytesField?.fieldKind, bytesField?.scalar], [1, "list", 12]);
    assert.deepEqual(
      GetCallGraphResponseBytesSchema.fields.slice(1).map((f) => `${f.number} ${f.name}`),
      ["2 source_flow_version", "3 flow_version"],
    );
  });

  describe("written from the runner's records", () => {
    it("is protobuf-es's bytes with the source's and the runner's flow versions after the graph, set or empty", () => {
      const ran = { ...execution(), flowVersion: "v1" } as ExecutionRecord;
      const runs = {
        ...ran,
        state: {
          ...ran.state,
          flowVersionRuns: [
            { flowVersion: "v1", at: new Date(0) },
            { flowVersion: "v2é", at: new Date(1) },
          ],
        },
      };
      assertSameBytes({ execution: ran, input: {}, calls: [call(1), call(2)], flowVersion: "v3" });
      assertSameBytes({ execution: runs, input: {}, calls: [call(1)], flowVersion: "" });
      const bytes = encode({ execution: runs, input: {}, calls: [call(1)] })?.bytes;
      assert.ok(bytes);
      const read = fromBinary(GET_CALL_GRAPH_BYTES.output, bytes);
      assert.deepEqual([read.sourceFlowVersion, read.flowVersion], ["v2é", "v9"], "the planner reads the versions as they were sent");
    });

    it("is protobuf-es's bytes for a chain of 10 000 calls, an empty graph and an empty header", () => {
      assertSameBytes(chainRead(10_000));
      assertSameBytes({ execution: execution(), input: {}, calls: [] });
      assertSameBytes({ execution: execution({ execId: "", flowName: "", seq: 0, status: "running" }), input: {}, calls: [] });
    });

    it("is protobuf-es's bytes for varied calls: statuses, zero and large sequences, empty and missing fields, several dependencies", () => {
      const calls = [
        call(1, { status: "failed" }),
        call(2, { status: "cancelled", sequence: 0 }),
        call(3, { status: "reused", sequence: 2 ** 31 }),
        call(4, { sequence: 2 ** 32 - 1 }),
        call(5, { sequence: 2 ** 32 + 5 }),
        call(6, { sequence: Number.MAX_SAFE_INTEGER }),
        call(7, { invocationId: "", callId: "", name: "" }),
        call(8, { dataDependencies: ["a", "", "b"], loadDependencies: ["c", "d"], outputNames: ["x", "", "y"] }),
        { invocationId: "only", sequence: 9, status: "completed" } as CallLineage,
        call(10, { sequence: 127 }),
        call(11, { sequence: 128 }),
        call(12, { sequence: 16_384 }),
        call(13, { status: "running" as CallLineage["status"] }),
      ];
      assertSameBytes({ execution: execution({ status: "failed", seq: 2 ** 40 }), input: { a: [1, "two", null, { b: true }], c: 1.5 }, calls });
    });

    it("is protobuf-es's bytes for strings of every length class and of non-ASCII, astral and ill-formed UTF-16", () => {
      const calls = awkwardStrings.map((s, i) =>
        call(i + 1, { invocationId: s, callId: `${s}-id`, name: s, dataDependencies: [s, s], loadDependencies: [s], outputNames: [s] }),
      );
      assertSameBytes({ execution: execution({ execId: awkwardStrings[6], flowName: awkwardStrings[9] }), input: { s: awkwardStrings[11] ?? "" }, calls });
    });

    it("widens a call's length prefix when the call is 128 bytes or more", () => {
      for (const units of [100, 110, 120, 127, 128, 200, 16_400]) {
        assertSameBytes({ execution: execution(), input: {}, calls: [call(1, { callId: "a".repeat(units) }), call(2)] });
      }
    });

    it("leaves records it does not cover to protobuf-es", () => {
      const cases: CallLineage[] = [
        call(1, { sequence: -1 }),
        call(1, { sequence: 1.5 }),
        call(1, { sequence: 2 ** 53 }),
        call(1, { status: "bogus" as CallLineage["status"] }),
        call(1, { invocationId: 5 as unknown as string }),
        call(1, { dataDependencies: [5 as unknown as string] }),
        call(1, { dataDependencies: null as unknown as string[] }),
      ];
      for (const bad of cases) {
        assert.equal(encode({ execution: execution(), input: {}, calls: [call(2), bad] }), undefined, JSON.stringify(bad));
        assert.equal(encodeLineageEntry(bad), undefined, `no stored entry for ${JSON.stringify(bad)}`);
      }
    });
  });

  describe("read into the planner's records", () => {
    it("matches protobuf-es for a chain of 10 000 calls and for an empty graph", () => {
      assertSameSource(graphBytes({ ...header, lineage: chain(10_000) }));
      assertSameSource(graphBytes({}));
      assertSameSource(new Uint8Array());
    });

    it("matches protobuf-es for varied calls: every status, edge sequences, empty and repeated fields, non-ASCII strings", () => {
      const lineage: LineageInit[] = [
        ...Object.values(CheckpointCallStatus)
          .filter((v) => typeof v === "number")
          .map((status, i) => ({ invocationId: `s${i}`, status: status as CheckpointCallStatus, sequence: BigInt(i) })),
        { invocationId: "", callId: "", name: "", sequence: 0n },
        { invocationId: "big", sequence: BigInt(Number.MAX_SAFE_INTEGER) },
        { invocationId: "2^32", sequence: 2n ** 32n + 1n },
        { invocationId: "past 2^53", sequence: 2n ** 53n + 1n },
        { invocationId: "unknown status", status: 57 as CheckpointCallStatus },
        { invocationId: "deps", dataDependencies: ["a", "", "b"], loadDependencies: ["", "c"], outputNames: ["x", "y", ""] },
        { invocationId: "é😀€", callId: "\uFEFFbom", name: "a".repeat(300), dataDependencies: ["é".repeat(100), "\u0000\u007f\u0080"] },
      ];
      assertSameSource(graphBytes({ ...header, lineage }));
    });

    it("matches protobuf-es for bytes the runner does not send but protobuf-es accepts", () => {
      // Read here: unknown fields of the graph and of a call, odd varints, fields out of order or repeated, the header between calls.
      for (const bytes of [
        unknownGraphFields,
        graphOf([...validCall, ...tag(99, 0), 1]),
        graphOf([...validCall, ...lengthDelimited(20, [1, 2, 3])]),
        graphOf([
          ...tag(5, 0),
          0x85,
          0x80,
          0x00,
          ...lengthDelimited(1, text("first")),
          ...lengthDelimited(1, text("second")),
          ...tag(4, 0),
          3,
          ...tag(4, 0),
          2,
        ]),
        new Uint8Array([...graphOf(validCall, validCall), ...lengthDelimited(2, text("flow")), ...lengthDelimited(1, text("kr-2")), ...tag(6, 0), 7]),
        graphOf([...validCall, ...tag(4, 0), ...varint(2n ** 64n - 1n)]), // a negative status (a 10-byte varint)
        graphOf([...validCall, ...tag(5, 0), ...varint(2n ** 63n)]),
        graphOf([]),
      ]) {
        assertSameSource(bytes);
      }
      // Left to protobuf-es: the same result, or both refuse.
      for (const bytes of [
        graphOf([...validCall, ...tag(5, 2), 1, 7]), // a known field in another wire type than its own
        new Uint8Array([...graphOf(validCall), ...tag(7, 0), 1]), // the lineage field itself not length-delimited
        graphOf([...validCall, ...tag(2 ** 26, 0), 1]), // a tag of 5 bytes
        graphOf([...validCall, ...tag(30, 3), ...tag(30, 4)]), // a group
      ]) {
        let expected: unknown;
        try {
          expected = generic(bytes);
        } catch {
          assertBothRefuse(bytes);
          continue;
        }
        assert.equal(
          decodeCallGraph(bytes, (status) => status),
          undefined,
          Buffer.from(bytes).toString("hex"),
        );
        assert.deepEqual(sourceFromCallGraphBytes(bytes), expected, Buffer.from(bytes).toString("hex"));
      }
    });

    it("refuses what protobuf-es refuses: ill-formed UTF-8, truncated bytes, a call longer than the graph, field number 0", () => {
      assertBothRefuse(graphOf([...tag(1, 2), 2, 0xc3, 0x28]));
      assertBothRefuse(graphOf([...tag(3, 2), 1, 0xff]));
      assertBothRefuse(graphOf([...tag(6, 2), 40, ...text("é".repeat(19)), 0xc3, 0x28]));
      const whole = graphBytes({ ...header, lineage: chain(3) });
      for (const cut of [1, 5, whole.length - 1]) assertBothRefuse(whole.subarray(0, cut));
      assertBothRefuse(new Uint8Array([...tag(7, 2), 50, ...validCall]));
      assertBothRefuse(new Uint8Array([0, 0]));
    });

    it("reads the graph of a GetCallGraph response, one part or several (merged as protobuf merges a message)", () => {
      const graph = { ...header, lineage: chain(5) };
      const response = toBinary(GetCallGraphResponseSchema, create(GetCallGraphResponseSchema, { graph }));
      assert.equal(GET_CALL_GRAPH_BYTES.name, RunnerInternalService.method.getCallGraph.name);
      assert.equal(GET_CALL_GRAPH_BYTES.parent, RunnerInternalService);
      assert.equal(GET_CALL_GRAPH_BYTES.input, RunnerInternalService.method.getCallGraph.input);
      const one = callGraphBytes(fromBinary(GET_CALL_GRAPH_BYTES.output, response));
      assert.ok(one);
      assert.deepEqual(sourceFromCallGraphBytes(one), sourceFromCallGraph(fromBinary(GetCallGraphResponseSchema, response).graph ?? create(CallGraphSchema)));
      // The graph in two parts: protobuf-es merges them (lineage appended, scalars of the last part win).
      const first = toBinary(GetCallGraphResponseSchema, create(GetCallGraphResponseSchema, { graph: { execId: "kr-1", lineage: chain(2) } }));
      const second = toBinary(GetCallGraphResponseSchema, create(GetCallGraphResponseSchema, { graph: { execId: "kr-2", version: 4n, lineage: chain(3) } }));
      const twoParts = new Uint8Array([...first, ...second]);
      const merged = callGraphBytes(fromBinary(GET_CALL_GRAPH_BYTES.output, twoParts));
      assert.ok(merged);
      assert.deepEqual(
        sourceFromCallGraphBytes(merged),
        sourceFromCallGraph(fromBinary(GetCallGraphResponseSchema, twoParts).graph ?? create(CallGraphSchema)),
      );
      assert.equal(callGraphBytes(fromBinary(GET_CALL_GRAPH_BYTES.output, new Uint8Array())), undefined);
    });
  });

  it("round trip: the runner's records, written by its encoder and read by the planner's reader, are the planner's records of them", () => {
    const varied = [
      ...awkwardStrings
        .filter((s) => Buffer.from(s, "utf8").toString("utf8") === s)
        .map((s, i) => call(i + 1, { invocationId: s, name: s, dataDependencies: [s], outputNames: [s, ""] })),
      call(40, { status: "failed", sequence: 2 ** 32 + 5 }),
      call(41, { status: "reused", loadDependencies: ["step", "step_2"] }),
      call(42, { status: "cancelled", sequence: Number.MAX_SAFE_INTEGER }),
    ];
    for (const graph of [
      chainRead(10_000),
      { execution: execution({ seq: 2 ** 40, status: "failed" }), input: { nested: { a: [1, null] } }, calls: varied } as GraphRead,
    ]) {
      const encoded = encode(graph);
      assert.ok(encoded);
      const bytes = callGraphBytes(fromBinary(GET_CALL_GRAPH_BYTES.output, encoded.bytes));
      assert.ok(bytes && decodeCallGraph(bytes, (status) => status), "both sides cover these records");
      const { execution: record, input, calls } = graph;
      assert.deepEqual(sourceFromCallGraphBytes(bytes), {
        execId: record.execId,
        flowName: record.flowName,
        status: record.state.status,
        input,
        version: record.state.seq,
        calls: calls.map(({ invocationId, callId, name, sequence, dataDependencies, loadDependencies, outputNames, status }) => ({
          invocationId,
          callId,
          name,
          sequence,
          dataDependencies,
          loadDependencies,
          outputNames,
          status,
        })),
      });
    }
  });
});
