import { randomBytes } from "node:crypto";
import { startFerretDB, type LocalFerretDB } from "../../scripts/ferretdb/start.mjs";

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
