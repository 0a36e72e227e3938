// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruInternalError } from "#contract/errors/index.ts";
import { buildLineageGraph, descendantsMask, directConsumers, planReplay, producersOf } from "../../../services/planner/src/core/index.ts";
import type { LineageGraph } from "../../../services/planner/src/core/lineage-graph.ts";
import type { ReplayPlan, SourceExecution } from "../../../services/planner/src/core/index.ts";
import { buildSource, call, randomSource, seededRandom } from "./source-builder.ts";

/** Reference edges, computed the slow, obvious way: producer index -> consumer indices. */
function naiveEdges(source: SourceExecution): Set<number>[] {
  const index = new Map<string, number>();
  const edges = source.calls.map(() => new Set<number>());
  const fullLoad = new Set<string>();
  source.calls.forEach((c, i) => {
    for (const id of c.loadDependencies) fullLoad.add(id);
    for (const id of [...c.dataDependencies, ...fullLoad]) {
      const p = index.get(id);
      if (p !== undefined && p < i) edges[p]?.add(i);
    }
    index.set(c.invocationId, i);
  });
  return edges;
}

function naiveDescendants(edges: Set<number>[], roots: number[]): Set<number> {
  const seen = new Set(roots);
  const todo = [...roots];
  while (todo.length > 0) {
    for (const c of edges[todo.pop() as number] ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        todo.push(c);
      }
    }
  }
  return seen;
}

const indexOf = (source: SourceExecution, invocationId: string): number => source.calls.findIndex((c) => c.invocationId === invocationId);

/** Per call: its data producers, the calls first loaded before it, and whether it has a consumer. */
function edgesOf(graph: LineageGraph) {
  return {
    data: graph.calls.map((_, i) => producersOf(graph.dataProducers, graph.dataStart, i)),
    load: graph.calls.map((_, i) => producersOf(graph.loadedBefore, graph.loadStart, i)),
    hasConsumer: [...graph.hasConsumer].map((flag) => flag === 1),
  };
}

describe("buildLineageGraph", () => {
  it("resolves dependencies to earlier calls and records each load once, at its first load point", () => {
    const graph = buildLineageGraph(buildSource([call("a"), call("b", { data: ["a", "a"], load: ["a"] }), call("c", { load: ["a", "b"] })]).calls);
    assert.deepEqual(edgesOf(graph), { data: [[], [0], []], load: [[], [0], [1]], hasConsumer: [true, true, false] });
  });

  it("ignores dependencies on unknown, own or later invocation IDs (no edge)", () => {
    const graph = buildLineageGraph(buildSource([call("a", { data: ["a", "b", "ghost"], load: ["b"] }), call("b", { load: ["ghost"] })]).calls);
    assert.deepEqual(edgesOf(graph), { data: [[], []], load: [[], []], hasConsumer: [false, false] });
  });

  it("resolves a repeated invocation ID to its latest earlier call, with or without the call just before, and deduplicates many producers", () => {
    // "a" twice (indices 0 and 2): a later dependency on "a" is on index 2, whether "a" is the call just before or not.
    const many = Array.from({ length: 40 }, (_, k) => ["a", "b", "x"][k % 3] as string);
    const graph = buildLineageGraph(
      buildSource([
        call("a"),
        call("b", { data: ["a"] }),
        call("a2", { id: "a" }),
        call("c", { data: ["a", "b"] }),
        call("d", { data: ["c", "a", "c"] }),
        call("e", { data: many }),
      ]).calls,
    );
    assert.deepEqual(edgesOf(graph).data, [[], [0], [], [2, 1], [3, 2], [2, 1]]);
    const same = buildSource([call("a"), call("b"), call("c")]);
    const renamed = { ...same, calls: same.calls.map((c, i) => ({ ...c, invocationId: i === 1 ? "x" : "a", dataDependencies: i === 0 ? [] : ["a"] })) };
    assert.deepEqual(edgesOf(buildLineageGraph(renamed.calls)).data, [[], [0], [0]]);
    const chain = { ...same, calls: same.calls.map((c) => ({ ...c, invocationId: "a", dataDependencies: ["a"] })) };
    assert.deepEqual(edgesOf(buildLineageGraph(chain.calls)).data, [[], [0], [1]]);
  });

  it("throws KitaruInternalError when calls are not in issue order", () => {
    const { calls } = buildSource([call("a"), call("b")]);
    const swapped = [calls[1], calls[0]].filter((c) => c !== undefined);
    assert.throws(() => buildLineageGraph(swapped), KitaruInternalError);
  });
});

describe("directConsumers", () => {
  it("lists data consumers before the first load point, then every call from it on", () => {
    const source = buildSource([call("a"), call("b", { data: ["a"] }), call("c"), call("d", { load: ["a"] }), call("e", { data: ["a"] }), call("f")]);
    const graph = buildLineageGraph(source.calls);
    assert.deepEqual(
      directConsumers(graph, [0, 2]),
      new Map([
        [0, [1, 3, 4, 5]],
        [2, []],
      ]),
    );
  });
});

