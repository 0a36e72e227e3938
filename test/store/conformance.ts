/**
 * One behavioural suite for every {@link ExecutionStore}: each store's test
 * file runs it against its own backend, so the stores cannot drift apart.
 *
 * @module
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createdState, type ExecutionStore, type NewExecution } from "../../services/runner/src/store/execution-store.ts";
import type { CallRecord, ExecutionState, WaitRecord } from "../../services/runner/src/store/records.ts";
import { StoreDataLossError, StoreUnavailableError } from "../../services/runner/src/store/store-errors.ts";
import { ValueCodec } from "../../services/runner/src/store/value-codec.ts";

/** A store opened for one test, and how to reopen its data after closing it. */
export interface OpenedStore {
  readonly store: ExecutionStore;
  /** Opens another store on the same data (the persistence test closes `store` first). */
  reopen(): Promise<ExecutionStore>;
  /** Removes the data (the test has closed every store it opened). */
  cleanup(): Promise<void>;
}

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function execution(execId: string, options: { flowName?: string; createdAt?: Date } = {}): NewExecution {
  return { execId, flowName: options.flowName ?? "flow_a", input: { kind: "inline", json: `{"id":"${execId}"}` }, createdAt: options.createdAt ?? at(0) };
}

/** A completed call; `extra` overrides fields, and an `undefined` in it leaves the field out (as stores return records). */
function call(execId: string, invocationId: string, sequence: number, extra: Partial<CallRecord> = {}): CallRecord {
  const record: CallRecord = {
    execId,
    invocationId,
    callId: `call-${invocationId}`,
    name: invocationId.replace(/_\d+$/, ""),
    status: "completed",
    attempts: 1,
    sequence,
    dataDependencies: [],
    loadDependencies: [],
    outputNames: [],
    output: { kind: "inline", json: JSON.stringify(`${invocationId} output`) },
    generation: 0,
    startedAt: at(sequence),
    endedAt: at(sequence + 0.5),
    ...extra,
  };
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as unknown as CallRecord;
}

/** The fields of a call record that `listCallLineage` returns; `listReusableCalls` adds the two payloads. */
const LINEAGE_FIELDS = ["invocationId", "callId", "name", "status", "sequence", "generation", "dataDependencies", "loadDependencies", "outputNames"] as const;
const REUSABLE_FIELDS = [...LINEAGE_FIELDS, "output", "overrideValue"] as const;

/** The `fields` of `record` that it has. */
const pick = (record: CallRecord, fields: readonly (keyof CallRecord)[]) =>
  Object.fromEntries(fields.filter((f) => record[f] !== undefined).map((f) => [f, record[f]]));

function wait(execId: string, name: string, createdAt: Date): Omit<WaitRecord, "resolution"> {
  return { execId, name, baseName: name.replace(/_\d+$/, ""), waitId: `wait-${name}`, question: `${name}?`, schema: "", metadata: "", createdAt };
}

/** The `claimed` state after `state`, held until `expiresAt`. */
function claimedAfter(state: ExecutionState, expiresAt: Date): Omit<ExecutionState, "seq"> {
  const now = new Date(expiresAt.getTime() - 15_000);
  return {
    kind: "claimed",
    status: "running",
    generation: state.generation,
    at: now,
    claim: { epoch: state.seq + 1, runnerId: "runner-1", at: now, expiresAt },
  };
}

/**
 * Registers the store conformance tests under `name`. `openStore` opens a
 * store on fresh, empty data for each test.
 */
