/**
 * Every named crash point (services/runner/src/engine/crash-points.ts), one at
 * a time: a child runner with the point armed runs a flow until it SIGKILLs
 * itself there; the test checks what the database holds at that moment, then
 * starts another runner on the same database and checks that the execution
 * completes with the right result, that every checkpoint has exactly one
 * recorded call, and that no checkpoint recorded before the crash ran again
 * (only the call interrupted by `before-checkpoint-commit` does: at least once).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CheckpointCallStatus, ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { CrashPointName } from "../../services/runner/src/engine/crash-points.ts";
import { crashPointNames } from "../../services/runner/src/engine/crash-points.ts";
import { chaosRace, chaosSteps, chaosStepsResult, markerRuns, runCounts, stepValue } from "../fixtures/flows/chaos-flows.ts";
import { stopTestServer, testDatabase } from "../support/database.ts";
import { KillableRunners } from "../support/killable-runners.ts";
import { eventually } from "../support/runner-env.ts";
import { jsonValue } from "../runner/rpc-helpers.ts";
import { CHAOS_FLOWS, within } from "./chaos-support.ts";

const TIMEOUT = 60_000;
const SEED = 11;
const ADD = 5;

interface Case {
  readonly point: CrashPointName;
  /** Crash the n-th time the point is reached. */
  readonly at: number;
  readonly title: string;
  readonly flow: "chaos_steps" | "chaos_race";
  /** The wait the test answers, and which runner gets the input: the armed one (before its crash) or the survivor. */
  readonly answer: { readonly wait: string; readonly via: "armed" | "survivor" };
  /** What the database holds right after the crash: recorded calls, status, resolved waits, function runs so far. */
  readonly atCrash: { readonly calls: string[]; readonly status: "running" | "waiting"; readonly resolved: string[]; readonly runs: Record<string, number> };
  /** Function runs per checkpoint once the survivor completed the execution. */
  readonly runs: Record<string, number>;
  readonly result: number | string;
}

const once = { a: 1, b: 1, c: 1 };
const steps = { flow: "chaos_steps", result: chaosStepsResult(SEED, ADD) } as const;

const cases: readonly Case[] = [
  {
    ...steps,
    point: "after-claimed-insert",
    at: 1,
    title: "inserted claimed by the runner that got the start, then died: the claim lapses, a retried start returns it, another runner runs it once",
    answer: { wait: "go", via: "survivor" },
    atCrash: { calls: [], status: "running", resolved: [], runs: {} },
    runs: once,
  },
  {
    ...steps,
    point: "before-checkpoint-commit",
    at: 2,
    title: "b ran but is not recorded: it runs again (at least once); a does not",
    answer: { wait: "go", via: "survivor" },
    atCrash: { calls: ["a"], status: "running", resolved: [], runs: { a: 1, b: 1 } },
    runs: { a: 1, b: 2, c: 1 },
  },
  {
    ...steps,
    point: "after-checkpoint-commit",
    at: 2,
    title: "b is recorded but the body never saw it: it comes from the journal",
    answer: { wait: "go", via: "survivor" },
    atCrash: { calls: ["a", "b"], status: "running", resolved: [], runs: { a: 1, b: 1 } },
    runs: once,
  },
  {
    ...steps,
    point: "after-claim",
    at: 1, // the start's claim is made with the insert (after-claimed-insert); this is the claim after the input
    title: "claimed after the input, then died: the claim lapses and another runner continues",
    answer: { wait: "go", via: "armed" },
    atCrash: { calls: ["a", "b"], status: "running", resolved: ["go"], runs: { a: 1, b: 1 } },
    runs: once,
  },
  {
    ...steps,
    point: "after-wait-recorded",
    at: 1,
    title: "the wait is recorded, the execution never became waiting: another runner reaches the wait again",
    answer: { wait: "go", via: "survivor" },
    atCrash: { calls: ["a", "b"], status: "running", resolved: [], runs: { a: 1, b: 1 } },
    runs: once,
  },
  {
    ...steps,
    point: "before-terminal-write",
    at: 1,
    title: "every call is recorded, the completed transition is not: the body replays from the journal",
    answer: { wait: "go", via: "armed" },
    atCrash: { calls: ["a", "b", "c"], status: "running", resolved: ["go"], runs: once },
    runs: once,
  },
  {
    ...steps,
    point: "after-wait-resolution",
    at: 1,
    title: "the input's process died between the resolution and the resumed transition: a sweep resumes it",
    answer: { wait: "go", via: "armed" },
    atCrash: { calls: ["a", "b"], status: "waiting", resolved: ["go"], runs: { a: 1, b: 1 } },
    runs: once,
  },
  {
    point: "after-wait-resolution",
    at: 1,
    title: "the same with another wait still pending (the body races two waits): the sweep resumes it too",
    flow: "chaos_race",
    answer: { wait: "left", via: "armed" },
    atCrash: { calls: [], status: "waiting", resolved: ["left"], runs: {} },
    runs: { pick: 1 },
    result: `left: ${stepValue(ADD, "pick")}`,
  },
];

