// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruStateError, KitaruUsageError } from "#contract/errors/index.ts";
import { planReplay } from "../../../services/planner/src/core/index.ts";
import type { ReplayPlan, ReplayRequest, SourceExecution } from "../../../services/planner/src/core/index.ts";
import { buildSource, call, contentPipeline } from "./source-builder.ts";

const ids = (calls: ReplayPlan["roots"]): string[] => calls.map((c) => c.invocationId);

/** research -> write_draft -> publish, plus calls that load (await) instead of passing handles. */
const awaitedFlow = buildSource([
  call("research"),
  call("outline", { load: ["research"] }),
  call("sidebar", { load: ["outline"] }),
  call("draft", { load: ["sidebar"] }),
]);
/** The same flow passing handles: outline and draft really consume, sidebar is independent. */
const handleFlow = buildSource([call("research"), call("outline", { data: ["research"] }), call("sidebar"), call("draft", { data: ["outline", "sidebar"] })]);
const fanOut = buildSource([
  call("fetch"),
  call("other"),
  call("summarize", { data: ["fetch"] }),
  call("classify", { data: ["fetch"] }),
  call("translate", { data: ["fetch"] }),
  call("report", { data: ["summarize"] }),
]);
const diamond = buildSource([call("a"), call("b", { data: ["a"] }), call("c", { data: ["a"] }), call("d", { data: ["b", "c"] }), call("e")]);
const chain = buildSource([call("a"), call("b", { data: ["a"] }), call("c", { data: ["b"] }), call("d", { data: ["c"] })]);
/** `search` called three times (search, search_2, search_3), results combined. */
const repeated = buildSource([call("search"), call("search"), call("search"), call("combine", { data: ["search", "search_2", "search_3"] })]);

/** One checkpoint called twice under explicit invocation IDs: its name is no invocation ID. */
const explicitPair = buildSource([call("write", { id: "write-a" }), call("write", { id: "write-b" }), call("merge", { data: ["write-a", "write-b"] })]);

interface PlanCase {
  readonly name: string;
  readonly source: SourceExecution;
  readonly request: ReplayRequest;
  readonly roots: string[];
  readonly reexecute: string[];
  readonly reuse: string[];
  /** Override key -> consumer invocation IDs. */
  readonly consumers?: Record<string, string[]>;
}

