/**
 * Fault suite, a replay job whose planner and runner are both killed
 * mid-job. A runner child and a planner child, with a gRPC proxy
 * (runner-proxy.ts) between them that, when the job's sixth `StartReplay`
 * has been answered by the runner, SIGKILLs the planner (before it could
 * store that the replay exists) and then the runner. A new runner on the
 * same database and a new planner come up; the planner resumes the
 * unfinished job by itself, and the caller repeats its StartReplayJob
 * with the same request ID.
 *
 * The job must end with exactly one replay per source: the replay the dead
 * runner created for the dead planner is the one the resumed job reports
 * (its request ID, derived from the job and the source, made the runner
 * return it instead of a second one), and every replay completes.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ExecutionStatus, type Execution } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { ReplayJobItemState, ReplayJobState } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import { startChildRunner, type ChildRunner } from "../runner/child-runner.ts";
import { startChildPlanner, type ChildPlanner } from "../support/child-planner.ts";
import { stopTestServer, testDatabase, type TestDatabase } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { type ProxiedStartReplay, startRunnerProxy, type RunnerProxy } from "./runner-proxy.ts";

const FLOWS = fileURLToPath(new URL("../fixtures/flows/content-pipeline.ts", import.meta.url));
const RPC = { timeoutMs: 20_000 };
const SOURCES = 24;
/** The StartReplay after whose answer both services die. */
const KILL_AT = 6;

describe("faults: a replay job's planner and runner killed mid-job", () => {
  let database: TestDatabase;
  const runners: ChildRunner[] = [];
  const planners: ChildPlanner[] = [];
  const proxies: RunnerProxy[] = [];

  before(async () => {
    database = await testDatabase();
  });
  after(async () => {
    for (const planner of planners) {
      planner.close();
      await planner.kill("SIGKILL");
    }
    for (const proxy of proxies) await proxy.close();
    for (const runner of runners) {
      runner.close();
      await runner.kill("SIGKILL");
    }
    database?.remove();
    await stopTestServer();
  });

  /** A runner on the test database, a proxy to it, and a planner behind the proxy. */
  const services = async () => {
    const runner = await startChildRunner({ flowsModule: FLOWS, db: database });
    runners.push(runner);
    const proxy = await startRunnerProxy(runner.address);
    proxies.push(proxy);
    const planner = await startChildPlanner({ runnerUrl: `http://${proxy.address}`, args: ["--replay-job-concurrency", "2"] });
    planners.push(planner);
    return { runner, proxy, planner };
  };

  const executions = async (runner: ChildRunner): Promise<Execution[]> => {
    const found: Execution[] = [];
    let pageToken = "";
    do {
      const page = await runner.client.listExecutions({ flowName: "content_pipeline", pageSize: 200, pageToken }, RPC);
      found.push(...page.executions);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return found;
  };

  it("resumes the job with no replay created twice, and the retried request returns the same job", async (t) => {
    const first = await services();
    const sources: string[] = [];
    for (let i = 0; i < SOURCES; i++) {
      const { execution } = await first.runner.client.startExecution({ flowName: "content_pipeline", input: { topic: `t${i}` } }, RPC);
      sources.push(execution!.execId);
    }
    await eventually(
      async () => (await executions(first.runner)).filter((e) => e.status === ExecutionStatus.COMPLETED).length,
      (done) => done === SOURCES,
      30_000,
    );

    let killed!: () => void;
    const bothDead = new Promise<void>((resolve) => (killed = resolve));
    let seen = 0;
    let doomed: ProxiedStartReplay | undefined;
    first.proxy.onStartReplay = async ({ request, forward, respond }) => {
      seen += 1;
      if (seen !== KILL_AT) {
        respond(await forward());
        return;
      }
      doomed = request;
      const reply = await forward();
      assert.ok("bytes" in reply, "the runner created the replay");
      // The runner created the replay and answered; neither service lives to record or pass that on.
      await first.planner.kill("SIGKILL");
      await first.runner.kill("SIGKILL");
      killed();
    };
    const requestId = "faults-replay-job";
    const spec = { selection: { flowName: "content_pipeline" }, from: "write_draft", overrides: { "checkpoint.research": "Edited notes" } };
    const { job } = await first.planner.client.startReplayJob({ requestId, spec }, RPC);
    assert.equal(job?.sourceExecIds.length, SOURCES);
    await bothDead;
    first.planner.close();
    first.runner.close();
    assert.ok(doomed !== undefined);
    const createdForDeadPlanner = await doomed.outcome;
    assert.ok("execId" in createdForDeadPlanner && createdForDeadPlanner.execId, JSON.stringify(createdForDeadPlanner));
    assert.equal(doomed.requestId, `${job!.jobId}/${doomed.sourceExecId}`, "a replay's request ID is derived from the job and the source");

    const second = await services();
    const again = await second.planner.client.startReplayJob({ requestId, spec }, RPC);
    assert.equal(again.job?.jobId, job!.jobId, "the same request names the same job");
    const ended = await eventually(
      async () => (await second.planner.client.getReplayJob({ jobId: job!.jobId }, RPC)).job!,
      (j) => j.state !== ReplayJobState.RUNNING,
      90_000,
    );
    assert.equal(ended.state, ReplayJobState.SUCCEEDED);
    assert.equal(ended.totals?.completed, SOURCES, JSON.stringify(ended.totals));

    const all = await executions(second.runner);
    const replays = all.filter((e) => e.originalExecId !== "");
    assert.equal(replays.length, SOURCES, "one replay per source, none twice");
    assert.deepEqual(new Set(replays.map((e) => e.originalExecId)), new Set(sources));
    const { items } = await second.planner.client.listReplayJobItems({ jobId: job!.jobId, pageSize: 1000 }, RPC);
    const doomedSource = doomed.sourceExecId;
    const doomedItem = items.find((item) => item.sourceExecId === doomedSource);
    assert.equal(doomedItem?.replayExecId, createdForDeadPlanner.execId, "the resumed job took up the replay the dead runner created");
    assert.ok(items.every((item) => item.state === ReplayJobItemState.SETTLED && item.replayStatus === ExecutionStatus.COMPLETED));
    const startReplays = second.proxy.startReplays.filter((r) => r.requestId.startsWith(`${job!.jobId}/`));
    t.diagnostic(
      `replay job: ${SOURCES} sources; planner and runner SIGKILLed after StartReplay ${KILL_AT}; the resumed job sent ${startReplays.length} StartReplay(s); ${replays.length} replays exist`,
    );
  });
});
