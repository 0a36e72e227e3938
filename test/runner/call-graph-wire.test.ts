/**
 * The GetCallGraph response encoded directly from the store's records
 * (services/runner/src/server/call-graph-wire.ts) is byte for byte what
 * protobuf-es writes for the same message, and reads back as it; records it
 * does not cover are left to protobuf-es.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CallGraphSchema, CallLineageSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { GetCallGraphResponseSchema } from "#gen/kitaru/runner/v1/runner_internal_service_pb.ts";
import { type CallGraphRead, callGraphResponseInit, encodeCallGraphResponse } from "../../services/runner/src/server/call-graph-wire.ts";
import type { CallLineage } from "../../services/runner/src/store/execution-store.ts";
import type { ExecutionRecord } from "../../services/runner/src/store/records.ts";

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

const generic = (graph: CallGraphRead) => toBinary(GetCallGraphResponseSchema, create(GetCallGraphResponseSchema, callGraphResponseInit(graph)));

function assertSameBytes(graph: CallGraphRead): void {
  const encoded = encodeCallGraphResponse(graph);
  assert.ok(encoded, "the encoder covers this graph");
  assert.equal(encoded.schema, GetCallGraphResponseSchema);
  const expected = generic(graph);
  assert.deepEqual(Buffer.from(encoded.bytes), Buffer.from(expected));
  assert.deepEqual(fromBinary(GetCallGraphResponseSchema, encoded.bytes), fromBinary(GetCallGraphResponseSchema, expected));
}

const long = (units: number, unit = "a") => unit.repeat(units);

describe("GetCallGraph response encoded from the records", () => {
  it("knows every field of the messages it writes by hand (a field added to the contract must be added to the encoder)", () => {
    assert.deepEqual(
      CallLineageSchema.fields.map((f) => `${f.number} ${f.name}`),
      ["1 invocation_id", "2 call_id", "3 name", "4 status", "5 sequence", "6 data_dependencies", "7 load_dependencies", "8 output_names"],
    );
    // The graph's other fields are written by protobuf-es, then the lineage: it must stay the last field.
    const numbers = CallGraphSchema.fields.map((f) => f.number);
    assert.equal(CallGraphSchema.field.lineage.number, Math.max(...numbers));
    assert.deepEqual(
      GetCallGraphResponseSchema.fields.map((f) => `${f.number} ${f.name}`),
      ["1 graph", "2 source_flow_version", "3 flow_version"],
    );
  });

  it("is protobuf-es's bytes for a chain of 10 000 calls", () => {
    assertSameBytes({
      execution: execution(),
      input: { calls: 10_000 },
      calls: Array.from({ length: 10_000 }, (_, i) => call(i + 1)),
      flowVersion: "src-0123456789ab",
    });
  });

  it("is protobuf-es's bytes with the flow versions of the source and of the runner after the graph", () => {
    const ran = { ...execution(), flowVersion: "v1" };
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
    assertSameBytes({ execution: runs, input: {}, calls: [call(1)], flowVersion: "v3" });
  });

  it("is protobuf-es's bytes for an empty graph and an empty header", () => {
    assertSameBytes({ execution: execution(), input: {}, calls: [], flowVersion: "" });
    assertSameBytes({ execution: execution({ execId: "", flowName: "", seq: 0, status: "running" }), input: {}, calls: [], flowVersion: "" });
  });

  it("is protobuf-es's bytes for varied calls: statuses, zero and large sequences, empty and missing fields, several dependencies", () => {
    const calls = [
      call(1, { status: "failed" }),
      call(2, { status: "cancelled", sequence: 0 }),
      call(3, { status: "reused", sequence: 2 ** 31 }),
      call(4, { sequence: 2 ** 32 + 5 }),
      call(5, { sequence: Number.MAX_SAFE_INTEGER }),
      call(6, { invocationId: "", callId: "", name: "" }),
      call(7, { dataDependencies: ["a", "", "b"], loadDependencies: ["c", "d"], outputNames: ["x", "", "y"] }),
      { invocationId: "only", sequence: 8, status: "completed" } as CallLineage,
      call(9, { sequence: 127 }),
      call(10, { sequence: 128 }),
      call(11, { sequence: 16_383 }),
      call(12, { sequence: 16_384 }),
      call(13, { status: "running" as CallLineage["status"] }),
    ];
    assertSameBytes({
      execution: execution({ status: "failed", seq: 2 ** 40 }),
      input: { a: [1, "two", null, { b: true }], c: 1.5 },
      calls,
      flowVersion: "v1",
    });
  });

  it("is protobuf-es's bytes for strings of every length class and of non-ASCII, astral and ill-formed UTF-16", () => {
    const strings = [
      "",
      "a",
      long(42),
      long(43),
      long(127),
      long(128),
      long(300),
      long(20_000),
      "é",
      long(42, "é"),
      long(43, "é"),
      long(64, "€"),
      long(200, "€"),
      "😀",
      long(21, "😀"),
      long(22, "😀"),
      "a\uD800b", // lone high surrogate
      "\uDC00", // lone low surrogate
      `${long(40)}\uD800`,
      `${long(127)}é`,
      "\u0000\u007f\u0080\u07ff\u0800\uffff",
      "\uFEFFbom",
    ];
    const calls = strings.map((s, i) =>
      call(i + 1, { invocationId: s, callId: `${s}-id`, name: s, dataDependencies: [s, s], loadDependencies: [s], outputNames: [s] }),
    );
    assertSameBytes({
      execution: execution({ execId: strings[7], flowName: strings[15] }),
      input: { s: strings[13] ?? "" },
      calls,
      flowVersion: strings[17] ?? "",
    });
  });

  it("widens a call's length prefix when the call is 128 bytes or more", () => {
    for (const units of [100, 110, 120, 127, 128, 200, 16_400]) {
      assertSameBytes({ execution: execution(), input: {}, calls: [call(1, { callId: long(units) }), call(2)], flowVersion: "v1" });
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
      assert.equal(encodeCallGraphResponse({ execution: execution(), input: {}, calls: [call(2), bad], flowVersion: "v2" }), undefined, JSON.stringify(bad));
    }
  });
});