describe("crash points: a runner killed at each named point loses nothing", () => {
  let scratch: string;
  const runners = new KillableRunners({ flowsModule: CHAOS_FLOWS, flows: [chaosSteps, chaosRace] });

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "kitaru-crash-points-"));
  });
  after(async () => {
    await runners.teardown();
    rmSync(scratch, { recursive: true, force: true });
    await stopTestServer();
  });

  it("covers every crash point", () => {
    assert.deepEqual([...new Set(cases.map((c) => c.point))].sort(), [...crashPointNames].sort());
  });

  for (const c of cases) {
    it(`${c.point}:${c.at} (${c.flow}): ${c.title}`, async () => {
      const database = await testDatabase();
      const store = await runners.openStore(database);
      const marker = path.join(scratch, `${c.point}-${c.flow}.log`);
      writeFileSync(marker, "");
      const runs = () => runCounts(markerRuns(readFileSync(marker, "utf8")));
      const input: Record<string, string | number> = c.flow === "chaos_steps" ? { marker, seed: SEED } : { marker };
      const value = jsonValue({ add: ADD });

      // 1. The armed runner runs the flow (answering the wait when it is its turn) until it kills itself.
      const armed = await runners.startChild(database, { crashPoints: `${c.point}:${c.at}` });
      const requestId = `start-${c.point}-${c.flow}`;
      const started = armed.client.startExecution({ flowName: c.flow, input, requestId });
      let execId: string;
      if (c.point === "after-claimed-insert") {
        await assert.rejects(started, "the start RPC died with its process");
        const created = await store.listExecutions({ limit: 10 });
        assert.equal(created.length, 1);
        execId = created[0]!.execId;
      } else {
        execId = (await started).execution!.execId;
      }
      let inputOutcome: "none" | "answered" | "failed" = "none";
      const deadline = Date.now() + TIMEOUT;
      while (armed.process.exitCode === null && armed.process.signalCode === null) {
        assert.ok(Date.now() < deadline, `the armed runner never reached ${c.point}:${c.at}\n${armed.stderr()}`);
        if (c.answer.via === "armed" && inputOutcome === "none") {
          const [current, waits] = [await store.getExecution(execId), await store.listWaits(execId)];
          if (current?.state.status === "waiting" && waits.some((w) => w.name === c.answer.wait && !w.resolution)) {
            inputOutcome = await armed.client.resolveWait({ execId, wait: c.answer.wait, value }).then(
              () => "answered" as const,
              () => "failed" as const,
            );
          }
        }
        await within(armed.exited, 50, undefined);
      }
      assert.deepEqual(await armed.exited, { code: null, signal: "SIGKILL" });
      const crashLine = `crash point '${c.point}' reached (${c.at}x)`;
      assert.match(
        await eventually(
          async () => armed.stderr(),
          (s) => s.includes(crashLine),
          5_000,
        ),
        new RegExp(crashLine.replace(/[()]/g, "\\$&")),
      );
      if (c.point === "after-wait-resolution") assert.equal(inputOutcome, "failed", "the input RPC died with its process");

      // 2. What the crash left behind: the point's moment, exactly.
      const calls = await store.listCalls(execId);
      assert.deepEqual(
        calls.map((call) => `${call.invocationId}:${call.status}`),
        c.atCrash.calls.map((id) => `${id}:completed`),
      );
      const crashed = (await store.getExecution(execId))!.state;
      assert.equal(crashed.status, c.atCrash.status);
      if (crashed.status === "running") assert.ok(crashed.claim, "still held by the dead runner until its lease lapses");
      const waits = await store.listWaits(execId);
      assert.deepEqual(
        waits.filter((w) => w.resolution).map((w) => w.name),
        c.atCrash.resolved,
      );
      assert.deepEqual(runs(), c.atCrash.runs);

      // 3. Another runner on the same database finishes it.
      const survivor = await runners.startInProcess(store);
      const client = runners.client(survivor.address);
      const retried = await client.startExecution({ flowName: c.flow, input, requestId });
      assert.equal(retried.execution?.execId, execId, "a retried start returns the execution, and starts no second run");
      const done = await eventually(
        async () => {
          const current = (await client.getExecution({ execId, view: ExecutionView.FULL })).execution!;
          if (c.answer.via === "survivor" && current.status === ExecutionStatus.WAITING && current.pendingWaits.some((w) => w.name === c.answer.wait)) {
            await client.resolveWait({ execId, wait: c.answer.wait, value }).catch(() => undefined);
          }
          return current;
        },
        (e) => e.status !== ExecutionStatus.RUNNING && e.status !== ExecutionStatus.WAITING,
        TIMEOUT,
      );
      await survivor.stop();
      assert.equal(done.status, ExecutionStatus.COMPLETED, `ended ${ExecutionStatus[done.status]}: ${done.failure?.message ?? ""}`);
      assert.equal(done.result?.kind.value, c.result);
      const ids = Object.keys(c.runs);
      assert.deepEqual(
        done.checkpoints.map((call) => [call.invocationId, call.status]),
        ids.map((id) => [id, CheckpointCallStatus.COMPLETED]),
      );
      const recorded = await store.listCalls(execId);
      assert.deepEqual(
        recorded.map((call) => `${call.invocationId}:${call.status}`),
        ids.map((id) => `${id}:completed`),
        "exactly one record per call",
      );
      assert.deepEqual(runs(), c.runs, "function runs per checkpoint");
      assert.equal((await store.listExecutions({ limit: 10 })).length, 1, "one execution");
    });
  }
});
