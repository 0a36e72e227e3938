/**
 * Issue 19 item 3: a full disk under the embedded store. Every write failed
 * with SQLITE_FULL and running executions stalled, yet health stayed SERVING
 * and the log got ~185 identical stack traces within seconds. Now health is
 * NOT_SERVING while writes fail, the log says it once (and, when writes go
 * through again, how many failed), and the executions finish once there is
 * space again.
 *
 * The disk is filled without filling the real one: the store's connection
 * caps the file at its current size (`PRAGMA max_page_count`), which makes
 * SQLite fail writes that need new pages with SQLITE_FULL exactly as a full
 * disk does; lifting the cap is space coming back. MongoDB's "out of disk
 * space" is recognised by test/store/mongo-store-error.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "#gen/grpc/health/v1/health_pb.ts";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { errorFromConnectError, KitaruBackendError } from "#contract/errors/index.ts";
import { z } from "zod";
import { checkpoint, flow } from "kitaru";
import { FlowRegistry } from "../../services/runner/src/engine/flow-registry.ts";
import { startRunner } from "../../services/runner/src/runner-server.ts";
import { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";
import { eventually, testScheduler } from "../support/runner-env.ts";

/** Holds the checkpoints until the test has filled the disk. */
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => {
  openGate = resolve;
});
const bulky = checkpoint("disk_full_bulky", async (n: number) => {
  await gate;
  return `${n}:${"x".repeat(64 * 1024)}`;
});
const bulkyFlow = flow("disk_full_bulky", { input: z.object({ n: z.number() }) }, async ({ n }) => (await bulky(n)).length);

describe("a runner whose disk fills up, then gets space back", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("reports NOT_SERVING, says so once with a count, and recovers when space returns", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kitaru-disk-full-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = await SqliteExecutionStore.open({ path: path.join(dir, "k.db") });
    cleanups.push(() => store.close());
    const lines: { level: string; text: string }[] = [];
    const logger = {
      error: (message: string, fields: Readonly<Record<string, unknown>>) => lines.push({ level: "error", text: `${message} ${JSON.stringify(fields)}` }),
      warn: (message: string, fields: Readonly<Record<string, unknown>>) => lines.push({ level: "warn", text: `${message} ${JSON.stringify(fields)}` }),
      info: (message: string) => lines.push({ level: "info", text: message }),
    };
    const runner = await startRunner({ store, flows: new FlowRegistry([bulkyFlow]), scheduler: testScheduler, logger, databaseCheckMs: 200 });
    cleanups.push(() => runner.stop());
    const session = new Http2SessionManager(`http://${runner.address}`);
    cleanups.push(() => session.abort());
    const transport = createGrpcTransport({ baseUrl: `http://${runner.address}`, sessionManager: session });
    const client = createClient(RunnerService, transport);
    const health = createClient(Health, transport);
    const status = async () => (await health.check({ service: "" })).status;

    // Started before the disk fills, held in their checkpoint until it is: their 64 KiB outputs need new pages.
    const started = await Promise.all(Array.from({ length: 6 }, (_, n) => client.startExecution({ flowName: "disk_full_bulky", input: { n } })));
    await store.capFileSize(1); // no more pages than the file has now: the disk is "full"
    openGate();
    assert.equal(await eventually(status, (s) => s === Serving.NOT_SERVING, 15_000), Serving.NOT_SERVING);

    // Writes answer UNAVAILABLE at once (a backend error); reads still work.
    const refused = await client.startExecution({ flowName: "disk_full_bulky", input: { n: 99 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (refused !== undefined) {
      assert.ok(refused instanceof ConnectError && refused.code === Code.Unavailable, String(refused));
      assert.ok(errorFromConnectError(refused) instanceof KitaruBackendError);
    }
    await client.getExecution({ execId: started[0]!.execution!.execId });

    // Failures go on for a while (runs retry after their lease): said once, not once per failure.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const errors = lines.filter((line) => line.level === "error");
    assert.equal(errors.length, 1, lines.map((line) => `${line.level} ${line.text}`).join("\n"));
    assert.match(errors[0]!.text, /^the database's disk is full: writes fail, running executions wait; health is NOT_SERVING .*SQLITE_FULL/);
    assert.equal(await status(), Serving.NOT_SERVING);

    await store.capFileSize(undefined); // space comes back
    assert.equal(await eventually(status, (s) => s === Serving.SERVING, 15_000), Serving.SERVING);
    const recovered = lines.filter((line) => /takes writes again/.test(line.text));
    assert.equal(recovered.length, 1, lines.map((line) => line.text).join("\n"));
    const failed = Number(/\((\d+) writes failed meanwhile\)/.exec(recovered[0]!.text)?.[1]);
    assert.ok(failed >= 2, recovered[0]!.text);
    for (const { execution } of started) {
      const done = await eventually(
        async () => (await client.getExecution({ execId: execution!.execId })).execution!,
        (e) => e.status === ExecutionStatus.COMPLETED,
        30_000,
      );
      assert.equal(done.status, ExecutionStatus.COMPLETED, done.failure?.message);
    }
    assert.equal(lines.filter((line) => line.level === "error").length, 1, lines.map((line) => `${line.level} ${line.text}`).join("\n"));
  });
});
