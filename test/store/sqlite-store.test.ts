/**
 * The store conformance suite against SqliteExecutionStore (a fresh file per
 * test), and what only the embedded store has: the file, its settings, lock
 * handling and error mapping.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { fromBinary } from "@bufbuild/protobuf";
import { encodeLineageEntry } from "#contract/wire/call-graph-encoder.ts";
import { CallGraphSchema } from "#gen/kitaru/runner/v1/replay_plan_pb.ts";
import { encodeRecord } from "../../services/runner/src/store/record-json.ts";
import type { CallRecord } from "../../services/runner/src/store/records.ts";
import { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";
import { SCHEMA_VERSION } from "../../services/runner/src/store/sqlite-schema.ts";
import { ForeignStoreFileError, StoreUnavailableError } from "../../services/runner/src/store/store-errors.ts";
import { describeStoreConformance } from "./conformance.ts";

const scratch = mkdtempSync(path.join(tmpdir(), "kitaru-sqlite-store-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const freshFile = () => path.join(scratch, `store-${++files}`, "kitaru.db");

describeStoreConformance("SqliteExecutionStore", async () => {
  const file = freshFile();
  const open = () => SqliteExecutionStore.open({ path: file });
  return { store: await open(), reopen: open, cleanup: async () => rmSync(path.dirname(file), { recursive: true, force: true }) };
});

/** A file as an older release left it: today's schema, then `change` made to it directly. */
async function olderFile(change: (db: Database.Database) => void): Promise<string> {
  const file = freshFile();
  await (await SqliteExecutionStore.open({ path: file })).close();
  const db = new Database(file);
  try {
    change(db);
  } finally {
    db.close();
  }
  return file;
}

const newExecution = (execId: string) => ({ execId, flowName: "f", input: { kind: "inline" as const, json: "{}" }, createdAt: new Date() });
const unavailable = (error: unknown) => error instanceof StoreUnavailableError;

