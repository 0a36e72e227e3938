/**
 * A worker process of test/store/sqlite-multiprocess.test.ts: opens the
 * shared SQLite file and, from `startAt` on, races the other workers on
 * inserts, transitions, call records and wait resolutions. Prints one JSON
 * line with what it won; any error that escapes the store fails the process.
 *
 *   node --conditions=kitaru-source --import tsx test/store/sqlite-hammer.ts <file> <worker> <startAt ms> <rounds> <shared> <busyTimeoutMs>
 *
 * `shared` executions (`shared-<i>`) are transitioned by every worker, and
 * each has a wait `go` and a call `step` that every worker tries to resolve
 * and record. The test imports only the report type from here.
 *
 * @module
 */
import { SqliteExecutionStore } from "../../services/runner/src/store/sqlite-execution-store.ts";

/** What one worker reports. */
export interface HammerReport {
  readonly worker: string;
  readonly inserted: string[];
  /** Transitions this worker appended, per shared execution. */
  readonly transitions: Record<string, number>;
  /** Waits this worker resolved. */
  readonly resolved: string[];
  /** Per shared call, the call ID the store gave back as recorded (ours when we won). */
  readonly calls: Record<string, string>;
}

async function main(): Promise<void> {
  const [file, worker, startAtText, roundsText, sharedText, busyText] = process.argv.slice(2);
  if (!file || !worker || !startAtText || !roundsText || !sharedText || !busyText) {
    throw new Error("usage: sqlite-hammer.ts <file> <worker> <startAt> <rounds> <shared> <busyTimeoutMs>");
  }
  const rounds = Number(roundsText);
  const sharedCount = Number(sharedText);
  const store = await SqliteExecutionStore.open({ path: file, busyTimeoutMs: Number(busyText) });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAtText) - Date.now())));

  const report: HammerReport = { worker, inserted: [], transitions: {}, resolved: [], calls: {} };
  const shared = Array.from({ length: sharedCount }, (_, i) => `shared-${i}`);
  for (const execId of shared) {
    await store.insertExecution({ execId, flowName: "hammer", input: { kind: "inline", json: "{}" }, createdAt: new Date(0) });
    await store.recordWait({ execId, name: "go", baseName: "go", waitId: `wait-${execId}`, question: "", schema: "", metadata: "", createdAt: new Date(0) });
  }
  for (let round = 0; round < rounds; round++) {
    const execId = `${worker}-e${round}`;
    const ops: Promise<unknown>[] = [
      store.insertExecution({ execId, flowName: "hammer", input: { kind: "inline", json: `${round}` }, createdAt: new Date() }).then((won) => {
        if (!won) throw new Error(`insert of the new execution ${execId} lost`);
        report.inserted.push(execId);
      }),
    ];
    for (const target of shared) {
      ops.push(
        (async () => {
          const current = (await store.getExecution(target))!.state;
          const next = await store.appendTransition(target, current, { kind: "resumed", status: "running", generation: 0, at: new Date(), metadata: worker });
          if (next) report.transitions[target] = (report.transitions[target] ?? 0) + 1;
        })(),
      );
    }
    if (round < sharedCount) {
      const target = shared[round]!;
      ops.push(
        store.resolveWait(target, "go", { kind: "value", value: { kind: "inline", json: JSON.stringify(worker) }, at: new Date() }).then((won) => {
          if (won) report.resolved.push(target);
        }),
        store
          .recordCall({
            execId: target,
            invocationId: "step",
            callId: `call-${worker}`,
            name: "step",
            status: "completed",
            attempts: 1,
            sequence: 0,
            dataDependencies: [],
            loadDependencies: [],
            outputNames: [],
            generation: 0,
            startedAt: new Date(),
            endedAt: new Date(),
          })
          .then((existing) => (report.calls[target] = existing?.callId ?? `call-${worker}`)),
      );
    }
    await Promise.all(ops);
  }
  await store.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
