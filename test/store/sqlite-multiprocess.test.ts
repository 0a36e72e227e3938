/**
 * Several runner-like processes on one SQLite file: each child
 * (sqlite-hammer.ts) races the others on inserts, compare-and-set
 * transitions, call records and wait resolutions at the same moment. No
 * busy error may escape the store, and nothing may be lost or won twice.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";
import type { HammerReport } from "./sqlite-hammer.ts";

const WORKERS = 4;
const SHARED = 4;
/** Short, so that SQLite's own wait often runs out and the store's asynchronous retries are exercised too. */
const BUSY_TIMEOUT_MS = 5;
const ROUNDS = 150;
const HAMMER = fileURLToPath(new URL("./sqlite-hammer.ts", import.meta.url));

function runWorker(file: string, worker: string, startAt: number): Promise<HammerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=kitaru-source", "--import", "tsx", HAMMER, file, worker, String(startAt), String(ROUNDS), String(SHARED), String(BUSY_TIMEOUT_MS)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as HammerReport);
      else reject(new Error(`worker ${worker} exited with ${code}:\n${stderr}`));
    });
  });
}

describe("several processes on one SQLite file", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "kitaru-sqlite-mp-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it(`${WORKERS} processes racing loses nothing, lets every race have exactly one winner, and never shows a busy error`, async () => {
    const file = path.join(scratch, "shared.db");
    const startAt = Date.now() + 3_000; // the workers load and open first, then start together
    const reports = await Promise.all(Array.from({ length: WORKERS }, (_, i) => runWorker(file, `w${i}`, startAt)));

    const store = await SqliteExecutionStore.open({ path: file });
    const raw = new Database(file, { readonly: true });
    try {
      // Every insert is there.
      for (const report of reports) {
        assert.equal(report.inserted.length, ROUNDS);
        for (const execId of report.inserted) assert.ok(await store.getExecution(execId), `${execId} is readable`);
      }
      const executions = raw.prepare("SELECT count(*) AS n FROM executions").get() as { n: number };
      assert.equal(executions.n, WORKERS * ROUNDS + SHARED);

      for (let i = 0; i < SHARED; i++) {
        const execId = `shared-${i}`;
        // Transitions: 0..n without gaps, n = the appends the workers won, and the cached state is the last one.
        const won = reports.reduce((sum, r) => sum + (r.transitions[execId] ?? 0), 0);
        const seqs = (raw.prepare("SELECT seq FROM transitions WHERE exec_id = ? ORDER BY seq").all(execId) as { seq: number }[]).map((r) => r.seq);
        assert.deepEqual(
          seqs,
          Array.from({ length: won + 1 }, (_, k) => k),
          `${execId}: transitions without gaps`,
        );
        assert.ok(won >= ROUNDS, `${execId}: at least one append per round won (${won})`);
        const state = (await store.getExecution(execId))!.state;
        assert.equal(state.seq, won);

        // Exactly one resolver won each wait, and the stored value names it.
        const winners = reports.filter((r) => r.resolved.includes(execId));
        assert.equal(winners.length, 1, `${execId}: one resolver won`);
        const [go] = await store.listWaits(execId);
        const value = go?.resolution?.kind === "value" ? go.resolution.value : undefined;
        assert.deepEqual(value?.kind === "inline" && JSON.parse(value.json), winners[0]!.worker);

        // The first call record won, and every worker adopted the same one.
        const adopted = new Set(reports.map((r) => r.calls[execId]));
        assert.equal(adopted.size, 1, `${execId}: all workers saw one recorded call (${[...adopted].join(", ")})`);
        assert.deepEqual(
          (await store.listCalls(execId)).map((c) => c.callId),
          [...adopted],
        );
      }
    } finally {
      raw.close();
      await store.close();
    }
  });
});
