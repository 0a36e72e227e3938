/**
 * Issue 19 item 7: another application's SQLite file at the store path.
 * The runner exited with "no such column: status", not naming the file,
 * after switching the file's journal to WAL. It now exits 1 before changing
 * anything, naming the file, what is in it and the setting to change.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { runKitaru } from "./kitaru-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "kitaru-foreign-db-"));

describe("kitaru runner --db-path <another application's SQLite file>", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 1 naming the file, its tables and --db-path, and leaves the file as it was", async () => {
    const file = path.join(dir, "app.db");
    const theirs = new Database(file);
    theirs.exec("CREATE TABLE executions (id INTEGER PRIMARY KEY, command TEXT); CREATE TABLE users (id INTEGER PRIMARY KEY)");
    theirs.close();
    const before = readFileSync(file);
    const run = await runKitaru(["runner", "--flows", "examples/replay/flows.ts", "--port", "0", "--db-path", file]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr
        .split("\n")
        .filter((line) => !line.startsWith("[kitaru runner]"))
        .join("\n"),
      `kitaru runner: The SQLite file ${file} is not a kitaru database: it holds another application's tables (executions, users). ` +
        "kitaru changed nothing in it. Give the runner a file of its own with --db-path / KITARU_DB_PATH (a new path: kitaru creates it), " +
        "or --mongodb-uri / MONGODB_URI for MongoDB.\n",
    );
    assert.ok(readFileSync(file).equals(before), "the file is unchanged");
  });
});