const planCases: PlanCase[] = [
  {
    name: "seed example: from write_draft, research overridden",
    source: contentPipeline(),
    request: { from: "write_draft", args: { topic: "New topic" }, overrides: { "checkpoint.research": "Edited notes" } },
    roots: ["write_draft"],
    reexecute: ["write_draft", "publish"],
    reuse: ["research"],
    consumers: { "checkpoint.research": ["write_draft"] },
  },
  {
    name: "plain from without overrides re-executes from and its descendants",
    source: contentPipeline(),
    request: { from: "publish" },
    roots: ["publish"],
    reexecute: ["publish"],
    reuse: ["research", "write_draft"],
  },
  {
    name: "fan-out: an override re-executes every consumer branch",
    source: fanOut,
    request: { from: "report", overrides: { "checkpoint.fetch": { rows: [] } } },
    roots: ["summarize", "classify", "translate", "report"],
    reexecute: ["summarize", "classify", "translate", "report"],
    reuse: ["fetch", "other"],
    consumers: { "checkpoint.fetch": ["summarize", "classify", "translate"] },
  },
  {
    name: "diamond from one arm re-executes that arm and the join only",
    source: diamond,
    request: { from: "b" },
    roots: ["b"],
    reexecute: ["b", "d"],
    reuse: ["a", "c", "e"],
  },
  {
    name: "diamond from the top re-executes both arms and the join",
    source: diamond,
    request: { from: "a" },
    roots: ["a"],
    reexecute: ["a", "b", "c", "d"],
    reuse: ["e"],
  },
  {
    name: "diamond with the top overridden re-executes both arms but not the top",
    source: diamond,
    request: { from: "d", overrides: { "checkpoint.a": 1 } },
    roots: ["b", "c", "d"],
    reexecute: ["b", "c", "d"],
    reuse: ["a", "e"],
    consumers: { "checkpoint.a": ["b", "c"] },
  },
  {
    name: "an override upstream of from adds a root before from",
    source: chain,
    request: { from: "c", overrides: { "checkpoint.a": "edited" } },
    roots: ["b", "c"],
    reexecute: ["b", "c", "d"],
    reuse: ["a"],
    consumers: { "checkpoint.a": ["b"] },
  },
  {
    name: "an override whose selector equals from: from re-executes, its consumers are roots too",
    source: contentPipeline(),
    request: { from: "research", overrides: { "checkpoint.research": "Edited notes" } },
    roots: ["research", "write_draft"],
    reexecute: ["research", "write_draft", "publish"],
    reuse: [],
    consumers: { "checkpoint.research": ["write_draft"] },
  },
  {
    name: "an override downstream of from is re-executed, and still listed with its consumers",
    source: chain,
    request: { from: "a", overrides: { "checkpoint.c": "edited" } },
    roots: ["a", "d"],
    reexecute: ["a", "b", "c", "d"],
    reuse: [],
    consumers: { "checkpoint.c": ["d"] },
  },
  {
    name: "repeated checkpoint selected by invocation ID",
    source: repeated,
    request: { from: "search_2" },
    roots: ["search_2"],
    reexecute: ["search_2", "combine"],
    reuse: ["search", "search_3"],
  },
  {
    name: "a repeated checkpoint's name selects its first call (its invocation ID)",
    source: repeated,
    request: { from: "search" },
    roots: ["search"],
    reexecute: ["search", "combine"],
    reuse: ["search_2", "search_3"],
  },
  {
    name: "a repeated checkpoint's name as override key overrides its first call",
    source: repeated,
    request: { from: "combine", overrides: { "checkpoint.search": "edited" } },
    roots: ["combine"],
    reexecute: ["combine"],
    reuse: ["search", "search_2", "search_3"],
    consumers: { "checkpoint.search": ["combine"] },
  },
  {
    name: "a call ID wins over an invocation ID and a name that look the same",
    source: buildSource([call("c2"), call("other"), call("last", { data: ["c2", "other"] })]),
    request: { from: "c2" },
    roots: ["other"],
    reexecute: ["other", "last"],
    reuse: ["c2"],
  },
  {
    name: "repeated checkpoint selected by call ID",
    source: repeated,
    request: { from: "c3" },
    roots: ["search_3"],
    reexecute: ["search_3", "combine"],
    reuse: ["search", "search_2"],
  },
  {
    name: "repeated checkpoint overridden by invocation ID",
    source: repeated,
    request: { from: "combine", overrides: { "checkpoint.search_2": ["edited"] } },
    roots: ["combine"],
    reexecute: ["combine"],
    reuse: ["search", "search_2", "search_3"],
    consumers: { "checkpoint.search_2": ["combine"] },
  },
  {
    name: "a call that failed in the source is re-executed with its descendants, though not downstream of the roots",
    source: buildSource([call("a"), call("b", { status: "failed" }), call("c", { data: ["b"] }), call("d", { data: ["a"] })]),
    request: { from: "d" },
    roots: ["d"],
    reexecute: ["b", "c", "d"],
    reuse: ["a"],
  },
  {
    name: "a call cancelled in the source is re-executed too",
    source: buildSource([call("a"), call("b", { status: "cancelled" }), call("c", { data: ["a"] })]),
    request: { from: "c" },
    roots: ["c"],
    reexecute: ["b", "c"],
    reuse: ["a"],
  },
  {
    name: "explicit invocation IDs are selectors",
    source: buildSource([call("fetch", { id: "primary" }), call("fetch", { id: "backup" }), call("merge", { data: ["primary", "backup"] })]),
    request: { from: "backup" },
    roots: ["backup"],
    reexecute: ["backup", "merge"],
    reuse: ["primary"],
  },
  {
    name: "awaited flow: everything issued after from's output was loaded re-executes",
    source: awaitedFlow,
    request: { from: "outline" },
    roots: ["outline"],
    reexecute: ["outline", "sidebar", "draft"],
    reuse: ["research"],
  },
  {
    name: "same flow passing handles: the independent branch is reused",
    source: handleFlow,
    request: { from: "outline" },
    roots: ["outline"],
    reexecute: ["outline", "draft"],
    reuse: ["research", "sidebar"],
  },
  {
    name: "awaited flow: an overridden output reaches every call from its first load point on",
    source: awaitedFlow,
    request: { from: "draft", overrides: { "checkpoint.research": "notes" } },
    roots: ["outline", "sidebar", "draft"],
    reexecute: ["outline", "sidebar", "draft"],
    reuse: ["research"],
    consumers: { "checkpoint.research": ["outline", "sidebar", "draft"] },
  },
  {
    name: "an output loaded late only taints calls after its load point",
    source: buildSource([call("a"), call("b"), call("c", { load: ["a"] }), call("d", { load: ["b"] }), call("e")]),
    request: { from: "b" },
    roots: ["b"],
    reexecute: ["b", "d", "e"],
    reuse: ["a", "c"],
  },
  {
    name: "several overrides: roots are deduplicated and in issue order",
    source: diamond,
    request: { from: "e", overrides: { "checkpoint.c": 3, "checkpoint.b": 2 } },
    roots: ["d", "e"],
    reexecute: ["d", "e"],
    reuse: ["a", "b", "c"],
    consumers: { "checkpoint.c": ["d"], "checkpoint.b": ["d"] },
  },
];

