/**
 * Sources for the replay benches: a completed `bench_chain` execution of any
 * size written through the store API, without running it.
 *
 * @module
 */
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import type { CallRecord } from "../../services/runner/src/store/records.ts";
import { invocationIdOf } from "../flows.ts";

/** A source execution to replay. */
export interface Source {
  readonly execId: string;
  readonly calls: number;
  /** Its result as recorded (the replays must return the same). */
  readonly result: string;
}

/**
 * Writes a completed `bench_chain` execution of `calls` calls through the
 * store API, in batches of 5,000 calls, each call a copy of one of
 * `templates` (real records of a run) with its own IDs, sequence, dependency
 * and output: what running it would have recorded, without running it.
 */
export async function writeSource(store: ExecutionStore, templates: readonly CallRecord[], calls: number): Promise<Source> {
  const execId = `bench-large-${calls}-${Date.now()}`;
  const at = new Date();
  await store.insertExecution({
    execId,
    namespace: DEFAULT_NAMESPACE,
    flowName: "bench_chain",
    input: { kind: "inline", json: JSON.stringify({ calls }) },
    createdAt: at,
  });
  const created = (await store.getExecution(execId))!.state;
  const claim = { epoch: 1, runnerId: "bench-writer", at, expiresAt: new Date(at.getTime() + 15_000) };
  const claimed = (await store.appendTransition(execId, created, { kind: "claimed", status: "running", generation: 0, at, claim }))!;
  for (let start = 0; start < calls; start += 5_000) {
    const batch: CallRecord[] = [];
    for (let k = start; k < Math.min(calls, start + 5_000); k++) {
      const template = templates[k % templates.length]!;
      batch.push({
        ...template,
        execId,
        invocationId: invocationIdOf(k + 1),
        callId: `${execId}-call-${k + 1}`,
        sequence: k + 1,
        dataDependencies: k === 0 ? [] : [invocationIdOf(k)],
        output: { kind: "inline", json: JSON.stringify({ i: k + 1, label: `step ${k + 1}` }) },
      });
    }
    await store.recordCalls(batch);
  }
  const result = { kind: "inline" as const, json: JSON.stringify({ i: calls, label: `step ${calls}` }) };
  await store.appendTransition(execId, claimed, { kind: "completed", status: "completed", generation: 0, at: new Date(), endedAt: new Date(), result });
  return { execId, calls, result: JSON.stringify(result) };
}
