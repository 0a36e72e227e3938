/**
 * The planner's reading of the call graph from its bytes
 * (services/planner/src/server/call-graph-wire.ts) gives what protobuf-es's
 * `fromBinary` then `sourceFromCallGraph` give, for the graphs the runner
 * sends and for bytes it never sends (unknown fields, odd varints, repeated
 * scalars, out-of-range values, ill-formed UTF-8, truncation): the same
 * result, or an error where protobuf-es has one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { CheckpointCallStatus, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { CallGraphSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { GetCallGraphResponseSchema, RunnerInternalService } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { callGraphBytes, GET_CALL_GRAPH_BYTES, readCoveredGraph, sourceFromCallGraphBytes } from "../../services/planner/src/server/call-graph-wire.ts";
import { sourceFromCallGraph } from "../../services/planner/src/server/convert.ts";

type GraphInit = MessageInitShape<typeof CallGraphSchema>;
type LineageInit = NonNullable<GraphInit["lineage"]>[number];

const generic = (bytes: Uint8Array) => sourceFromCallGraph(fromBinary(CallGraphSchema, bytes));

/** Read by the hand decoder (not left to protobuf-es), and the same as protobuf-es's. */
function assertSameSource(bytes: Uint8Array): void {
  assert.ok(readCoveredGraph(bytes), "the hand decoder covers these bytes");
  assert.deepEqual(sourceFromCallGraphBytes(bytes), generic(bytes));
}

function assertBothRefuse(bytes: Uint8Array): void {
  assert.throws(() => generic(bytes));
  assert.throws(() => sourceFromCallGraphBytes(bytes));
}

const encode = (graph: GraphInit) => toBinary(CallGraphSchema, create(CallGraphSchema, graph));

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

/** Bytes by hand: a tag, then a varint. */
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
/** A graph of one call with the given call body (CallLineage bytes). */
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

describe("call graph read from its bytes", () => {
  it("matches protobuf-es for a chain of 10 000 calls and for an empty graph", () => {
    assertSameSource(encode({ ...header, lineage: chain(10_000) }));
    assertSameSource(encode({}));
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
      { invocationId: "unknown status", status: 57 as CheckpointCallStatus },
      { invocationId: "deps", dataDependencies: ["a", "", "b"], loadDependencies: ["", "c"], outputNames: ["x", "y", ""] },
      { invocationId: "é😀€", callId: "\uFEFFbom", name: "a".repeat(300), dataDependencies: ["é".repeat(100), "\u0000\u007f\u0080"] },
    ];
    assertSameSource(encode({ ...header, lineage }));
  });

  it("matches protobuf-es for bytes the runner does not send but protobuf-es accepts", () => {
    // Covered by the hand decoder: unknown fields of the graph, odd varints, fields out of order or repeated.
    assertSameSource(unknownGraphFields);
    assertSameSource(
      graphOf([...tag(5, 0), 0x85, 0x80, 0x00, ...lengthDelimited(1, text("first")), ...lengthDelimited(1, text("second")), ...tag(4, 0), 3, ...tag(4, 0), 2]),
    );
    assertSameSource(
      new Uint8Array([...graphOf(validCall, validCall), ...lengthDelimited(2, text("flow")), ...lengthDelimited(1, text("kr-2")), ...tag(6, 0), 7]),
    );
    assertSameSource(graphOf([]));
    // Left to protobuf-es, or covered: the same result (or both refuse).
    const cases: Uint8Array[] = [
      // An unknown field in the graph (any wire type), and in a call.
      unknownGraphFields,
      graphOf([...validCall, ...tag(99, 0), 1]),
      graphOf([...validCall, ...lengthDelimited(20, [1, 2, 3])]),
      // Fields out of order, repeated scalars (the last wins), a non-minimal varint.
      graphOf([...tag(5, 0), 0x85, 0x80, 0x00, ...lengthDelimited(1, text("first")), ...lengthDelimited(1, text("second")), ...tag(4, 0), 3, ...tag(4, 0), 2]),
      // The header after and between the calls, and twice.
      new Uint8Array([...graphOf(validCall, validCall), ...lengthDelimited(2, text("flow")), ...lengthDelimited(1, text("kr-2")), ...tag(6, 0), 7]),
      // A negative status (a 10-byte varint), a sequence past 2^53, one past 2^64 bits.
      graphOf([...validCall, ...tag(4, 0), ...varint(2n ** 64n - 1n)]),
      graphOf([...validCall, ...tag(5, 0), ...varint(2n ** 53n + 1n)]),
      graphOf([...validCall, ...tag(5, 0), ...varint(2n ** 63n)]),
      // A known field with another wire type than its own.
      graphOf([...validCall, ...tag(5, 2), 1, 7]),
      // The lineage field itself with a wire type other than length-delimited.
      new Uint8Array([...graphOf(validCall), ...tag(7, 0), 1]),
      // An empty call.
      graphOf([]),
    ];
    for (const bytes of cases) {
      let expected: unknown;
      try {
        expected = generic(bytes);
      } catch {
        assertBothRefuse(bytes);
        continue;
      }
      assert.deepEqual(sourceFromCallGraphBytes(bytes), expected, Buffer.from(bytes).toString("hex"));
    }
  });

  it("refuses what protobuf-es refuses: ill-formed UTF-8, truncated bytes, a call longer than the graph, field number 0", () => {
    assertBothRefuse(graphOf([...tag(1, 2), 2, 0xc3, 0x28]));
    assertBothRefuse(graphOf([...tag(3, 2), 1, 0xff]));
    const whole = encode({ ...header, lineage: chain(3) });
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
    assert.deepEqual(sourceFromCallGraphBytes(merged), sourceFromCallGraph(fromBinary(GetCallGraphResponseSchema, twoParts).graph ?? create(CallGraphSchema)));
    assert.equal(callGraphBytes(fromBinary(GET_CALL_GRAPH_BYTES.output, new Uint8Array())), undefined);
  });
});