describe("planReplay plans", () => {
  for (const c of planCases) {
    it(c.name, () => {
      const plan = planReplay(c.source, c.request);
      assert.deepEqual(ids(plan.roots), c.roots, "roots");
      assert.deepEqual(ids(plan.reexecute), c.reexecute, "reexecute");
      assert.deepEqual(ids(plan.reuse), c.reuse, "reuse");
      assert.deepEqual(Object.fromEntries(plan.overrides.map((o) => [o.key, [...o.consumerInvocationIds]])), c.consumers ?? {}, "override consumers");
    });
  }

  it("returns the whole seed plan as plain data, with the override selector trimmed", () => {
    const plan = planReplay(contentPipeline(), {
      from: "write_draft",
      args: { topic: "New topic" },
      overrides: { "checkpoint. research ": "Edited notes" },
    });
    const research = { invocationId: "research", callId: "c1", name: "research", sequence: 1 };
    const writeDraft = { invocationId: "write_draft", callId: "c2", name: "write_draft", sequence: 2 };
    const publish = { invocationId: "publish", callId: "c3", name: "publish", sequence: 3 };
    assert.deepEqual(plan, {
      sourceExecId: "kr-a8f3c2d4e5",
      flowName: "content_pipeline",
      from: "write_draft",
      fromCall: writeDraft,
      roots: [writeDraft],
      reexecute: [writeDraft, publish],
      reuse: [research],
      overrides: [
        {
          key: "checkpoint. research ",
          selector: "research",
          target: research,
          value: "Edited notes",
          consumerInvocationIds: ["write_draft"],
        },
      ],
      input: { topic: "New topic", audience: "engineers" },
      answerWaitsFromSource: [],
    });
  });

  it("keeps the source input when no args are given, without sharing the object", () => {
    const source = contentPipeline();
    const plan = planReplay(source, { from: "publish" });
    assert.deepEqual(plan.input, source.input);
    assert.notEqual(plan.input, source.input);
  });

  it("accepts waiting, failed and cancelled sources", () => {
    for (const status of ["waiting", "failed", "cancelled"] as const) {
      assert.equal(planReplay(contentPipeline({ status }), { from: "publish" }).fromCall.name, "publish");
    }
  });
});

interface ErrorCase {
  readonly name: string;
  readonly source?: SourceExecution;
  readonly request: ReplayRequest;
  readonly type: typeof KitaruStateError | typeof KitaruUsageError;
  readonly message: string | RegExp;
  readonly metadata?: Record<string, string>;
  readonly check?: (error: KitaruStateError & KitaruUsageError) => void;
}

const running = contentPipeline({ status: "running" });
const empty = buildSource([]);
const multiOutput = buildSource([call("split", { outputs: ["left", "right"] }), call("use", { data: ["split"] })]);