describe("descendantsMask", () => {
  it("follows data edges and, after a re-executed call is loaded, taints every later call", () => {
    const source = buildSource([call("a"), call("b", { data: ["a"] }), call("c"), call("d", { load: ["b"] }), call("e")]);
    const graph = buildLineageGraph(source.calls);
    assert.deepEqual(descendantsMask(graph, [0]), [true, true, false, true, true]);
    assert.deepEqual(descendantsMask(graph, [2]), [false, false, true, false, false]);
  });
});

/** Picks a random valid request: from any call, overrides on single-output calls that have consumers. */
function randomPlan(source: SourceExecution, random: () => number): { plan: ReplayPlan; from: number; targets: number[] } {
  const edges = naiveEdges(source);
  const from = Math.floor(random() * source.calls.length);
  const eligible = source.calls.flatMap((c, i) => ((edges[i]?.size ?? 0) > 0 && c.outputNames.length === 0 ? [i] : []));
  const targets = eligible.filter(() => random() < 0.1);
  const overrides = Object.fromEntries(targets.map((t) => [`checkpoint.${source.calls[t]?.callId}`, t]));
  const plan = planReplay(source, { from: source.calls[from]?.callId ?? "", overrides });
  return { plan, from, targets };
}

describe("replay plans on random DAGs (seeded, reproducible)", () => {
  for (const seed of [1, 7, 42, 2024, 31337]) {
    it(`seed ${seed}: matches a naive reference, partitions the calls, and keeps the reused set closed upwards`, () => {
      const random = seededRandom(seed);
      let overridden = 0;
      for (let round = 0; round < 20; round++) {
        const source = randomSource(random, 5 + Math.floor(random() * 60));
        const edges = naiveEdges(source);
        const { plan, from, targets } = randomPlan(source, random);
        overridden += targets.length;

        const consumersOf = (t: number): number[] => [...(edges[t] ?? [])].sort((x, y) => x - y);
        const expectedRoots = [...new Set([from, ...targets.flatMap(consumersOf)])].sort((x, y) => x - y);
        const expectedX = naiveDescendants(edges, expectedRoots);
        const at = (ids: readonly { invocationId: string }[]): number[] => ids.map((c) => indexOf(source, c.invocationId));

        assert.deepEqual(at(plan.roots), expectedRoots, "roots");
        assert.deepEqual(
          at(plan.reexecute),
          [...expectedX].sort((x, y) => x - y),
          "reexecute",
        );
        assert.deepEqual(
          plan.overrides.map((o) => at(o.consumerInvocationIds.map((invocationId) => ({ invocationId })))),
          targets.map(consumersOf),
          "override consumers",
        );
        // Partition, in issue order.
        const all = [...at(plan.reexecute), ...at(plan.reuse)].sort((x, y) => x - y);
        assert.deepEqual(
          all,
          source.calls.map((_, i) => i),
        );
        for (const list of [plan.roots, plan.reexecute, plan.reuse]) {
          const seqs = list.map((c) => c.sequence);
          assert.deepEqual(
            seqs,
            [...seqs].sort((x, y) => x - y),
          );
        }
        // K closed upwards: no edge from a re-executed call into a reused one.
        const reused = new Set(at(plan.reuse));
        edges.forEach((consumers, producer) => {
          if (reused.has(producer)) return;
          for (const c of consumers) assert.ok(!reused.has(c), `reused call ${c} depends on re-executed ${producer}`);
        });
      }
      assert.ok(overridden > 0, "the generator should exercise overrides");
    });
  }
});

describe("linear planning on large executions", () => {
  const size = 100_000;

  it("plans a 100k-call handle chain from its middle", () => {
    const specs = Array.from({ length: size }, (_, i) => call(`step${i}`, { data: i === 0 ? [] : [`step${i - 1}`] }));
    const source = buildSource(specs);
    assert.equal(planReplay(source, { from: "step50000" }).reuse.length, 50_000);
    const plan = planReplay(source, { from: "step50000", overrides: { "checkpoint.step10": 0 } });
    assert.deepEqual(
      plan.roots.map((c) => c.invocationId),
      ["step11", "step50000"],
    );
    assert.equal(plan.reuse.length, 11);
    assert.equal(plan.reexecute.length, size - 11);
    assert.deepEqual(plan.overrides[0]?.consumerInvocationIds, ["step11"]);
  });

  it("plans a 100k-call awaited flow, where one early load reaches every later call", () => {
    const specs = Array.from({ length: size }, (_, i) => call(`step${i}`, { load: i === 0 ? [] : [`step${i - 1}`] }));
    const plan = planReplay(buildSource(specs), { from: "step99999", overrides: { "checkpoint.step0": 0 } });
    assert.equal(plan.reuse.length, 1);
    assert.equal(plan.roots.length, size - 1);
    assert.equal(plan.overrides[0]?.consumerInvocationIds.length, size - 1);
  });

  it("plans a 100k-way fan-in whose join depends on every call", () => {
    const specs = Array.from({ length: size }, (_, i) => call(`leaf${i}`));
    specs.push(call("join", { data: specs.map((s) => s.name), load: specs.map((s) => s.name) }));
    const plan = planReplay(buildSource(specs), { from: "leaf0" });
    assert.deepEqual(
      plan.reexecute.map((c) => c.invocationId),
      ["leaf0", "join"],
    );
  });
});
