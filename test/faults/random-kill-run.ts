/**
 * The random-kill run of test/faults/runner-kills.test.ts (kept apart from
 * it so the scenario reads on its own): two `kitaru runner` children on one
 * database run `chaos_pipeline` (8 checkpoints of 20–80 ms and one wait the
 * driver answers), 6 executions in flight at any time; a random runner is
 * SIGKILLed at a random moment and restarted, `kills` times. It asserts (and
 * throws on the first violation): 0 lost executions (every started one
 * completed with the right result), each checkpoint recorded exactly once,
 * every checkpoint run at least once, and every extra run was in a killed
 * process, at most one per killed process and execution (the call in flight
 * at the kill). See docs/chaos.md.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { jsonValue } from "../runner/rpc-helpers.ts";
import { chaosPipelineResult, markerRuns, pipelineIds } from "../fixtures/flows/chaos-flows.ts";
import { testDatabase } from "../support/database.ts";
import { type ChildRunner, KillableRunners } from "../support/killable-runners.ts";
import { CHAOS_FLOWS, seededRandom, sleep } from "./chaos-support.ts";
import { ValueCodec } from "../../services/runner/src/store/value-codec.ts";

/** Options of {@link runRandomKills}. */
export interface RandomKillOptions {
  /** SIGKILLs to deliver (within max(60 s, 3 s per kill)). */
  readonly kills: number;
  /** Seeds the kill schedule, so a run's choices can be repeated. */
  readonly seed: number;
}

/** What a run did; every figure is after its assertions passed. */
export interface RandomKillOutcome {
  readonly kills: number;
  readonly seed: number;
  readonly killPhaseMs: number;
  /** From the last kill until every execution completed. */
  readonly settleMs: number;
  /** Executions started, all completed. */
  readonly executions: number;
  /** Call records, exactly one per checkpoint of each execution. */
  readonly calls: number;
  /** Checkpoint function runs (at least once each). */
  readonly runs: number;
  readonly reruns: number;
  /** ResolveWait calls cut by a kill (retried, or resumed by the sweep). */
  readonly failedInputs: number;
}

/** Executions in flight at once; each completed one is replaced while kills remain. */
const IN_FLIGHT = 6;
const RUNNERS = 2;
/** Longer than the tests' 1.5 s, so that only a kill (never a starved event loop) hands a call to another runner. */
const LEASE_TTL_MS = 3_000;
/** After the kills stop, every execution must complete within this. */
const SETTLE_MS = 120_000;
const RPC = { timeoutMs: 10_000 };

interface Tracked {
  readonly n: number;
  readonly marker: string;
  readonly seed: number;
  readonly add: number;
  execId?: string;
  status?: string;
}

