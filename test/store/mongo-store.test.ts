/**
 * The store conformance suite against MongoExecutionStore on the test server
 * (MONGODB_URI, else a local FerretDB), a fresh database per test.
 */
import { after } from "node:test";
import { MongoExecutionStore } from "../../services/runner/src/store/mongo-execution-store.ts";
import { freshDatabaseName, stopTestServer, testServerUri } from "../support/database.ts";
import { describeStoreConformance } from "./conformance.ts";

after(async () => {
  await stopTestServer();
});

describeStoreConformance("MongoExecutionStore", async () => {
  const uri = await testServerUri();
  const database = freshDatabaseName("kitaru_store");
  const open = () => MongoExecutionStore.connect({ uri, database });
  return { store: await open(), reopen: open, cleanup: async () => undefined };
});