const errorCases: ErrorCase[] = [
  {
    name: "2. a running source is refused",
    source: running,
    request: { from: "write_draft" },
    type: KitaruStateError,
    message: "Replay requires a non-running source execution. Execution 'kr-a8f3c2d4e5' is currently 'running'.",
    metadata: { execId: "kr-a8f3c2d4e5", status: "running", operation: "replay" },
    check: (e) => assert.deepEqual(e.state, { execId: "kr-a8f3c2d4e5", status: "running", operation: "replay" }),
  },
  {
    name: "2 wins over 3-8: running, empty history, blank from, bad key, bad args",
    source: buildSource([], { status: "running" }),
    request: { from: " ", overrides: { "wait.x": 1 }, args: [] },
    type: KitaruStateError,
    message: /non-running source execution/,
  },
  {
    name: "3. a source without checkpoint calls is refused",
    source: empty,
    request: { from: "write_draft" },
    type: KitaruStateError,
    message: "Execution 'kr-a8f3c2d4e5' has no checkpoint history to replay.",
    metadata: { execId: "kr-a8f3c2d4e5", status: "completed", operation: "replay" },
  },
  {
    name: "3 wins over 4: no history and a blank from",
    source: empty,
    request: { from: "" },
    type: KitaruStateError,
    message: /no checkpoint history/,
  },
  {
    name: "4. an empty from is a usage error",
    request: { from: "" },
    type: KitaruUsageError,
    message: /needs a `from` checkpoint selector.*Received: ''/,
    metadata: { execId: "kr-a8f3c2d4e5", from: "" },
  },
  {
    name: "4 wins over 5: a blank from and a bad override key",
    request: { from: "  \t", overrides: { "output.research": 1 } },
    type: KitaruUsageError,
    message: /needs a `from` checkpoint selector/,
  },
  {
    name: "5. an override key with an empty selector",
    request: { from: "write_draft", overrides: { "checkpoint.  ": 1 } },
    type: KitaruUsageError,
    message: /Override key 'checkpoint\.  ' has an empty checkpoint selector/,
    metadata: { key: "checkpoint.  " },
  },
  {
    name: "5. a wait.* key says waits cannot be overridden and points to executions input",
    request: { from: "write_draft", overrides: { "wait.approval": true } },
    type: KitaruUsageError,
    message: /waits cannot be overridden.*`kitaru executions input <exec_id> --value/,
    metadata: { key: "wait.approval", waitName: "approval" },
  },
  {
    name: "5. any other prefix",
    request: { from: "write_draft", overrides: { "output.research": 1 } },
    type: KitaruUsageError,
    message: "Override keys must start with `checkpoint.`. Received: 'output.research'.",
    metadata: { key: "output.research" },
  },
  {
    name: "5. the first bad key in order wins",
    request: { from: "write_draft", overrides: { "checkpoint.research": 1, research: 2, "wait.x": 3 } },
    type: KitaruUsageError,
    message: "Override keys must start with `checkpoint.`. Received: 'research'.",
  },
  {
    name: "5. an override value that is not JSON",
    request: { from: "write_draft", overrides: { "checkpoint.research": { score: Number.NaN } } },
    type: KitaruUsageError,
    message: /value of override 'checkpoint\.research' must be a JSON value: score: must be a finite number/,
    check: (e) => assert.deepEqual(e.violations, [{ field: "score", description: "must be a finite number, not NaN" }]),
  },
  {
    name: "5 wins over 6: a bad key and an unknown from",
    request: { from: "nope", overrides: { "wait.x": 1 } },
    type: KitaruUsageError,
    message: /waits cannot be overridden/,
  },
  {
    name: "6. an unknown from lists the available names, sorted and unique",
    source: repeated,
    request: { from: "nope" },
    type: KitaruStateError,
    message:
      "No checkpoint call in execution 'kr-a8f3c2d4e5' matches 'nope' (given as `from`). " +
      "Available checkpoint names: combine, search. A selector is a checkpoint name, invocation ID or call ID, matched exactly.",
    metadata: { execId: "kr-a8f3c2d4e5", selector: "nope", source: "from", availableNames: "combine,search" },
    check: (e) => assert.deepEqual(e.selector, { selector: "nope", source: "from", candidates: [], availableNames: ["combine", "search"] }),
  },
  {
    name: "6. from is not trimmed",
    request: { from: " write_draft" },
    type: KitaruStateError,
    message: /matches ' write_draft'/,
  },
  {
    name: "6. a name shared by calls with explicit IDs is ambiguous, and the error names what selects each",
    source: explicitPair,
    request: { from: "write" },
    type: KitaruStateError,
    message:
      "The checkpoint selector 'write' (given as `from`) is ambiguous in execution 'kr-a8f3c2d4e5': 2 calls of checkpoint 'write' " +
      "were recorded, and none has it as invocation ID. Select one by invocation ID ('write-a', 'write-b') or by call ID ('c1', 'c2').",
    metadata: {
      execId: "kr-a8f3c2d4e5",
      selector: "write",
      source: "from",
      matchCount: "2",
      invocationIds: "write-a,write-b",
      callIds: "c1,c2",
    },
    check: (e) =>
      assert.deepEqual(e.selector?.candidates, [
        { name: "write", invocationId: "write-a", callId: "c1" },
        { name: "write", invocationId: "write-b", callId: "c2" },
      ]),
  },
  {
    name: "6 wins over 7: an unknown from and an override without consumer",
    request: { from: "nope", overrides: { "checkpoint.publish": 1 } },
    type: KitaruStateError,
    message: /matches 'nope' \(given as `from`\)/,
  },
  {
    name: "7. an unknown override selector names its key",
    request: { from: "publish", overrides: { "checkpoint.reserch": "x" } },
    type: KitaruStateError,
    message: /matches 'reserch' \(from override 'checkpoint\.reserch'\).*Available checkpoint names: publish, research, write_draft/,
    check: (e) => assert.equal(e.selector?.source, "checkpoint.reserch"),
  },
  {
    name: "7. an ambiguous override selector",
    source: explicitPair,
    request: { from: "merge", overrides: { "checkpoint.write": "x" } },
    type: KitaruStateError,
    message: /'write' \(from override 'checkpoint\.write'\) is ambiguous/,
    check: (e) => assert.equal(e.selector?.candidates.length, 2),
  },
  {
    name: "7. a multi-output target needs a single output",
    source: multiOutput,
    request: { from: "use", overrides: { "checkpoint.split": { left: 1, right: 2 } } },
    type: KitaruUsageError,
    message: /Override 'checkpoint\.split' targets checkpoint 'split' .* has multiple outputs \(left, right\)\. Only a checkpoint with a single output/,
    metadata: { outputNames: "left,right", invocationId: "split", callId: "c1" },
  },
  {
    name: "7. a target without direct consumer",
    request: { from: "write_draft", overrides: { "checkpoint.publish": "x" } },
    type: KitaruStateError,
    message: /Override 'checkpoint\.publish' cannot take effect: .* has no downstream consumer in this execution: publish\./,
    metadata: { execId: "kr-a8f3c2d4e5", key: "checkpoint.publish", selector: "publish", name: "publish" },
  },
  {
    name: "7. overrides are checked one by one: the first override's missing consumer beats the second's unknown selector",
    request: { from: "write_draft", overrides: { "checkpoint.publish": "x", "checkpoint.nope": "y" } },
    type: KitaruStateError,
    message: /no downstream consumer in this execution: publish/,
  },
  {
    name: "7. two overrides of one call are refused",
    request: { from: "publish", overrides: { "checkpoint.research": "a", "checkpoint.c1": "b" } },
    type: KitaruUsageError,
    message: /Overrides 'checkpoint\.research' and 'checkpoint\.c1' both target checkpoint 'research'/,
    metadata: { key: "checkpoint.c1", earlierKey: "checkpoint.research" },
  },
  {
    name: "7 wins over 8: an override without consumer and bad args",
    request: { from: "write_draft", overrides: { "checkpoint.publish": "x" }, args: "topic" },
    type: KitaruStateError,
    message: /no downstream consumer/,
  },
  {
    name: "8. args as an array",
    request: { from: "write_draft", args: ["New topic"] },
    type: KitaruUsageError,
    message: "Replay args for execution 'kr-a8f3c2d4e5' must be a JSON object of flow input fields; received an array.",
    metadata: { execId: "kr-a8f3c2d4e5", receivedType: "an array" },
  },
  {
    name: "8. args as null",
    request: { from: "write_draft", args: null },
    type: KitaruUsageError,
    message: /must be a JSON object of flow input fields; received null\./,
  },
  {
    name: "8. args as a string",
    request: { from: "write_draft", args: '{"topic":"New topic"}' },
    type: KitaruUsageError,
    message: /received a string\./,
  },
  {
    name: "8. args holding non-JSON values list their field paths",
    request: { from: "write_draft", args: { topic: undefined, tags: ["a", () => 1] } },
    type: KitaruUsageError,
    message: /must hold JSON values: topic: must be a JSON value, not undefined; tags\.1: must be a JSON value, not a function\./,
    metadata: { fields: "topic,tags.1" },
  },
];

describe("planReplay validation (contract §2, in order)", () => {
  for (const c of errorCases) {
    it(c.name, () => {
      assert.throws(
        () => planReplay(c.source ?? contentPipeline(), c.request),
        (error: unknown) => {
          assert.ok(error instanceof c.type, `expected ${c.type.name}, got ${String(error)}`);
          if (c.type === KitaruStateError) assert.ok(!(error instanceof KitaruUsageError));
          const e = error as KitaruStateError & KitaruUsageError;
          if (typeof c.message === "string") assert.equal(e.message, c.message);
          else assert.match(e.message, c.message);
          for (const [key, value] of Object.entries(c.metadata ?? {})) assert.equal(e.metadata[key], value, `metadata.${key}`);
          c.check?.(e);
          return true;
        },
      );
    });
  }

  it("puts only lowerCamel keys and string values in metadata", () => {
    for (const c of errorCases) {
      try {
        planReplay(c.source ?? contentPipeline(), c.request);
      } catch (error) {
        for (const [key, value] of Object.entries((error as KitaruStateError).metadata)) {
          assert.match(key, /^[a-z][A-Za-z0-9]*$/, `${c.name}: ${key}`);
          assert.equal(typeof value, "string");
        }
      }
    }
  });
});
