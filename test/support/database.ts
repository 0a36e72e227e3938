import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFerretDB, type LocalFerretDB } from "../../scripts/ferretdb/start.mjs";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { MongoExecutionStore } from "../../services/runner/src/store/mongo-execution-store.ts";
import { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";

let local: Promise<LocalFerretDB> | undefined;

/**
 * The MongoDB-wire server tests run against: `MONGODB_URI` when set,
 * otherwise one local FerretDB per test process (SQLite backend, temp dir),
 * stopped when the process exits.
 */
export async function testServerUri(): Promise<string> {
  const fromEnv = process.env.MONGODB_URI;
  if (fromEnv) return fromEnv;
  local ??= startFerretDB();
  const server = await local;
  return server.uri;
}

/** A fresh database name, so tests never see each other's data. */
export function freshDatabaseName(prefix = "kitaru_test"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** Stops the local server, if this process started one. */
export async function stopTestServer(): Promise<void> {
  if (local) await (await local).stop();
  local = undefined;
}

/** The store a test run uses; one per test process, chosen by {@link testStoreKind}. */
export type TestStoreKind = "sqlite" | "mongo";

/** `KITARU_TEST_STORE`: `sqlite` (the default) or `mongo` (the test server above). Anything else is an error. */
export function testStoreKind(): TestStoreKind {
  const kind = process.env.KITARU_TEST_STORE || "sqlite";
  if (kind !== "sqlite" && kind !== "mongo") throw new Error(`KITARU_TEST_STORE must be 'sqlite' or 'mongo', not '${kind}'`);
  return kind;
}

let sqliteDir: string | undefined;

/** This test process's directory of SQLite files, removed when the process exits. */
function sqliteFiles(): string {
  if (sqliteDir === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "kitaru-test-db-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    sqliteDir = dir;
  }
  return sqliteDir;
}

/** Where a test keeps its executions, in the store the test run chose (see {@link testDatabase}). */
export interface TestDatabase {
  readonly kind: TestStoreKind;
  /** The name it was opened by: pass it to {@link testDatabase} to open the same data again. */
  readonly name: string;
  /** The flags that point a `kitaru runner` process at it. */
  readonly runnerArgs: readonly string[];
  /** The environment variables that point a `kitaru runner` process at it (and unset the other store's). */
  readonly runnerEnv: Readonly<Record<string, string | undefined>>;
  /** Opens a store on it; the caller closes the store. */
  open(): Promise<ExecutionStore>;
  /** Deletes its data (SQLite: the file; MongoDB: nothing, the server is per process). Close its stores first. */
  remove(): void;
}

/**
 * A test database in the store `KITARU_TEST_STORE` names (or `kind`, for a
 * test that must run on one store or on both): an SQLite file in a
 * per-process temporary directory (removed at exit), or a database on the
 * MongoDB test server. Without `name` it is a fresh, empty one; with the
 * `name` of an earlier one it is that one again.
 */
export async function testDatabase(name = freshDatabaseName(), kind: TestStoreKind = testStoreKind()): Promise<TestDatabase> {
  if (kind === "mongo") {
    const uri = await testServerUri();
    return {
      kind: "mongo",
      name,
      runnerArgs: ["--mongodb-uri", uri, "--database", name],
      runnerEnv: { MONGODB_URI: uri, KITARU_DATABASE: name, KITARU_DB_PATH: undefined },
      open: () => MongoExecutionStore.connect({ uri, database: name }),
      remove: () => undefined,
    };
  }
  const file = path.join(sqliteFiles(), `${name}.db`);
  return {
    kind: "sqlite",
    name,
    runnerArgs: ["--db-path", file],
    runnerEnv: { KITARU_DB_PATH: file, MONGODB_URI: undefined, KITARU_DATABASE: undefined },
    open: () => SqliteExecutionStore.open({ path: file }),
    remove: () => {
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    },
  };
}