describe("SqliteExecutionStore file", () => {
  it("creates the file and its parent directories, in WAL mode", async () => {
    const file = path.join(scratch, "deep", "er", "kitaru.db");
    const store = await SqliteExecutionStore.open({ path: file });
    assert.equal(store.path, file);
    assert.ok(statSync(file).isFile());
    await store.close();
    await store.close(); // idempotent
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    raw.close();
  });

  it("reports a file it cannot open, or one that is not a database, as StoreUnavailableError", async () => {
    const directory = path.join(scratch, "a-directory");
    mkdirSync(directory);
    await assert.rejects(SqliteExecutionStore.open({ path: directory }), unavailable);
    const garbage = path.join(scratch, "garbage.db");
    writeFileSync(garbage, "this is not an SQLite database, just some text that is long enough to have a header".repeat(100));
    await assert.rejects(SqliteExecutionStore.open({ path: garbage }), unavailable);
    await assert.rejects(SqliteExecutionStore.open({ path: path.join(garbage, "below-a-file.db") }), unavailable);
  });

  it("refuses another application's SQLite file, naming it and its tables, and changes nothing in it (issue 19 item 7)", async () => {
    // Was: the journal switched to WAL, then "no such column: status" without the file's name.
    const cases: [string, (db: Database.Database) => void, string[]][] = [
      [
        "tables without a version",
        (db) => db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE orders (id INTEGER)"),
        ["orders", "users"],
      ],
      ["an executions table of its own", (db) => db.exec("CREATE TABLE executions (id INTEGER PRIMARY KEY, command TEXT)"), ["executions"]],
      [
        "a version of its own",
        (db) => {
          db.exec("CREATE TABLE settings (key TEXT, value TEXT)");
          db.pragma("user_version = 3");
        },
        ["settings"],
      ],
    ];
    for (const [label, create, tables] of cases) {
      const file = freshFile();
      mkdirSync(path.dirname(file), { recursive: true });
      const theirs = new Database(file);
      create(theirs);
      const version = theirs.pragma("user_version", { simple: true });
      theirs.close();
      const before = readFileSync(file);
      await assert.rejects(SqliteExecutionStore.open({ path: file }), (error: unknown) => {
        assert.ok(error instanceof ForeignStoreFileError, `${label}: ${String(error)}`);
        assert.equal(error.message, `The SQLite file ${file} is not a kitaru database: it holds another application's tables (${tables.join(", ")}).`);
        return true;
      });
      assert.ok(readFileSync(file).equals(before), `${label}: the file is unchanged`);
      const after = new Database(file, { readonly: true });
      assert.equal(after.pragma("journal_mode", { simple: true }), "delete", `${label}: still in its own journal mode`);
      assert.equal(after.pragma("user_version", { simple: true }), version);
      after.close();
    }
  });

  it("waits for a lock another connection holds instead of failing, and gives up with StoreUnavailableError only after lockRetryMs", async () => {
    const file = freshFile();
    const store = await SqliteExecutionStore.open({ path: file, busyTimeoutMs: 20 });
    const other = new Database(file, { timeout: 20 });
    try {
      other.exec("BEGIN IMMEDIATE");
      const writing = store.insertExecution(newExecution("e1"));
      const reading = store.getExecution("e1"); // WAL: readers are not blocked by the writer
      assert.equal(await reading, undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      other.exec("COMMIT");
      assert.equal(await writing, true, "the write went through once the lock was released");

      const impatient = await SqliteExecutionStore.open({ path: file, busyTimeoutMs: 20, lockRetryMs: 150 });
      other.exec("BEGIN IMMEDIATE");
      await assert.rejects(impatient.insertExecution(newExecution("e2")), (error: unknown) => unavailable(error) && /stayed locked/.test(String(error)));
      other.exec("ROLLBACK");
      assert.equal(await impatient.insertExecution(newExecution("e2")), true);
      await impatient.close();
    } finally {
      other.close();
      await store.close();
    }
  });
});

describe("SqliteExecutionStore group commit", () => {
  it("commits concurrent writes together, and a write that fails in a group fails alone", async () => {
    const file = freshFile();
    const store = await SqliteExecutionStore.open({ path: file });
    try {
      await store.writeBlob("taken", [new Uint8Array([1])]);
      const before = store.groupCommits!;
      const inserts = Array.from({ length: 100 }, (_, i) => store.insertExecution(newExecution(`e${i}`)));
      const clash = store.writeBlob("taken", [new Uint8Array([2])]); // chunk 0 of "taken" exists: a primary-key violation
      const repeat = store.insertExecution(newExecution("e0")); // in the same group as the first insert of e0
      assert.deepEqual(await Promise.all(inserts), Array(100).fill(true));
      assert.equal(await repeat, false, "the second insert of e0 saw the first one, in the same transaction");
      await assert.rejects(clash, (error: unknown) => error instanceof Database.SqliteError && /CONSTRAINT/.test(error.code));
      const after = store.groupCommits!;
      assert.equal(after.writes - before.writes, 102);
      assert.ok(after.commits - before.commits < 10, `102 concurrent writes took ${after.commits - before.commits} commits`);
      assert.deepEqual([...((await store.readBlob("taken", 1))[0] ?? [])], [1], "the failed write changed nothing");
    } finally {
      await store.close();
    }
    const reopened = await SqliteExecutionStore.open({ path: file, groupCommit: false });
    assert.equal((await reopened.listExecutions({ limit: 0 })).length, 100, "every acknowledged insert is in the file");
    await reopened.close();
  });

  it("answers writes made before close, and refuses later ones with StoreUnavailableError", async () => {
    const store = await SqliteExecutionStore.open({ path: freshFile() });
    const pending = store.insertExecution(newExecution("e1"));
    await store.close();
    assert.equal(await pending, true);
    await assert.rejects(store.insertExecution(newExecution("e2")), unavailable);
  });

  it("lifts a cap on the file even when the writes queued with it fail for lack of space", async () => {
    const store = await SqliteExecutionStore.open({ path: freshFile() });
    try {
      await store.capFileSize(1); // no page beyond those the file has: a full disk
      const bulky = new Uint8Array(256 * 1024);
      // Queued together, so the writer takes them in one group: the blobs fail, the uncap must not.
      const blobs = Array.from({ length: 3 }, (_, i) => store.writeBlob(`big-${i}`, [bulky]));
      const uncapped = store.capFileSize(undefined);
      for (const blob of blobs) await assert.rejects(blob, (error: unknown) => unavailable(error) && /SQLITE_FULL/.test(String(error)));
      assert.ok((await uncapped) > 1_000_000, "the cap is lifted");
      await store.writeBlob("big-after", [bulky]);
      assert.equal((await store.readBlob("big-after", 1))[0]?.length, bulky.length, "writes go through once the cap is lifted");
    } finally {
      await store.close();
    }
  });
});

describe("SqliteExecutionStore call texts", () => {
  it("stores each call as the generic record text (its payloads apart) and its lineage fields, whatever fields the record has", async () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const base: CallRecord = {
      execId: "e1",
      invocationId: "a",
      callId: "call-a",
      name: "a",
      status: "reused",
      attempts: 0,
      sequence: 1,
      dataDependencies: ["x", "y"],
      loadDependencies: ["z"],
      outputNames: ["out"],
      output: { kind: "inline", json: '{"v":"\\u00e9\\n"}' },
      reusedFromCallId: "call-src",
      overridden: true,
      overrideValue: { kind: "blob", blobId: "b1", bytes: 10, chunks: 1 },
      generation: 2,
      startedAt: at,
      endedAt: new Date(Number.NaN),
    };
    const calls: CallRecord[] = [
      base,
      {
        ...base,
        invocationId: "b",
        status: "completed",
        attempts: 2,
        output: undefined,
        overridden: undefined,
        overrideValue: undefined,
        failure: { message: "m", exceptionType: "E" },
        metadata: '{"k":1}',
        attemptHistory: [{ number: 1, status: "failed", startedAt: at, endedAt: at, failure: { message: "m", exceptionType: "E" } }],
      },
      { ...base, invocationId: "c", extra: { when: at } } as CallRecord, // a field the store does not know yet
      { ...base, invocationId: "d", outputNames: undefined } as unknown as CallRecord, // a record missing a field
    ];
    const file = freshFile();
    const store = await SqliteExecutionStore.open({ path: file });
    await store.recordCalls(calls.slice(0, 2));
    for (const call of calls.slice(2)) await store.recordCall(call);
    await store.close();
    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare("SELECT record, lineage, payloads FROM calls ORDER BY invocation_id").all() as {
      record: string;
      lineage: string;
      payloads: string | null;
    }[];
    raw.close();
    const lineageOf = (c: CallRecord) => ({
      invocationId: c.invocationId,
      callId: c.callId,
      name: c.name,
      status: c.status,
      sequence: c.sequence,
      generation: c.generation,
      dataDependencies: c.dataDependencies,
      loadDependencies: c.loadDependencies,
      outputNames: c.outputNames,
    });
    assert.equal(rows.length, calls.length);
    for (const [i, call] of calls.entries()) {
      const { record, payloads } = rows[i]!;
      const payloadsOf = { output: call.output, overrideValue: call.overrideValue };
      assert.deepEqual(JSON.parse(`{${payloads ?? ""}}`), JSON.parse(JSON.stringify(payloadsOf)), `payloads of ${call.invocationId}`);
      assert.ok(!("output" in JSON.parse(record)) && !("overrideValue" in JSON.parse(record)), "the record without its payloads");
      const whole = payloads === null ? record : `${record.slice(0, -1)},${payloads}}`;
      assert.deepEqual(JSON.parse(whole), JSON.parse(encodeRecord(call)), `record of ${call.invocationId}`);
      assert.deepEqual(JSON.parse(rows[i]!.lineage), JSON.parse(JSON.stringify(lineageOf(call))), `lineage of ${call.invocationId}`);
    }
  });
});

