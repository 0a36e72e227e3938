/**
 * Fault suite, runner SIGKILLs: the chaos suite's random-kill run
 * (random-kill-run.ts) at a CI-sized count. Two runner children on
 * one database, 6 executions of an 8-checkpoint flow with a wait in flight;
 * a random runner is SIGKILLed and restarted `KITARU_FAULTS_RUNNER_KILLS`
 * times (default 10). Asserts 0 lost executions, each checkpoint recorded
 * exactly once, and no re-run outside a killed process.
 */
import { after, describe, it } from "node:test";
import { runRandomKills } from "./random-kill-run.ts";
import { stopTestServer } from "../support/database.ts";
import { envCount, reportFigures } from "./faults-support.ts";

const KILLS = envCount("KITARU_FAULTS_RUNNER_KILLS", 10);
const SEED = Number(process.env.KITARU_CHAOS_SEED || Date.now() % 1_000_000_000);

describe("faults: runners SIGKILLed at random moments", () => {
  after(async () => {
    await stopTestServer();
  });

  it(`survives ${KILLS} runner kills: no execution lost, each checkpoint recorded once`, async (t) => {
    const o = await runRandomKills({ kills: KILLS, seed: SEED });
    reportFigures(t, {
      scenario: "runner-kills",
      text:
        `runner kills ${o.kills}/${o.kills} survived (${o.executions} executions, 0 lost, ` +
        `${o.calls} checkpoints recorded once, ${o.reruns} re-runs in killed processes, seed ${o.seed})`,
      figures: { ...o },
    });
  });
});
