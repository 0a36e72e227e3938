/**
 * Builds source executions for planner-core tests.
 *
 * Invocation IDs follow the runner's rule (`name`, `name_2`, ...) unless a
 * spec gives an explicit `id`; call IDs are `c<sequence>`.
 */
import type { ExecutionStatus, JsonObject, RecordedCall, SourceExecution } from "../../../services/planner/src/core/index.ts";

/** One call: its checkpoint name and the invocation IDs it depends on. */
export interface CallSpec {
  readonly name: string;
  readonly id?: string;
  readonly data?: readonly string[];
  readonly load?: readonly string[];
  readonly outputs?: readonly string[];
  readonly status?: RecordedCall["status"];
}

export interface SourceOptions {
  readonly execId?: string;
  readonly status?: ExecutionStatus;
  readonly input?: JsonObject;
}

/** Shorthand for a call spec: `call("draft", { data: ["research"] })`. */
export function call(name: string, rest: Omit<CallSpec, "name"> = {}): CallSpec {
  return { name, ...rest };
}

/** Builds a source execution from call specs, in issue order. */
export function buildSource(specs: readonly CallSpec[], options: SourceOptions = {}): SourceExecution {
  const counts = new Map<string, number>();
  const calls: RecordedCall[] = specs.map((spec, i) => {
    const n = (counts.get(spec.name) ?? 0) + 1;
    counts.set(spec.name, n);
    return {
      invocationId: spec.id ?? (n === 1 ? spec.name : `${spec.name}_${n}`),
      callId: `c${i + 1}`,
      name: spec.name,
      sequence: i + 1,
      dataDependencies: spec.data ?? [],
      loadDependencies: spec.load ?? [],
      outputNames: spec.outputs ?? [],
      status: spec.status ?? "completed",
    };
  });
  return {
    execId: options.execId ?? "kr-a8f3c2d4e5",
    flowName: "content_pipeline",
    status: options.status ?? "completed",
    input: options.input ?? { topic: "Old topic", audience: "engineers" },
    calls,
  };
}

/** The seed page's content pipeline: research -> write_draft -> publish, passing handles. */
export function contentPipeline(options: SourceOptions = {}): SourceExecution {
  return buildSource([call("research"), call("write_draft", { data: ["research"] }), call("publish", { data: ["write_draft"] })], options);
}

/** A deterministic PRNG (mulberry32), so random DAG tests are reproducible without Math.random. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random lineage DAG: each call takes data edges from a few random earlier
 * calls and, sometimes, loads a few earlier outputs before being issued.
 */
export function randomSource(random: () => number, size: number): SourceExecution {
  const specs: CallSpec[] = [];
  const pick = (below: number): string => `n${Math.floor(random() * below)}`;
  for (let i = 0; i < size; i++) {
    const data: string[] = [];
    const load: string[] = [];
    if (i > 0) {
      const dataCount = Math.floor(random() * 3);
      for (let k = 0; k < dataCount; k++) data.push(pick(i));
      if (random() < 0.15) load.push(pick(i));
    }
    specs.push({ name: `n${i}`, data, load, outputs: random() < 0.1 ? ["left", "right"] : [] });
  }
  return buildSource(specs);
}