describe("SqliteExecutionStore reused calls", () => {
  const reused = (invocationId: string, sequence: number, extra: Partial<CallRecord> = {}): CallRecord => ({
    execId: "r1",
    invocationId,
    callId: `call-${invocationId}`,
    name: "step",
    status: "reused",
    attempts: 0,
    sequence,
    dataDependencies: [],
    loadDependencies: [],
    outputNames: [],
    output: { kind: "inline", json: `"${invocationId}"` },
    reusedFromCallId: `call-src-${invocationId}`,
    generation: 0,
    startedAt: new Date(1_000 + sequence),
    endedAt: new Date(1_000 + sequence),
    ...extra,
  });

  it("stores a reused call as one compact entry in reused_calls, and one it cannot hold exactly as a whole record in calls", async () => {
    const file = freshFile();
    const store = await SqliteExecutionStore.open({ path: file });
    const records = [reused("a", 1), reused("b", 2, { metadata: '{"k":1}' }), reused("c", 3, { dataDependencies: ["a"], endedAt: new Date(9_000) })];
    await store.recordCalls(records);
    assert.deepEqual(await store.listCalls("r1"), records);
    await store.close();
    const raw = new Database(file, { readonly: true });
    const entries = raw.prepare("SELECT invocation_id, sequence, entry FROM reused_calls ORDER BY sequence").all() as {
      invocation_id: string;
      entry: string;
    }[];
    const rows = raw.prepare("SELECT invocation_id FROM calls").all() as { invocation_id: string }[];
    raw.close();
    assert.deepEqual(
      entries.map((e) => e.invocation_id),
      ["a", "c"],
    );
    assert.deepEqual(
      rows.map((r) => r.invocation_id),
      ["b"],
    );
    assert.deepEqual(JSON.parse(entries[1]!.entry), {
      i: "c",
      c: "call-c",
      n: "step",
      s: 3,
      g: 0,
      d: ["a"],
      p: { kind: "inline", json: '"c"' },
      f: "call-src-c",
      t: 1_003,
      e: 9_000,
    });
  });

  it("opens a version 5 file (reused calls as rows of calls, payloads in the records) and reads its rows with the entries and rows written after", async () => {
    const before = reused("a", 1);
    // As version 5 wrote a reused call: a whole record (with its payloads) in calls; no reused_calls table, no payloads column.
    const file = await olderFile((old) => {
      old.exec("DROP TABLE reused_calls");
      old.exec("ALTER TABLE calls DROP COLUMN payloads");
      old.prepare("INSERT INTO calls (exec_id, invocation_id, attempt, sequence, record, lineage) VALUES (?, ?, '', ?, ?, ?)").run(
        "r1",
        "a",
        1,
        encodeRecord(before),
        JSON.stringify({
          invocationId: "a",
          callId: "call-a",
          name: "step",
          status: "reused",
          sequence: 1,
          generation: 0,
          dataDependencies: [],
          loadDependencies: [],
          outputNames: [],
        }),
      );
      old.pragma("user_version = 5");
    });
    const store = await SqliteExecutionStore.open({ path: file });
    try {
      const after = [reused("b", 2, { dataDependencies: ["a"] }), reused("a", 1, { callId: "call-again" })];
      await store.recordCalls(after);
      const { reusedFromCallId: _source, ...fresh } = reused("c", 3);
      const executed: CallRecord = { ...fresh, status: "completed", attempts: 1 };
      assert.equal(await store.recordCall(executed), undefined);
      assert.deepEqual(await store.listCalls("r1"), [before, after[0], executed], "the row written first wins over a later entry of its invocation");
      assert.deepEqual(
        (await store.listCallLineage("r1")).map((c) => c.callId),
        ["call-a", "call-b", "call-c"],
      );
      assert.deepEqual(
        (await store.listReusableCalls("r1")).map((c) => c.output),
        [before.output, after[0]!.output, executed.output],
      );
      assert.deepEqual(Object.fromEntries(await store.countCalls(["r1"])), { r1: 3 });
    } finally {
      await store.close();
    }
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    raw.close();
  });
});

