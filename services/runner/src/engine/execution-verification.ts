/**
 * Checks a recorded execution against flow code without running a
 * checkpoint or writing anything (`executions verify`, docs/upgrades.md):
 * the flow body runs from the top with the recorded input; every recorded
 * call is answered from the record and every wait from its recorded answer,
 * under the same guard a resume by code of another flow version runs under
 * (resume-guard.ts). The check stops where the code would do something the
 * record cannot answer: run a checkpoint, wait for input, end, or diverge.
 *
 * @module
 */
import type { DivergenceDetail } from "#contract/failure.ts";
import type { ExecutionHistory, ExecutionVerification, VerificationVerdict } from "#contract/execution-verification.ts";
import type { JsonObject, JsonValue } from "#contract/json-value.ts";
import type { CheckpointDefinition } from "../authoring/checkpoint.ts";
import { type CallOptions, type FlowRuntime, type LogLevel, runInFlow, type WaitRequest } from "../authoring/flow-runtime.ts";
import { argumentDependencies, OutputHandle } from "../authoring/output-handle.ts";
import type { ReusableCall } from "../store/execution-store.ts";
import { parseWaitValue } from "./durable-values.ts";
import type { FlowRegistry, RegisteredFlow } from "./flow-registry.ts";
import { InvocationIds } from "./invocation-ids.ts";
import { ResumeGuard } from "./resume-guard.ts";

/** How long a body may take to reach a checkpoint, a wait or its end before the check gives up. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** Where a check stopped. */
interface Stop {
  readonly verdict: VerificationVerdict;
  readonly outcome: string;
  readonly divergence?: DivergenceDetail | undefined;
}

