/** Timing one execution of a bench chain flow from the runner's events, shared by the checkpoint-cost benches. */
import { DEFAULT_NAMESPACE } from "#contract/namespaces.ts";
import { mean, median, ms, now, quantile, type BenchEnv } from "./common.ts";

/** One timed execution of a bench chain flow (see {@link runFlow}). */
export interface FlowRun {
  readonly execId: string;
  /** first call_started → last call_completed, divided by N. */
  readonly perCallMs: number;
  readonly spanMs: number;
  /** call_completed(k-1) → call_completed(k): the cadence of the chain. */
  readonly intervals: number[];
  /** call_started(k) → call_completed(k): the function plus the insert of its record. */
  readonly inCall: number[];
  /** call_completed(k-1) → call_started(k): handing the value to the next call. */
  readonly gaps: number[];
  /** start request → first call_started (claim, journal load: excluded from per-call). */
  readonly schedulingMs: number;
  /** last call_completed → terminal state (result write: excluded from per-call). */
  readonly terminalMs: number;
  /** Node process CPU (user+system) over the whole execution, per call. */
  readonly cpuPerCallMs: number;
  readonly firstStarted: number;
  readonly lastCompleted: number;
  readonly startedAt: number;
  readonly doneAt: number;
}

/**
 * Runs `flowName` (a chain of `calls` executed checkpoints, bench/flows.ts) to
 * completion on `env`'s runner and times it from the runner's events. Throws
 * unless it completed with exactly `calls` executed calls.
 */
export async function runFlow(env: BenchEnv, flowName: string, calls: number): Promise<FlowRun> {
  const cpu0 = process.cpuUsage();
  const startedAt = now();
  const { execution } = await env.runner.engine.startExecution({ namespace: DEFAULT_NAMESPACE, flowName, input: { calls } });
  const done = await env.finished(execution.execId);
  const cpu = process.cpuUsage(cpu0);
  if (done.event.kind !== "status_changed" || done.event.state.status !== "completed") {
    throw new Error(`execution ${execution.execId} ended ${done.event.kind === "status_changed" ? done.event.state.status : "?"}`);
  }
  const events = env.events.get(execution.execId) ?? [];
  const started = new Map<string, number>();
  const completed: { id: string; t: number }[] = [];
  for (const { t, event } of events) {
    if (event.kind === "call_started") started.set(event.call.invocationId, t);
    if (event.kind === "call_completed") completed.push({ id: event.call.invocationId, t });
  }
  if (completed.length !== calls || started.size !== calls) {
    throw new Error(`expected ${calls} executed calls, saw ${started.size} started / ${completed.length} completed`);
  }
  const firstStarted = Math.min(...started.values());
  const lastCompleted = completed[completed.length - 1]!.t;
  const intervals: number[] = [];
  const gaps: number[] = [];
  const inCall = completed.map((c) => c.t - started.get(c.id)!);
  for (let k = 1; k < completed.length; k++) {
    intervals.push(completed[k]!.t - completed[k - 1]!.t);
    gaps.push(started.get(completed[k]!.id)! - completed[k - 1]!.t);
  }
  const spanMs = lastCompleted - firstStarted;
  return {
    execId: execution.execId,
    perCallMs: spanMs / calls,
    spanMs,
    intervals,
    inCall,
    gaps,
    schedulingMs: firstStarted - startedAt,
    terminalMs: done.t - lastCompleted,
    cpuPerCallMs: (cpu.user + cpu.system) / 1000 / calls,
    firstStarted,
    lastCompleted,
    startedAt,
    doneAt: done.t,
  };
}

/** The report lines of several {@link FlowRun}s: per-call cost and where the time goes. */
export function describeFlowRuns(flowRuns: readonly FlowRun[]): string[] {
  const all = (pick: (f: FlowRun) => number[]) => flowRuns.flatMap(pick);
  return [
    `per executed call (span/N), median of runs: ${ms(median(flowRuns.map((f) => f.perCallMs)))}; runs: ${flowRuns.map((f) => f.perCallMs.toFixed(3)).join(", ")}`,
    `  completion-to-completion interval, all calls: p50 ${ms(
      quantile(
        all((f) => f.intervals),
        0.5,
      ),
    )}, p95 ${ms(
      quantile(
        all((f) => f.intervals),
        0.95,
      ),
    )}, mean ${ms(mean(all((f) => f.intervals)))}`,
    `  inside a call (started→completed: fn + record insert): p50 ${ms(
      quantile(
        all((f) => f.inCall),
        0.5,
      ),
    )}, p95 ${ms(
      quantile(
        all((f) => f.inCall),
        0.95,
      ),
    )}`,
    `  between calls (completed→next started): p50 ${ms(
      quantile(
        all((f) => f.gaps),
        0.5,
      ),
    )}, p95 ${ms(
      quantile(
        all((f) => f.gaps),
        0.95,
      ),
    )}`,
    `  excluded: scheduling (start→first call) median ${ms(median(flowRuns.map((f) => f.schedulingMs)), 1)}, terminal write median ${ms(median(flowRuns.map((f) => f.terminalMs)), 1)}`,
    `  node CPU per call (whole execution / N), median ${ms(median(flowRuns.map((f) => f.cpuPerCallMs)))}`,
  ];
}