export function describeStoreConformance(name: string, openStore: () => Promise<OpenedStore>): void {
  describe(`${name} conformance`, () => {
    let opened: OpenedStore;
    let store: ExecutionStore;
    const extraStores: ExecutionStore[] = [];
    beforeEach(async () => {
      opened = await openStore();
      store = opened.store;
    });
    afterEach(async () => {
      for (const extra of extraStores.splice(0)) await extra.close();
      await store.close();
      await opened.cleanup();
    });

    /** Inserts an execution and returns its current state. */
    async function inserted(execId: string, options: Parameters<typeof execution>[1] = {}): Promise<ExecutionState> {
      assert.equal(await store.insertExecution(execution(execId, options)), true);
      return (await store.getExecution(execId))!.state;
    }

    describe("executions", () => {
      it("inserts and reads an execution, dates as Dates, optional fields kept", async () => {
        const record: NewExecution = {
          ...execution("e1", { createdAt: at(5) }),
          requestId: "req-1",
          requestFingerprint: "digest-of-the-request",
          originalExecId: "e0",
          replay: {
            sourceExecId: "e0",
            from: "b",
            roots: ["b"],
            overrideKeys: ["a"],
            reuse: [{ invocationId: "a", callId: "call-a" }],
            overrides: [{ invocationId: "a", value: { kind: "inline", json: "42" } }],
          },
        };
        assert.equal(await store.insertExecution(record), true);
        const read = await store.getExecution("e1");
        assert.deepEqual(read, { ...record, state: { seq: 0, kind: "created", status: "running", generation: 0, at: at(5) } });
        assert.ok(read!.createdAt instanceof Date && read!.state.at instanceof Date);
        assert.equal(await store.getExecution("missing"), undefined);
      });

      it("inserts idempotently: a second insert with the same ID returns false and changes nothing", async () => {
        assert.equal(await store.insertExecution(execution("e1", { flowName: "first" })), true);
        assert.equal(await store.insertExecution(execution("e1", { flowName: "second" })), false);
        assert.equal((await store.getExecution("e1"))!.flowName, "first");
      });

      it("inserts an execution claimed: its claimed state is the latest, held until the lease lapses, and fenced like a claim", async () => {
        const record = execution("e1", { createdAt: at(5) });
        const claimed = { ...claimedAfter(createdState(record), at(60)), flowVersionRuns: [{ flowVersion: "v1", at: at(45) }] };
        assert.equal(await store.insertExecution(record, { claimed }), true);
        const read = (await store.getExecution("e1"))!;
        assert.deepEqual(read, { ...record, state: { ...claimed, seq: 1 } });
        assert.equal(read.state.claim?.epoch, 1, "the claim's epoch is its transition's sequence number");
        assert.deepEqual(await store.findClaimable(at(59), 10), [], "held until its lease lapses");
        assert.deepEqual(await store.findClaimable(at(61), 10), ["e1"]);
        assert.equal(
          await store.appendTransition("e1", createdState(record), { kind: "cancelled", status: "cancelled", generation: 0, at: at(6) }),
          undefined,
          "an append after the first state loses: the claim is transition 1",
        );
        const next = await store.appendTransition("e1", read.state, claimedAfter(read.state, at(90)));
        assert.equal(next?.claim?.epoch, 2, "another runner takes over with a newer claim");
        assert.deepEqual((await store.getExecution("e1"))!.state, next);
        assert.equal(await store.insertExecution(execution("e1", { flowName: "second" }), { claimed }), false, "a repeat writes nothing");
        assert.deepEqual((await store.getExecution("e1"))!.state, next);
        assert.equal((await store.getExecution("e1"))!.flowName, record.flowName);
      });

      it("lists newest first (ties broken by ID, descending) and pages by keyset without gaps or repeats", async () => {
        const created = [
          ["e1", 1, "flow_a"],
          ["e2", 2, "flow_b"],
          ["e3", 2, "flow_a"], // same createdAt as e2
          ["e4", 3, "flow_a"],
          ["e5", 4, "flow_b"],
          ["e6", 4, "flow_a"],
          ["e7", 5, "flow_a"],
        ] as const;
        for (const [id, seconds, flowName] of created) await inserted(id, { createdAt: at(seconds), flowName });
        const expected = ["e7", "e6", "e5", "e4", "e3", "e2", "e1"];
        assert.deepEqual(
          (await store.listExecutions({ limit: 100 })).map((e) => e.execId),
          expected,
        );

        const paged: string[] = [];
        let after: { createdAt: Date; execId: string } | undefined;
        for (;;) {
          const page = await store.listExecutions({ limit: 2, after });
          paged.push(...page.map((e) => e.execId));
          const last = page.at(-1);
          if (page.length < 2 || last === undefined) break;
          after = { createdAt: last.createdAt, execId: last.execId };
        }
        assert.deepEqual(paged, expected);
        // The cursor sits between the tied e3 and e2.
        assert.deepEqual(
          (await store.listExecutions({ limit: 10, after: { createdAt: at(2), execId: "e3" } })).map((e) => e.execId),
          ["e2", "e1"],
        );
      });

      it("filters list pages by flow, by status and by both, on the cached state", async () => {
        for (const [i, flowName] of ["flow_a", "flow_b", "flow_a", "flow_a", "flow_b"].entries()) await inserted(`e${i + 1}`, { createdAt: at(i), flowName });
        for (const execId of ["e1", "e2", "e4"]) {
          const state = (await store.getExecution(execId))!.state;
          assert.ok(await store.appendTransition(execId, state, { kind: "waiting", status: "waiting", generation: 0, at: at(10) }));
        }
        const ids = async (query: Parameters<ExecutionStore["listExecutions"]>[0]) => (await store.listExecutions(query)).map((e) => e.execId);
        assert.deepEqual(await ids({ limit: 10, flowName: "flow_a" }), ["e4", "e3", "e1"]);
        assert.deepEqual(await ids({ limit: 10, status: "waiting" }), ["e4", "e2", "e1"]);
        assert.deepEqual(await ids({ limit: 10, flowName: "flow_a", status: "waiting" }), ["e4", "e1"]);
        assert.deepEqual(await ids({ limit: 1, flowName: "flow_a", status: "waiting", after: { createdAt: at(3), execId: "e4" } }), ["e1"]);
        assert.deepEqual(await ids({ limit: 10, status: "running" }), ["e5", "e3"]);
        const listed = (await store.listExecutions({ limit: 10, status: "waiting" }))[0]!;
        assert.equal(listed.state.kind, "waiting");
        assert.ok(listed.state.at instanceof Date);
      });
    });

    describe("transitions", () => {
      it("appends transition seq+1 and reads it back as the latest state", async () => {
        const created = await inserted("e1");
        const expiresAt = at(60);
        const claimed = await store.appendTransition("e1", created, claimedAfter(created, expiresAt));
        assert.equal(claimed?.seq, 1);
        assert.deepEqual(claimed?.claim?.expiresAt, expiresAt);
        const completed = await store.appendTransition("e1", claimed!, {
          kind: "completed",
          status: "completed",
          generation: 0,
          at: at(70),
          endedAt: at(70),
          result: { kind: "inline", json: '"done"' },
          metadata: '{"k":1}',
        });
        assert.equal(completed?.seq, 2);
        const read = (await store.getExecution("e1"))!.state;
        assert.deepEqual(read, completed);
        assert.ok(read.endedAt instanceof Date);
      });

      it("is a compare-and-set: appending after a state that is no longer the latest loses", async () => {
        const created = await inserted("e1");
        assert.ok(await store.appendTransition("e1", created, { kind: "waiting", status: "waiting", generation: 0, at: at(1) }));
        assert.equal(await store.appendTransition("e1", created, { kind: "cancelled", status: "cancelled", generation: 0, at: at(2) }), undefined);
        assert.equal((await store.getExecution("e1"))!.state.kind, "waiting");
      });

      it("lets exactly one of two racing appends win, and the winner is the latest state", async () => {
        const created = await inserted("e1");
        const results = await Promise.all(
          (["cancelled", "completed"] as const).map((status) => store.appendTransition("e1", created, { kind: status, status, generation: 0, at: at(1) })),
        );
        const winners = results.filter((r) => r !== undefined);
        assert.equal(winners.length, 1);
        assert.deepEqual((await store.getExecution("e1"))!.state, winners[0]);
      });
    });

    describe("claims and leases", () => {
      it("finds running executions whose lease expired (or that have none), and nothing else", async () => {
        const now = at(100);
        await inserted("unclaimed");
        const held = await inserted("held");
        assert.ok(await store.appendTransition("held", held, claimedAfter(held, at(200))));
        const lapsed = await inserted("lapsed");
        assert.ok(await store.appendTransition("lapsed", lapsed, claimedAfter(lapsed, at(50))));
        const waiting = await inserted("waiting");
        assert.ok(await store.appendTransition("waiting", waiting, { kind: "waiting", status: "waiting", generation: 0, at: at(1) }));
        const done = await inserted("done");
        assert.ok(await store.appendTransition("done", done, { kind: "completed", status: "completed", generation: 0, at: at(1), endedAt: at(1) }));

        assert.deepEqual((await store.findClaimable(now, 10)).sort(), ["lapsed", "unclaimed"]);
        assert.equal((await store.findClaimable(now, 1)).length, 1);
        assert.deepEqual((await store.findClaimable(at(300), 10)).sort(), ["held", "lapsed", "unclaimed"]);
      });

      it("leaves out executions held for another flow version, and keeps their hold and versions in the state", async () => {
        await inserted("free");
        const created = await inserted("for-v1");
        const divergence = {
          execId: "for-v1",
          sourceExecId: "for-v1",
          invocationId: "write_draft",
          kind: "call_replaced" as const,
          recorded: "checkpoint 'write_draft'",
          seen: "checkpoint 'write_draft_v2'",
          recordedDependencies: [],
          seenDependencies: [],
          recordedFlowVersion: "v1",
          flowVersion: "v2",
          replayCommand: "kitaru executions replay for-v1 --from write_draft",
          replayFrom: "write_draft",
        };
        const state = await store.appendTransition("for-v1", created, {
          kind: "held",
          status: "running",
          generation: 0,
          at: at(2),
          flowVersionRuns: [{ flowVersion: "v1", at: at(1) }],
          versionHold: { requiredFlowVersion: "v1", divergence, at: at(2) },
        });
        assert.ok(state);
        assert.deepEqual((await store.findClaimable(at(100), 10)).sort(), ["free"], "no version given: held ones are left out");
        assert.deepEqual((await store.findClaimable(at(100), 10, { flowVersion: "v2" })).sort(), ["free"]);
        assert.deepEqual((await store.findClaimable(at(100), 10, { flowVersion: "v1" })).sort(), ["for-v1", "free"]);
        const read = (await store.getExecution("for-v1"))!.state;
        assert.deepEqual(read, state, "the hold, its divergence and the version runs read back as written (dates as Dates)");
        assert.ok(read.versionHold!.at instanceof Date && read.flowVersionRuns![0]!.at instanceof Date);
      });

      it("renews a lease per epoch and reads the latest expiry back", async () => {
        assert.equal(await store.leaseExpiry("e1", 1), undefined);
        await store.renewLease("e1", 1, "runner-1", at(10));
        assert.deepEqual(await store.leaseExpiry("e1", 1), at(10));
        await store.renewLease("e1", 1, "runner-1", at(20));
        assert.deepEqual(await store.leaseExpiry("e1", 1), at(20));
        assert.equal(await store.leaseExpiry("e1", 2), undefined, "another epoch has its own lease");
        assert.ok((await store.leaseExpiry("e1", 1)) instanceof Date);
      });
    });

    describe("calls", () => {
      it("lists the lineage of the calls, in issue order, as the whole records have it", async () => {
        const records = [
          call("e1", "b", 2, { dataDependencies: ["a"], loadDependencies: ["a"], outputNames: ["x", "y"], generation: 1 }),
          call("e1", "a", 1, { status: "failed", output: undefined, attemptHistory: [{ number: 1, status: "failed", startedAt: at(1), endedAt: at(2) }] }),
          call("e2", "other", 1),
        ];
        await store.recordCalls(records);
        const lineage = await store.listCallLineage("e1");
        const expected = (await store.listCalls("e1")).map((c) => pick(c, LINEAGE_FIELDS));
        assert.deepEqual(lineage, expected);
        assert.deepEqual(
          lineage.map((c) => c.invocationId),
          ["a", "b"],
        );
        assert.deepEqual(lineage[1]?.outputNames, ["x", "y"]);
        assert.deepEqual(await store.listCallLineage("nobody"), []);
      });

      it("lists the lineage and the recorded outputs of the calls, in issue order, as the whole records have them", async () => {
        const override = { kind: "inline", json: '"seen"' } as const;
        const records = [
          call("e1", "c", 3, { status: "reused", reusedFromCallId: "call-src", overridden: true, overrideValue: override, loadDependencies: ["b"] }),
          call("e1", "b", 2, {
            dataDependencies: ["a"],
            outputNames: ["x", "y"],
            generation: 1,
            output: { kind: "blob", blobId: "blob-1", bytes: 70_000, chunks: 2 },
          }),
          call("e1", "a", 1, { status: "failed", output: undefined, attemptHistory: [{ number: 1, status: "failed", startedAt: at(1), endedAt: at(2) }] }),
          call("e2", "other", 1),
        ];
        await store.recordCalls(records);
        const reusable = await store.listReusableCalls("e1");
        const expected = (await store.listCalls("e1")).map((c) => pick(c, REUSABLE_FIELDS));
        assert.deepEqual(reusable, expected);
        assert.deepEqual(
          reusable.map((c) => c.invocationId),
          ["a", "b", "c"],
        );
        assert.equal(reusable[0]?.output, undefined);
        assert.deepEqual(reusable[2]?.overrideValue, override);
        assert.deepEqual(await store.listReusableCalls("nobody"), []);
      });

      it("records a call once: the first writer wins and a later writer gets the recorded call back", async () => {
        const first = call("e1", "a", 0, { dataDependencies: ["x"], outputNames: ["out"], metadata: '{"m":1}' });
        assert.equal(await store.recordCall(first), undefined);
        const existing = await store.recordCall(call("e1", "a", 0, { callId: "call-late", output: { kind: "inline", json: '"late"' } }));
        assert.deepEqual(existing, first);
        assert.ok(existing!.startedAt instanceof Date);
        assert.deepEqual(await store.listCalls("e1"), [first]);
      });

      it("lists an execution's calls in sequence order, whatever the insert order", async () => {
        for (const [id, sequence] of [
          ["c", 2],
          ["a", 0],
          ["d", 3],
          ["b", 1],
        ] as const)
          await store.recordCall(call("e1", id, sequence));
        await store.recordCall(call("e2", "other", 0));
        assert.deepEqual(
          (await store.listCalls("e1")).map((c) => c.invocationId),
          ["a", "b", "c", "d"],
        );
        assert.deepEqual(await store.listCalls("nobody"), []);
      });

      it("lists the calls in a range of sequence numbers, with every record of each sequence and reused calls among them", async () => {
        await store.recordCall(call("e1", "a", 1));
        await store.recordCall(call("e1", "b", 2, { status: "failed", callId: "call-b-failed" }));
        await store.recordCall(call("e1", "b", 2, { generation: 1 }));
        await store.recordCalls([call("e1", "c", 3, { status: "reused" }), call("e1", "d", 4, { status: "reused" })]);
        await store.recordCall(call("e1", "e", 5));
        const ids = async (range: { afterSequence?: number; throughSequence?: number }) =>
          (await store.listCalls("e1", range)).map((c) => `${c.invocationId}:${c.status}`);
        assert.deepEqual(await ids({ afterSequence: 1, throughSequence: 3 }), ["b:failed", "b:completed", "c:reused"]);
        assert.deepEqual(await ids({ afterSequence: 3 }), ["d:reused", "e:completed"]);
        assert.deepEqual(await ids({ throughSequence: 1 }), ["a:completed"]);
        assert.deepEqual(await ids({ afterSequence: 5 }), []);
        assert.equal((await ids({})).length, 6);
      });

      it("records many calls in one write and keeps calls that exist already", async () => {
        const kept = call("e1", "a", 0, { callId: "call-original" });
        await store.recordCall(kept);
        await store.recordCalls([
          call("e1", "a", 0, { callId: "call-replacement", status: "reused" }),
          call("e1", "b", 1, { status: "reused", reusedFromCallId: "call-src-b" }),
          call("e1", "c", 2, { status: "reused", overridden: true }),
        ]);
        await store.recordCalls([]);
        const calls = await store.listCalls("e1");
        assert.deepEqual(
          calls.map((c) => [c.invocationId, c.callId, c.status]),
          [
            ["a", "call-original", "completed"],
            ["b", "call-b", "reused"],
            ["c", "call-c", "reused"],
          ],
        );
        assert.equal(calls[1]!.reusedFromCallId, "call-src-b");
        assert.equal(calls[2]!.overridden, true);
      });

      it("reads a replay's reused calls back whole, in issue order among its executed and failed ones, as records, lineage and outputs", async () => {
        const reused = (invocationId: string, sequence: number, extra: Partial<CallRecord> = {}) =>
          call("r1", invocationId, sequence, { status: "reused", attempts: 0, reusedFromCallId: `call-src-${invocationId}`, ...extra });
        const records = [
          reused("a", 1, { startedAt: at(1), endedAt: at(1) }),
          call("r1", "b", 2, { dataDependencies: ["a"] }),
          reused("c", 3, {
            dataDependencies: ["a", "b"],
            loadDependencies: ["a"],
            outputNames: ["x", "y"],
            generation: 1,
            output: { kind: "blob", blobId: "blob-c", bytes: 90_000, chunks: 2 },
          }),
          call("r1", "d", 4, { status: "failed", output: undefined, failure: { message: "boom", exceptionType: "Error" } }),
          reused("e", 5, { overridden: true, overrideValue: { kind: "inline", json: '"seen"' }, reusedFromCallId: undefined }),
          reused("f", 6, { output: undefined, name: 'g\u00e9n"\u2028' }),
        ];
        // Written as a replay writes them: reused calls in batches, executed ones alone, not in issue order.
        await store.recordCalls([records[0]!, records[2]!]);
        await store.recordCall(records[3]!);
        await store.recordCall(records[1]!);
        await store.recordCalls([records[5]!, records[4]!]);
        await store.recordCalls([call("r2", "other", 1, { status: "reused", attempts: 0 })]);
        assert.deepEqual(await store.listCalls("r1"), records);
        assert.deepEqual(
          await store.listCallLineage("r1"),
          records.map((r) => pick(r, LINEAGE_FIELDS)),
        );
        assert.deepEqual(
          await store.listReusableCalls("r1"),
          records.map((r) => pick(r, REUSABLE_FIELDS)),
        );
        assert.deepEqual(Object.fromEntries(await store.countCalls(["r1", "r2"])), { r1: 6, r2: 1 });
        const read = (await store.listCalls("r1"))[0]!;
        assert.ok(read.startedAt instanceof Date && read.endedAt instanceof Date);
      });

      it("records a reused call once: the first writer of an invocation's outcome wins, reused or executed", async () => {
        const reused = call("r1", "a", 1, { status: "reused", attempts: 0, reusedFromCallId: "call-src-a" });
        assert.equal(await store.recordCall(reused), undefined);
        assert.deepEqual(await store.recordCall({ ...reused, callId: "call-late" }), reused, "a second reused record gets the first back");
        assert.deepEqual(await store.recordCall(call("r1", "a", 1)), reused, "an executed outcome after it gets the reused call back");
        await store.recordCalls([call("r1", "b", 2, { status: "reused", attempts: 0 })]);
        await store.recordCalls([call("r1", "b", 2, { status: "reused", attempts: 0, callId: "call-late" }), call("r1", "c", 3)]);
        assert.deepEqual(
          (await store.listCalls("r1")).map((c) => [c.invocationId, c.callId, c.status]),
          [
            ["a", "call-a", "reused"],
            ["b", "call-b", "reused"],
            ["c", "call-c", "completed"],
          ],
        );
        assert.deepEqual(Object.fromEntries(await store.countCalls(["r1"])), { r1: 3 });
      });

      it("keeps failed attempts apart from the outcome, one per generation", async () => {
        const failure = { message: "boom", exceptionType: "Error" };
        const failed0 = call("e1", "a", 0, { status: "failed", generation: 0, failure, output: undefined, attempts: 3 });
        const failed1 = call("e1", "a", 0, { status: "failed", generation: 1, failure, output: undefined });
        assert.equal(await store.recordCall(failed0), undefined);
        assert.equal(await store.recordCall(failed1), undefined);
        assert.deepEqual(await store.recordCall({ ...failed1, attempts: 9 }), failed1, "one record per failed generation");
        const completed = call("e1", "a", 0, { generation: 2 });
        assert.equal(await store.recordCall(completed), undefined, "the outcome is not blocked by failed attempts");
        const calls = await store.listCalls("e1");
        assert.equal(calls.length, 3);
        assert.deepEqual(calls.map((c) => `${c.status}:${c.generation}`).sort(), ["completed:2", "failed:0", "failed:1"]);
        assert.deepEqual(
          calls.find((c) => c.generation === 0),
          failed0,
        );
      });

      it("keeps a cancelled call apart from the outcome, with its attempts, override and traceback fields intact", async () => {
        const started = at(1);
        const cancelled = call("e1", "a", 0, {
          status: "cancelled",
          output: undefined,
          attemptHistory: [
            {
              number: 1,
              status: "failed",
              startedAt: started,
              endedAt: at(2),
              failure: { message: "x", exceptionType: "Error", traceback: "Error: x\n    at f" },
            },
            { number: 2, status: "cancelled", startedAt: at(3), endedAt: at(4) },
          ],
        });
        assert.equal(await store.recordCall(cancelled), undefined);
        const overridden = call("e1", "a", 0, { generation: 1, overridden: true, overrideValue: { kind: "inline", json: '"seen"' } });
        assert.equal(await store.recordCall(overridden), undefined, "the outcome is not blocked by a cancelled record");
        const calls = await store.listCalls("e1");
        assert.deepEqual(
          calls.find((c) => c.status === "cancelled"),
          cancelled,
        );
        assert.ok(calls.find((c) => c.status === "cancelled")!.attemptHistory![0]!.startedAt instanceof Date);
        assert.deepEqual(
          calls.find((c) => c.status === "completed"),
          overridden,
        );
      });

      it("counts distinct recorded invocations per execution in one query, 0 for none", async () => {
        await store.recordCall(call("e1", "a", 0, { status: "failed", generation: 0, output: undefined }));
        await store.recordCall(call("e1", "a", 0, { generation: 1 }));
        await store.recordCall(call("e1", "b", 1));
        await store.recordCall(call("e2", "x", 0));
        const counts = await store.countCalls(["e1", "e2", "e3"]);
        assert.deepEqual(Object.fromEntries(counts), { e1: 2, e2: 1, e3: 0 });
        assert.equal((await store.countCalls([])).size, 0);
      });
    });

    describe("logs", () => {
      const line = (index: number, message: string) => ({ index, at: at(index), level: "info" as const, message, source: "console" as const });
      const chunk = (
        invocationId: string,
        sequence: number,
        attempt: number,
        chunkNo: number,
        messages: string[],
        extra: { generation?: number; callId?: string } = {},
      ) => ({
        execId: "e1",
        invocationId,
        callId: extra.callId ?? `call-${invocationId}`,
        name: invocationId.replace(/_\d+$/, ""),
        sequence,
        generation: extra.generation ?? 0,
        attempt,
        chunk: chunkNo,
        lines: messages.map((m, i) => line(i, m)),
      });

      it("lists chunks by (sequence, generation, attempt, chunk) whatever the write order, from a position, one checkpoint or all", async () => {
        await store.appendLogs([chunk("b", 2, 1, 0, ["b1"]), chunk("a", 1, 2, 0, ["a2"])]);
        await store.appendLogs([chunk("a", 1, 1, 1, ["a1 second"]), chunk("a", 1, 1, 0, ["a1 first"]), chunk("a", 1, 1, 0, ["duplicate"])]);
        await store.appendLogs([chunk("a", 1, 1, 0, ["retried"], { generation: 1 })]);
        await store.appendLogs([]);
        const all = await store.listLogs("e1", { limit: 100 });
        assert.deepEqual(
          all.map((c) => c.lines.map((l) => l.message).join()),
          ["a1 first", "a1 second", "a2", "retried", "b1"],
        );
        assert.ok(all[0]!.lines[0]!.at instanceof Date);
        const from = await store.listLogs("e1", { from: { sequence: 1, generation: 0, attempt: 2, chunk: 0 }, limit: 2 });
        assert.deepEqual(
          from.map((c) => c.lines[0]!.message),
          ["a2", "retried"],
        );
        const onlyB = await store.listLogs("e1", { checkpoint: "b", limit: 100 });
        assert.deepEqual(
          onlyB.map((c) => c.invocationId),
          ["b"],
        );
        assert.deepEqual((await store.listLogs("e1", { checkpoint: "call-a", limit: 100 })).length, 4, "a call ID selects too");
        assert.deepEqual(await store.listLogs("e2", { limit: 10 }), []);
      });
    });

    describe("values (through the value codec) and blobs", () => {
      const codec = () => new ValueCodec(store);

      it("keeps small values inline", async () => {
        const value = { text: "héllo", n: [1, 2, 3] };
        const payload = await codec().save(value, "The value");
        assert.deepEqual(payload, { kind: "inline", json: JSON.stringify(value) });
        assert.deepEqual(await codec().load(payload), value);
      });

      it("round-trips a 20 MiB value through blob chunks", async () => {
        const text = "0123456789abcdé—".repeat((20 * 1024 * 1024) / 16);
        const payload = await codec().save({ text }, "The value");
        const json = JSON.stringify({ text });
        assert.ok(payload.kind === "blob" && payload.bytes === Buffer.byteLength(json) && payload.chunks > 1, JSON.stringify(payload));
        assert.ok((await codec().loadText(payload)) === json, "the loaded text is identical");
        assert.deepEqual(await codec().load(payload), { text });
        assert.notDeepEqual(await codec().save({ text }, "The value"), payload, "each large value gets its own blob");
      });

      it("reads blob chunks back by number, a missing one as undefined", async () => {
        await store.writeBlob("blob-test", [Buffer.from("ab"), Buffer.from("cd")]);
        const chunks = await store.readBlob("blob-test", 3);
        assert.deepEqual(
          chunks.map((c) => (c === undefined ? undefined : Buffer.from(c).toString())),
          ["ab", "cd", undefined],
        );
      });

      it("reports a stored value whose chunks are missing as data loss", async () => {
        await assert.rejects(codec().load({ kind: "blob", blobId: "blob-missing", bytes: 10, chunks: 1 }), (error: unknown) => {
          assert.ok(error instanceof StoreDataLossError, String(error));
          assert.match((error as Error).message, /Chunk 0 of stored value blob-missing is missing/);
          return true;
        });
      });

      it("stops a read when its caller gave up", async () => {
        await assert.rejects(store.readBlob("blob-test", 1, { signal: AbortSignal.abort() }), { name: "AbortError" });
      });
    });

    describe("waits", () => {
      it("records a wait once and lists an execution's waits in the order reached", async () => {
        await store.recordWait(wait("e1", "second", at(2)));
        await store.recordWait(wait("e1", "first", at(1)));
        await store.recordWait({ ...wait("e1", "first", at(3)), question: "changed?" });
        await store.recordWait(wait("e2", "other", at(1)));
        const waits = await store.listWaits("e1");
        assert.deepEqual(waits, [wait("e1", "first", at(1)), wait("e1", "second", at(2))]);
        assert.deepEqual(await store.listWaits("nobody"), []);
      });

      it("resolves a wait exactly once, with a value or an abort", async () => {
        await store.recordWait(wait("e1", "approve", at(1)));
        await store.recordWait(wait("e1", "veto", at(2)));
        const value = { kind: "value" as const, value: { kind: "inline" as const, json: "true" }, at: at(5) };
        assert.equal(await store.resolveWait("e1", "approve", value), true);
        assert.equal(await store.resolveWait("e1", "approve", { kind: "abort", at: at(6) }), false);
        assert.equal(await store.resolveWait("e1", "veto", { kind: "abort", at: at(7) }), true);
        const [approve, veto] = await store.listWaits("e1");
        assert.deepEqual(approve?.resolution, value);
        assert.deepEqual(veto?.resolution, { kind: "abort", at: at(7) });
        assert.ok(veto!.resolution!.at instanceof Date);
      });

      it("keeps a wait's source-answer note and an answer's source execution (replays answering from their source)", async () => {
        await store.recordWait({ ...wait("e1", "approve", at(1)), sourceAnswerNote: "Not answered from execution e0: never answered." });
        await store.recordWait(wait("e1", "review", at(2)));
        const copied = { kind: "value" as const, value: { kind: "inline" as const, json: "true" }, at: at(5), copiedFromExecId: "e0" };
        assert.equal(await store.resolveWait("e1", "review", copied), true);
        const [approve, review] = await store.listWaits("e1");
        assert.equal(approve?.sourceAnswerNote, "Not answered from execution e0: never answered.");
        assert.equal(approve?.resolution, undefined);
        assert.deepEqual(review?.resolution, copied);
        assert.equal(review?.sourceAnswerNote, undefined);
      });

      it("lets exactly one of 50 concurrent resolvers win", async () => {
        await store.recordWait(wait("e1", "race", at(1)));
        const outcomes = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.resolveWait("e1", "race", { kind: "value", value: { kind: "inline", json: String(i) }, at: at(2) })),
        );
        assert.equal(outcomes.filter(Boolean).length, 1);
        const winner = outcomes.indexOf(true);
        const [race] = await store.listWaits("e1");
        assert.deepEqual(race?.resolution, { kind: "value", value: { kind: "inline", json: String(winner) }, at: at(2) });
      });
    });

    describe("lifecycle", () => {
      it("keeps everything across a close and a reopen", async () => {
        const created = await inserted("e1", { createdAt: at(1) });
        const claimed = await store.appendTransition("e1", created, claimedAfter(created, at(100)));
        await store.renewLease("e1", claimed!.seq, "runner-1", at(200));
        const output = await new ValueCodec(store).save("x".repeat(5 * 1024 * 1024), "The output");
        const recorded = call("e1", "a", 0, { output });
        await store.recordCall(recorded);
        await store.recordWait(wait("e1", "approve", at(2)));
        await store.resolveWait("e1", "approve", { kind: "abort", at: at(3) });
        await store.close();

        store = await opened.reopen();
        assert.deepEqual((await store.getExecution("e1"))?.state, claimed);
        assert.deepEqual(await store.leaseExpiry("e1", claimed!.seq), at(200));
        assert.deepEqual(await store.listCalls("e1"), [recorded]);
        assert.equal(await new ValueCodec(store).load(output), "x".repeat(5 * 1024 * 1024));
        assert.deepEqual((await store.listWaits("e1"))[0]?.resolution, { kind: "abort", at: at(3) });
        assert.deepEqual(
          (await store.listExecutions({ limit: 10 })).map((e) => e.execId),
          ["e1"],
        );
        assert.equal(await store.insertExecution(execution("e1")), false);
      });

      it("sees another store's writes on the same data", async () => {
        const other = await opened.reopen();
        extraStores.push(other);
        const created = await inserted("e1");
        const next = await other.appendTransition("e1", created, { kind: "waiting", status: "waiting", generation: 0, at: at(1) });
        assert.deepEqual((await store.getExecution("e1"))?.state, next);
        assert.equal(await store.appendTransition("e1", created, { kind: "cancelled", status: "cancelled", generation: 0, at: at(2) }), undefined);
      });

      it("takes a write check (how a full disk is seen to have space again) and keeps nothing of it", async () => {
        await store.checkWritable();
        await store.checkWritable();
        assert.deepEqual(await store.readBlob("kitaru-write-check", 1), [undefined]);
      });

      it("fails operations after close with StoreUnavailableError", async () => {
        await inserted("e1");
        await store.close();
        await assert.rejects(store.getExecution("e1"), (error: unknown) => error instanceof StoreUnavailableError, "a read");
        await assert.rejects(store.insertExecution(execution("e2")), (error: unknown) => error instanceof StoreUnavailableError, "a write");
        await assert.rejects(store.checkWritable(), (error: unknown) => error instanceof StoreUnavailableError && !error.diskFull, "a write check");
      });
    });

    describe("replay jobs", () => {
      const job = (jobId: string, namespace: string, createdAt: Date) => ({
        jobId,
        namespace,
        createdAt,
        job: { proto: `spec of ${jobId}`, args: { "a.b": 1, $x: [1] } },
      });

      it("inserts a job once: a repeated insert is refused and keeps the first", async () => {
        assert.equal(await store.insertReplayJob(job("rj-1", "default", at(1))), true);
        assert.equal(await store.insertReplayJob({ ...job("rj-1", "default", at(2)), job: { proto: "another" } }), false);
        assert.deepEqual(await store.getReplayJob("rj-1"), job("rj-1", "default", at(1)));
        assert.equal(await store.getReplayJob("rj-none"), undefined);
      });

      it("lists jobs of a namespace newest first, keyset-paged, and the unfinished ones of every namespace", async () => {
        for (const [i, namespace] of ["default", "default", "team", "default"].entries()) await store.insertReplayJob(job(`rj-${i}`, namespace, at(i)));
        const ids = (jobs: { jobId: string }[]) => jobs.map((j) => j.jobId);
        assert.deepEqual(ids(await store.listReplayJobs({ namespace: "default", limit: 2 })), ["rj-3", "rj-1"]);
        assert.deepEqual(ids(await store.listReplayJobs({ namespace: "default", limit: 2, after: { createdAt: at(1), jobId: "rj-1" } })), ["rj-0"]);
        await store.markReplayJob("rj-1", { endedAt: at(10) });
        assert.deepEqual(ids(await store.listReplayJobs({ unfinishedOnly: true, limit: 10 })), ["rj-3", "rj-2", "rj-0"]);
      });

      it("keeps the first cancel and end times", async () => {
        await store.insertReplayJob(job("rj-1", "default", at(1)));
        assert.deepEqual((await store.markReplayJob("rj-1", { cancelledAt: at(5) }))?.cancelledAt, at(5));
        const after = await store.markReplayJob("rj-1", { cancelledAt: at(6), endedAt: at(7) });
        assert.deepEqual([after?.cancelledAt, after?.endedAt], [at(5), at(7)]);
        assert.deepEqual((await store.markReplayJob("rj-1", { endedAt: at(8) }))?.endedAt, at(7));
        assert.equal(await store.markReplayJob("rj-none", { endedAt: at(8) }), undefined);
      });

      it("replaces items by index and lists them in index order from an index", async () => {
        await store.insertReplayJob(job("rj-1", "default", at(1)));
        const item = (index: number, state: string) => ({ jobId: "rj-1", index, item: { state, "key.with.dots": { $weird: index } } });
        await store.putReplayJobItems([item(2, "pending"), item(0, "pending"), item(1, "pending"), item(10, "pending")]);
        await store.putReplayJobItems([item(1, "settled")]);
        assert.deepEqual(await store.listReplayJobItems("rj-1", 0, 0), [item(0, "pending"), item(1, "settled"), item(2, "pending"), item(10, "pending")]);
        assert.deepEqual(await store.listReplayJobItems("rj-1", 1, 2), [item(1, "settled"), item(2, "pending")]);
        assert.deepEqual(await store.listReplayJobItems("rj-other", 0, 0), []);
      });
    });
  });
}