describe("SqliteExecutionStore schema upgrades", () => {
  it("opens a version 1 file (before log chunks) and adds what version 2 needs", async () => {
    // A version 1 file: today's tables without call_logs.
    const file = await olderFile((old) => {
      old.exec("DROP TABLE call_logs");
      old.pragma("user_version = 1");
    });
    const store = await SqliteExecutionStore.open({ path: file });
    try {
      await store.appendLogs([{ execId: "e1", invocationId: "a", callId: "c", name: "a", sequence: 1, generation: 0, attempt: 1, chunk: 0, lines: [] }]);
      assert.equal((await store.listLogs("e1", { limit: 10 })).length, 1);
    } finally {
      await store.close();
    }
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    raw.close();
  });

  it("opens a version 3 file (calls without a lineage column) and gives its calls their lineage", async () => {
    const file = freshFile();
    mkdirSync(path.dirname(file), { recursive: true });
    const store = await SqliteExecutionStore.open({ path: file });
    const recorded = {
      execId: "e1",
      invocationId: "b",
      callId: "call-b",
      name: "b",
      status: "completed" as const,
      attempts: 1,
      sequence: 2,
      dataDependencies: ["a"],
      loadDependencies: [],
      outputNames: ["x"],
      generation: 0,
      startedAt: new Date(1),
      endedAt: new Date(2),
    };
    await store.recordCall(recorded);
    await store.close();
    // As version 3 wrote it: no lineage column.
    const old = new Database(file);
    old.exec("ALTER TABLE calls DROP COLUMN lineage");
    old.pragma("user_version = 3");
    old.close();
    const upgraded = await SqliteExecutionStore.open({ path: file });
    try {
      assert.deepEqual(await upgraded.listCallLineage("e1"), [
        {
          invocationId: "b",
          callId: "call-b",
          name: "b",
          status: "completed",
          sequence: 2,
          generation: 0,
          dataDependencies: ["a"],
          loadDependencies: [],
          outputNames: ["x"],
        },
      ]);
    } finally {
      await upgraded.close();
    }
  });
});

