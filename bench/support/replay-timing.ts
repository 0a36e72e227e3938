/** Timing one replay through the planner, phase by phase, from the runner's events (replay benches). */
import type { ExecutionState } from "../../services/runner/src/store/records.ts";
import { now, type BenchEnv } from "./common.ts";

/** One replay, timed from `ReplayExecution` sent to the replay's terminal state. */
export interface ReplayTiming {
  readonly replayExecId: string;
  /** The replay's terminal state (the caller compares its result with the source's). */
  readonly state: ExecutionState;
  /** Recorded calls of the replay: reused ones, and executed (completed) ones. */
  readonly reused: number;
  readonly executed: number;
  /** ReplayExecution sent → the runner published the new execution's `created` state (planner reads the call graph and plans; the runner re-checks the plan against the source and inserts). */
  readonly createMs: number;
  /** ReplayExecution sent → its response arrived (the runner answers with a view of the new execution; overlaps the claim). */
  readonly rpcMs: number;
  /** created → claimed event (scheduler: read the execution, append the claim transition, which is announced at once). */
  readonly claimMs: number;
  /** claimed → terminal state: the journal, waits and the source's calls read, the body re-run, reuse, executed calls, writes. */
  readonly runMs: number;
  /** claimed → first call_reused (or claimed, when nothing is reused): mostly reading the source's calls for the replay guard. */
  readonly loadMs: number;
  /** first → last call_reused (in memory: the records are buffered). */
  readonly reuseMs: number;
  /** ReplayExecution sent → replay terminal state. */
  readonly totalMs: number;
  readonly t0: number;
  readonly createdAt: number;
  readonly claimedAt: number;
  readonly doneAt: number;
}

/**
 * Replays `sourceExecId` from `from` through `env`'s planner (`ReplayExecution`),
 * waits for the replay's terminal state on the runner's event bus and splits
 * its wall time by the runner's events. Throws unless it completed.
 */
export async function timeReplay(env: BenchEnv, sourceExecId: string, from: string): Promise<ReplayTiming> {
  const t0 = now();
  const response = await env.plannerClient!.replayExecution({ execId: sourceExecId, from });
  const rpcAt = now();
  const replayExecId = response.execution?.execId;
  if (!replayExecId) throw new Error("ReplayExecution returned no execution");
  const done = await env.finished(replayExecId);
  if (done.event.kind !== "status_changed" || done.event.state.status !== "completed") {
    throw new Error(`replay ended ${done.event.kind === "status_changed" ? JSON.stringify(done.event.state.failure ?? done.event.state.status) : "?"}`);
  }
  const recorded = await env.store.listCalls(replayExecId);
  const events = env.events.get(replayExecId) ?? [];
  const created = events.find((e) => e.event.kind === "status_changed" && e.event.state.kind === "created");
  const claimed = events.find((e) => e.event.kind === "status_changed" && e.event.state.kind === "claimed");
  const reuses = env.reuses.get(replayExecId);
  if (!created || !claimed) throw new Error("missing replay events");
  const firstReuse = reuses?.first ?? claimed.t;
  const reused = recorded.filter((c) => c.status === "reused").length;
  if ((reuses?.count ?? 0) !== reused) throw new Error(`${reused} reused calls recorded, ${reuses?.count ?? 0} announced`);
  env.forget(replayExecId);
  return {
    replayExecId,
    state: done.event.state,
    reused,
    executed: recorded.filter((c) => c.status === "completed").length,
    createMs: created.t - t0,
    rpcMs: rpcAt - t0,
    claimMs: claimed.t - created.t,
    runMs: done.t - claimed.t,
    loadMs: firstReuse - claimed.t,
    reuseMs: (reuses?.last ?? firstReuse) - firstReuse,
    totalMs: done.t - t0,
    t0,
    createdAt: created.t,
    claimedAt: claimed.t,
    doneAt: done.t,
  };
}