/** Checks `history` against the flows of `flows` (the code of version `flows.version`). */
export async function verifyExecution(flows: FlowRegistry, history: ExecutionHistory, options: { timeoutMs?: number } = {}): Promise<ExecutionVerification> {
  const base = {
    execId: history.execId,
    flowName: history.flowName,
    status: history.status,
    ...(history.flowVersion === undefined ? {} : { recordedFlowVersion: history.flowVersion }),
    recordedCalls: history.calls.length,
  };
  if (!flows.has(history.flowName)) {
    return {
      ...base,
      verdict: "skipped",
      outcome: `flow '${history.flowName}' is not in this code (it serves: ${flows.names.join(", ") || "none"})`,
      matchedCalls: 0,
    };
  }
  const check = new VerificationRun(flows.get(history.flowName), history, flows.version);
  const stop = await check.run(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return { ...base, ...stop, matchedCalls: check.matchedCalls };
}

/** One check: a flow body answered from a record. */
class VerificationRun implements FlowRuntime {
  readonly #flow: RegisteredFlow;
  readonly #history: ExecutionHistory;
  readonly #guard: ResumeGuard;
  readonly #recorded = new Map<string, ReusableCall>();
  readonly #waits: ReadonlyMap<string, ExecutionHistory["waits"][number]>;
  readonly #checkpointIds = new InvocationIds("checkpoint");
  readonly #waitIds = new InvocationIds("wait");
  #sequence = 0;
  #matched = 0;
  #stopWith!: (stop: Stop) => void;
  readonly #stopped: Promise<Stop>;
  #done = false;

  constructor(flow: RegisteredFlow, history: ExecutionHistory, flowVersion: string) {
    this.#flow = flow;
    this.#history = history;
    const journal: ReusableCall[] = history.calls.map((call) => ({
      invocationId: call.invocationId,
      callId: call.callId,
      name: call.name,
      status: call.status,
      sequence: call.sequence,
      generation: 0,
      dataDependencies: call.dataDependencies,
      loadDependencies: call.loadDependencies,
      outputNames: call.outputNames,
      ...(call.seen === undefined ? {} : { output: { kind: "inline" as const, json: JSON.stringify(call.seen) } }),
    }));
    for (const call of journal) if (call.output !== undefined) this.#recorded.set(call.invocationId, call);
    this.#guard = new ResumeGuard({
      execId: history.execId,
      journal,
      waits: history.waits,
      // Versions are named in a divergence even when equal: the check is about this code.
      versions: { recorded: history.flowVersion, current: flowVersion === history.flowVersion ? undefined : flowVersion },
    });
    this.#waits = new Map(history.waits.map((wait) => [wait.name, wait]));
    this.#stopped = new Promise((resolve) => {
      this.#stopWith = resolve;
    });
  }

  /** Recorded calls the body issued the recorded way. */
  get matchedCalls(): number {
    return this.#matched;
  }

  async run(timeoutMs: number): Promise<Stop> {
    let input: unknown;
    try {
      input = this.#flow.inputSchema.parse(this.#history.input);
    } catch (error) {
      return { verdict: "failed", outcome: `the recorded input no longer matches the flow's input schema: ${messageOf(error)}` };
    }
    runInFlow(this, () => this.#flow.body(input)).then(
      () => this.#stop({ verdict: "compatible", outcome: "would complete" }),
      (error: unknown) => this.#stop({ verdict: "failed", outcome: `would fail: ${nameOf(error)}: ${messageOf(error)}` }),
    );
    const timer = setTimeout(
      () =>
        this.#stop({
          verdict: "failed",
          outcome: `the body reached no checkpoint, wait or end within ${timeoutMs} ms (does it await something other than checkpoints and waits?)`,
        }),
      timeoutMs,
    );
    try {
      return await this.#stopped;
    } finally {
      clearTimeout(timer);
    }
  }

  // ------------------------------------------------------------ FlowRuntime

  issueCheckpoint(definition: CheckpointDefinition, args: readonly unknown[], options: CallOptions): OutputHandle<unknown> {
    const never = () =>
      new OutputHandle({ runtime: this, invocationId: definition.name, value: new Promise(() => undefined), outputNames: definition.outputs });
    if (this.#done) return never();
    const invocationId = this.#checkpointIds.next(definition.name, options.id);
    const sequence = ++this.#sequence;
    const divergence = this.#guard.checkCall({ invocationId, name: definition.name, sequence, dataDependencies: argumentDependencies(args) });
    if (divergence !== undefined) {
      this.#stop({ verdict: "diverged", outcome: `diverges at '${divergence.invocationId}'`, divergence });
      return never();
    }
    const recorded = this.#recorded.get(invocationId);
    if (recorded === undefined) {
      const again = this.#history.calls.some((call) => call.invocationId === invocationId);
      const what = again
        ? `run checkpoint '${definition.name}' ('${invocationId}') again (it did not complete in the record)`
        : `run checkpoint '${definition.name}' ('${invocationId}') next`;
      this.#stop({ verdict: "compatible", outcome: `would ${what}` });
      return never();
    }
    this.#matched += 1;
    const json = recorded.output?.kind === "inline" ? recorded.output.json : "null";
    return new OutputHandle({ runtime: this, invocationId, value: () => Promise.resolve(JSON.parse(json) as JsonValue), outputNames: definition.outputs });
  }

  noteLoad(invocationId: string): void {
    this.#guard.noteLoad(invocationId);
  }

  wait(request: WaitRequest): Promise<JsonValue> {
    const never = new Promise<JsonValue>(() => undefined);
    if (this.#done) return never;
    const name = this.#waitIds.next(request.name);
    const divergence = this.#guard.checkWait(name, this.#sequence);
    if (divergence !== undefined) {
      this.#stop({ verdict: "diverged", outcome: `diverges at wait '${name}'`, divergence });
      return never;
    }
    const resolution = this.#waits.get(name)?.resolution;
    if (resolution === undefined) {
      this.#stop({ verdict: "compatible", outcome: `would wait at '${name}'` });
      return never;
    }
    if (resolution.kind === "abort") {
      this.#stop({ verdict: "compatible", outcome: `would end cancelled (wait '${name}' was aborted)` });
      return never;
    }
    try {
      return Promise.resolve(parseWaitValue(resolution.value, request.schema, name));
    } catch (error) {
      this.#stop({ verdict: "failed", outcome: `would fail: ${messageOf(error)}` });
      return never;
    }
  }

  log(_metadata: JsonObject, _invocationId?: string): void {}

  writeFlowLog(_level: LogLevel, _message: string): void {}

  #stop(stop: Stop): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopWith(stop);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name || "Error" : typeof error;
}