/** One random-kill run on a fresh test database (the store `KITARU_TEST_STORE` names); cleans up after itself. */
export async function runRandomKills(options: RandomKillOptions): Promise<RandomKillOutcome> {
  const { kills: KILLS, seed: SEED } = options;
  assert.ok(Number.isInteger(KILLS) && KILLS >= 1, "the number of kills must be a positive integer");
  const KILL_PHASE_MS = Math.max(60_000, KILLS * 3_000);
  const scratch = mkdtempSync(path.join(tmpdir(), "kitaru-chaos-"));
  const runners = new KillableRunners({ flowsModule: CHAOS_FLOWS });
  const database = await testDatabase();
  const db = await runners.openStore(database);
  let halted = false; // set when the run ends, so a failed run's driver stops too
  try {
    const random = seededRandom(SEED); // the kill schedule only, so the seed repeats it
    const startChild = () => runners.startChild(database, { leaseTtlMs: LEASE_TTL_MS });
    const slots: (ChildRunner | undefined)[] = await Promise.all(Array.from({ length: RUNNERS }, startChild));
    const killedPids = new Set<number>();
    const tracked: Tracked[] = [];
    let killing = true;
    let kills = 0;
    let failedInputs = 0;
    const startedAt = Date.now();

    const track = () => {
      const n = tracked.length;
      const marker = path.join(scratch, `exec-${n}.log`);
      writeFileSync(marker, "");
      tracked.push({ n, marker, seed: 1000 + n, add: n % 7 });
    };
    const pending = () => tracked.filter((e) => e.status !== "completed");
    const someClient = () => {
      const live = slots.filter((c): c is ChildRunner => c?.alive() === true);
      return live[Math.floor(Math.random() * live.length)]?.client;
    };

    /** Starts executions (idempotently, by request ID), answers their waits, and follows their status. */
    const drive = async () => {
      while (!halted && (tracked.length === 0 || pending().length > 0)) {
        if (killing) while (pending().length < IN_FLIGHT) track();
        for (const e of pending()) {
          const client = someClient();
          if (e.execId === undefined) {
            if (!client) continue;
            const input = { marker: e.marker, seed: e.seed };
            await client.startExecution({ flowName: "chaos_pipeline", input, requestId: `chaos-${e.n}` }, RPC).then(
              ({ execution }) => (e.execId = execution!.execId),
              () => undefined, // the runner died mid-call: the request ID makes the retry safe
            );
            continue;
          }
          const state = (await db.getExecution(e.execId))!.state;
          e.status = state.status;
          if (state.status === "failed" || state.status === "cancelled") return; // lost: reported below
          if (state.status !== "waiting" || !client) continue;
          const go = (await db.listWaits(e.execId)).find((w) => w.name === "go");
          if (go && !go.resolution) {
            await client.resolveWait({ execId: e.execId, wait: "go", value: jsonValue({ add: e.add }) }, RPC).catch(() => (failedInputs += 1));
          }
        }
        await sleep(100);
      }
    };

    /** Kills a random runner at a random moment and restarts it, KILLS times (or until the time is up). */
    const killLoop = async () => {
      while (kills < KILLS && Date.now() - startedAt < KILL_PHASE_MS && !halted) {
        await sleep(100 + random() * 1100);
        const slot = Math.floor(random() * RUNNERS);
        const victim = slots[slot]!;
        slots[slot] = undefined;
        killedPids.add(victim.process.pid!);
        victim.close();
        await victim.kill("SIGKILL");
        kills += 1;
        slots[slot] = await startChild();
      }
      killing = false;
    };

    const driving = drive().then(() => true);
    driving.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    let settled: boolean;
    try {
      await killLoop();
    } finally {
      killing = false;
    }
    const killPhaseMs = Date.now() - startedAt;
    try {
      settled = await Promise.race([driving, sleep(SETTLE_MS).then(() => false)]);
    } finally {
      halted = true;
    }
    const settleMs = Date.now() - startedAt - killPhaseMs;

    // 0 lost executions: every started one completed.
    const lost = tracked.filter((e) => e.status !== "completed");
    assert.ok(
      settled && lost.length === 0,
      `lost executions (not completed ${SETTLE_MS / 1000} s after the last kill): ${lost.map((e) => `#${e.n} ${e.execId ?? "(not started)"} ${e.status ?? ""}`).join(", ")}\n` +
        slots.map((c) => c?.stderr().slice(-2000) ?? "").join("\n---\n"),
    );

    let runs = 0;
    let reruns = 0;
    for (const e of tracked) {
      const execId = e.execId!;
      const label = `execution #${e.n} (${execId})`;
      const execution = (await db.getExecution(execId))!;
      assert.equal(await new ValueCodec(db).load(execution.state.result!), chaosPipelineResult(e.seed, e.add), `${label}: result`);
      const calls = await db.listCalls(execId);
      assert.deepEqual(
        calls.map((c) => `${c.invocationId}:${c.status}`),
        pipelineIds.map((id) => `${id}:completed`),
        `${label}: each checkpoint recorded exactly once`,
      );
      const waits = await db.listWaits(execId);
      assert.deepEqual(
        waits.map((w) => [w.name, w.resolution?.kind]),
        [["go", "value"]],
        `${label}: one wait, answered once`,
      );

      // At least once; an extra run only in a killed process, at most one per killed process (the call in flight at its kill).
      const byId = new Map<string, number[]>();
      for (const { id, pid } of markerRuns(readFileSync(e.marker, "utf8"))) byId.set(id, [...(byId.get(id) ?? []), pid]);
      const interrupted: number[] = [];
      for (const id of pipelineIds) {
        const pids = byId.get(id) ?? [];
        assert.ok(pids.length >= 1, `${label}: ${id} never ran`);
        runs += pids.length;
        reruns += pids.length - 1;
        for (const pid of pids.slice(0, -1)) {
          assert.ok(killedPids.has(pid), `${label}: ${id} ran again after a run in process ${pid}, which was never killed (runs by ${pids.join(", ")})`);
          interrupted.push(pid);
        }
      }
      assert.equal(new Set(interrupted).size, interrupted.length, `${label}: a killed process left more than one call unrecorded (${interrupted.join(", ")})`);
    }

    const calls = tracked.length * pipelineIds.length;
    assert.ok(kills >= Math.min(KILLS, 5), `only ${kills} kills happened in ${KILL_PHASE_MS / 1000} s`);
    assert.ok(runs >= calls, "at least once");
    return { kills, seed: SEED, killPhaseMs, settleMs, executions: tracked.length, calls, runs, reruns, failedInputs };
  } finally {
    halted = true;
    await runners.teardown();
    database.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}
