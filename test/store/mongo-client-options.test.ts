import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { storeClientOptions } from "../../services/runner/src/store/mongo-execution-store.ts";

// docs/upgrades.md, "MongoDB in production": the runner reads from the primary
// and writes with w: majority (journaled) and retryable writes, whatever the
// URI asks for. No server is needed: the driver resolves options at construction.

describe("the MongoDB store's client options", () => {
  it("override a URI's read preference, write concern and retryable writes", async () => {
    const uri = "mongodb://db1:27017,db2:27017/?replicaSet=rs0&readPreference=secondaryPreferred&w=0&retryWrites=false";
    const client = new MongoClient(uri, storeClientOptions(5_000));
    try {
      assert.equal(client.options.readPreference.mode, "primary");
      assert.equal(client.options.writeConcern?.w, "majority");
      assert.equal(client.options.writeConcern?.journal, true);
      assert.equal(client.options.retryWrites, true);
      assert.equal(client.options.heartbeatFrequencyMS, 2_000);
    } finally {
      await client.close();
    }
  });
});