describe("SqliteExecutionStore encoded call lineage", () => {
  const completed = (execId: string, k: number, extra: Partial<CallRecord> = {}): CallRecord => ({
    execId,
    invocationId: `step_${k}`,
    callId: `call-${execId}-${k}`,
    name: "step",
    status: "completed",
    attempts: 1,
    sequence: k,
    dataDependencies: k === 1 ? [] : [`step_${k - 1}`],
    loadDependencies: k === 2 ? ["step_1"] : [],
    outputNames: k === 3 ? ["a", "b"] : [],
    output: { kind: "inline", json: `{"i":${k}}` },
    generation: 0,
    startedAt: new Date(k),
    endedAt: new Date(k + 1),
    ...extra,
  });
  /** The lineage entries of the calls `listCallLineage` reads, as GetCallGraph would write them from the records. */
  const fromRecords = async (store: SqliteExecutionStore, execId: string) =>
    Buffer.concat((await store.listCallLineage(execId)).map((call) => encodeLineageEntry(call)!));

  it("gives an execution's calls as the call graph's lineage bytes, in issue order: what GetCallGraph sends from the records", async () => {
    const store = await SqliteExecutionStore.open({ path: freshFile() });
    try {
      // Recorded out of issue order, one at a time and in a batch.
      await store.recordCall(completed("e1", 3));
      await store.recordCalls([completed("e1", 1), completed("e1", 4, { callId: "é".repeat(200) })]);
      await store.recordCall(completed("e1", 2));
      const bytes = await store.encodedCallLineage("e1");
      assert.ok(bytes, "every call has its entry");
      assert.deepEqual(Buffer.from(bytes), await fromRecords(store, "e1"));
      const lineage = fromBinary(CallGraphSchema, bytes).lineage;
      assert.deepEqual(
        lineage.map((call) => [call.invocationId, Number(call.sequence), call.dataDependencies, call.loadDependencies, call.outputNames]),
        [
          ["step_1", 1, [], [], []],
          ["step_2", 2, ["step_1"], ["step_1"], []],
          ["step_3", 3, ["step_2"], [], ["a", "b"]],
          ["step_4", 4, ["step_3"], [], []],
        ],
      );
      assert.deepEqual(await store.encodedCallLineage("no-calls"), new Uint8Array(0), "an execution without calls: no bytes");
    } finally {
      await store.close();
    }
  });

  it("leaves an execution with a failed attempt, a reused entry, a row without an entry or one of an older form to listCallLineage (undefined)", async () => {
    const file = freshFile();
    const store = await SqliteExecutionStore.open({ path: file });
    try {
      await store.recordCalls([completed("failed", 1), completed("failed", 2, { status: "failed", output: undefined })]);
      await store.recordCalls([completed("reused", 1), completed("reused", 2, { status: "reused", attempts: 0, reusedFromCallId: "src-2" })]);
      await store.recordCalls([completed("older", 1), completed("older", 2)]);
      await store.recordCalls([completed("other-form", 1), completed("other-form", 2)]);
      // As a runner of the previous release writes a call: no entry.
      const raw = new Database(file);
      raw.prepare("UPDATE calls SET lineage_entry = NULL, lineage_form = NULL WHERE exec_id = 'older' AND invocation_id = 'step_2'").run();
      // As written before a field was added to CallLineage.
      raw.prepare("UPDATE calls SET lineage_form = lineage_form + 1 WHERE exec_id = 'other-form' AND invocation_id = 'step_1'").run();
      assert.deepEqual(raw.prepare("SELECT invocation_id FROM reused_calls WHERE exec_id = 'reused'").pluck().all(), ["step_2"], "the reused call is an entry");
      raw.close();
      for (const execId of ["failed", "reused", "older", "other-form"]) assert.equal(await store.encodedCallLineage(execId), undefined, execId);
      assert.equal((await store.listCallLineage("reused")).length, 2, "the calls are there, read the other way");
    } finally {
      await store.close();
    }
  });

  it("adds the entry columns to a version 7 file without them, keeping the version a runner of that release opens", async () => {
    const file = await olderFile((old) => {
      old.exec("ALTER TABLE calls DROP COLUMN lineage_entry");
      old.exec("ALTER TABLE calls DROP COLUMN lineage_form");
    });
    const store = await SqliteExecutionStore.open({ path: file });
    try {
      await store.recordCall(completed("e1", 1));
      assert.ok(await store.encodedCallLineage("e1"));
    } finally {
      await store.close();
    }
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma("user_version", { simple: true }), 7);
    raw.close();
  });
});
