/**
 * Issue 11: a URL that points at the other service (the planner's address
 * as the runner's, or the reverse). The client (and so the CLI) raises a
 * KitaruUsageError naming what answers there and the setting, not
 * UNIMPLEMENTED as a KitaruInternalError; the planner pointed at a URL that
 * is not a runner answers a KitaruBackendError naming --runner-url and logs it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KitaruBackendError, KitaruClient, KitaruUsageError } from "../../clients/ts/src/index.ts";
import { startPlanner, type RunningPlanner } from "../../services/planner/src/planner-server.ts";
import { serveRunnerInternal, type FakeServer } from "../client/fake-services.ts";
import { createRunnerEnv, type RunnerEnv } from "../support/runner-env.ts";
import { startSecuredServices, TEST_TOKENS, tlsFile, type SecuredServices } from "../support/secured-services.ts";
import { runKitaru } from "./kitaru-process.ts";
import { testLogger } from "../support/test-logger.ts";

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => assert.fail("expected a failure"),
    (error: unknown) => error,
  );
}

describe("a client whose URL points at the other kitaru service", () => {
  let env: RunnerEnv;
  let planner: RunningPlanner;
  let runnerUrl: string;
  let plannerUrl: string;
  before(async () => {
    env = await createRunnerEnv([]);
    runnerUrl = `http://${env.runner.address}`;
    planner = await startPlanner({ runnerUrl, ...testLogger() });
    plannerUrl = `http://${planner.address}`;
  });
  after(async () => {
    await planner.stop();
    await env.teardown();
  });

  it("the planner's address as the runner's: KitaruUsageError naming the planner and KITARU_RUNNER_URL", async () => {
    await using client = new KitaruClient({ runnerUrl: plannerUrl, plannerUrl });
    const expected = `The service at ${plannerUrl} is not a kitaru runner: it serves kitaru.planner.v1.PlannerService. Is KITARU_RUNNER_URL (or runnerUrl) the planner's address?`;
    for (const call of [() => client.executions.list(), () => client.flows.run("content_pipeline", { topic: "x" })]) {
      const error = await failure(call());
      assert.ok(error instanceof KitaruUsageError, `got ${String(error)}`);
      assert.equal(error.message, expected);
      assert.equal(error.metadata["problem"], "wrong-service");
    }
    // A server stream too.
    const watch = async () => {
      for await (const _event of client.executions.watch("kr-aaaaaaaaaaaaaaaa")) assert.fail("no events expected");
    };
    const error = await failure(watch());
    assert.ok(error instanceof KitaruUsageError && error.message === expected, `got ${String(error)}`);
  });

  it("the runner's address as the planner's: KitaruUsageError naming the runner and KITARU_PLANNER_URL", async () => {
    await using client = new KitaruClient({ runnerUrl, plannerUrl: runnerUrl });
    const error = await failure(client.executions.replay("kr-aaaaaaaaaaaaaaaa", { from: "research" }));
    assert.ok(error instanceof KitaruUsageError, `got ${String(error)}`);
    assert.equal(
      error.message,
      `The service at ${runnerUrl} is not a kitaru planner: it serves kitaru.runner.v1.RunnerService. Is KITARU_PLANNER_URL (or plannerUrl) the runner's address?`,
    );
  });

  it("the CLI prints it, in text and in the JSON envelope", async () => {
    const text = await runKitaru(["executions", "list"], { KITARU_RUNNER_URL: plannerUrl });
    assert.equal(text.code, 1);
    assert.equal(
      text.stderr,
      `Error: The service at ${plannerUrl} is not a kitaru runner: it serves kitaru.planner.v1.PlannerService. Is KITARU_RUNNER_URL (or runnerUrl) the planner's address?\n`,
    );
    const json = await runKitaru(["executions", "replay", "kr-aaaaaaaaaaaaaaaa", "--from", "research", "-o", "json"], { KITARU_PLANNER_URL: runnerUrl });
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stderr), {
      command: "executions.replay",
      error: {
        message: `The service at ${runnerUrl} is not a kitaru planner: it serves kitaru.runner.v1.RunnerService. Is KITARU_PLANNER_URL (or plannerUrl) the runner's address?`,
        type: "KitaruUsageError",
      },
    });
  });
});

describe("a client whose URL points at the other service, with tokens and TLS on", () => {
  let secured: SecuredServices;
  before(async () => {
    secured = await startSecuredServices([]);
  });
  after(() => secured.teardown());

  it("still names the service (health answers without a token)", async () => {
    await using client = new KitaruClient({
      runnerUrl: secured.plannerUrl,
      plannerUrl: secured.plannerUrl,
      token: TEST_TOKENS.teamA,
      caFile: tlsFile("ca.pem"),
    });
    const error = await failure(client.executions.list());
    assert.ok(error instanceof KitaruUsageError, `got ${String(error)}`);
    assert.match(
      error.message,
      /is not a kitaru runner: it serves kitaru\.planner\.v1\.PlannerService\. Is KITARU_RUNNER_URL \(or runnerUrl\) the planner's address\?$/,
    );
  });
});

describe("a client whose URL points at a gRPC server that is no kitaru service", () => {
  let other: FakeServer;
  before(async () => {
    other = await serveRunnerInternal({}); // serves neither health nor reflection
  });
  after(() => other.close());

  it("says the expected service is not there", async () => {
    await using client = new KitaruClient({ runnerUrl: other.url, plannerUrl: other.url });
    const error = await failure(client.executions.get("kr-aaaaaaaaaaaaaaaa"));
    assert.ok(error instanceof KitaruUsageError, `got ${String(error)}`);
    assert.equal(
      error.message,
      `The service at ${other.url} is not a kitaru runner (it does not serve kitaru.runner.v1.RunnerService). Check KITARU_RUNNER_URL (or runnerUrl).`,
    );
  });
});

describe("a planner whose --runner-url points at a planner", () => {
  let target: RunningPlanner;
  let planner: RunningPlanner;
  const warnings: string[] = [];
  before(async () => {
    target = await startPlanner({ runnerUrl: "http://127.0.0.1:9", ...testLogger() });
    planner = await startPlanner({ runnerUrl: `http://${target.address}`, logger: { error: () => undefined, warn: (message) => warnings.push(message) } });
  });
  after(async () => {
    await planner.stop();
    await target.stop();
  });

  it("answers KitaruBackendError naming what answers there and --runner-url, and logs it once", async () => {
    const expected = `The service at http://${target.address} is not a kitaru runner: it serves kitaru.planner.v1.PlannerService. Is --runner-url / KITARU_RUNNER_URL the planner's address?`;
    await using client = new KitaruClient({ plannerUrl: `http://${planner.address}`, runnerUrl: "http://127.0.0.1:9" });
    for (const call of [
      () => client.executions.replay("kr-aaaaaaaaaaaaaaaa", { from: "research" }),
      () => client.executions.planReplay("kr-aaaaaaaaaaaaaaaa", { from: "research" }),
    ]) {
      const error = await failure(call());
      assert.ok(error instanceof KitaruBackendError, `got ${String(error)}`);
      assert.equal(error.message, expected);
    }
    assert.deepEqual(warnings, [`warning: ${expected}`]);
    // Its start-up check says the same.
    await assert.rejects(planner.checkRunner(), (error: unknown) => error instanceof KitaruBackendError && error.message === expected);
  });
});
