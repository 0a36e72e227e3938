/**
 * Issue 11: the planner cannot reach the runner. At start it says so in one
 * warning naming the URL and --runner-url / KITARU_RUNNER_URL, and keeps
 * serving (it may start before the runner); a replay meanwhile answers
 * UNAVAILABLE (KitaruBackendError) with the same words, which the CLI prints.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { KitaruBackendError, KitaruClient } from "../../clients/ts/src/index.ts";
import { startPlanner } from "../../services/planner/src/planner-server.ts";
import { createRunnerEnv } from "../support/runner-env.ts";
import { closedPort, runKitaru, startKitaruService, type ServiceProcess } from "./kitaru-process.ts";

describe("kitaru planner whose runner is not running", () => {
  let runnerUrl: string;
  let planner: ServiceProcess;
  let message: string;
  before(async () => {
    runnerUrl = `http://127.0.0.1:${await closedPort()}`;
    planner = await startKitaruService(["planner", "--port", "0", "--runner-url", runnerUrl]);
    message = `The planner cannot reach the kitaru runner at ${runnerUrl} (connect ECONNREFUSED ${runnerUrl.slice("http://".length)}). Start it with \`kitaru runner\` or set --runner-url / KITARU_RUNNER_URL.`;
  });
  after(() => planner.stop());

  it("starts, and warns once naming the URL and --runner-url / KITARU_RUNNER_URL", async () => {
    const line = await planner.waitFor(/\[kitaru planner\] warning: .*\n/);
    assert.equal(line, `[kitaru planner] warning: ${message} Replays fail with UNAVAILABLE until a runner answers there.\n`);
  });

  it("answers a replay with KitaruBackendError naming the URL, printed by the CLI in text and JSON", async () => {
    await using client = new KitaruClient({ plannerUrl: `http://${planner.address}`, runnerUrl });
    const error = await client.executions.replay("kr-aaaaaaaaaaaaaaaa", { from: "research" }).then(
      () => assert.fail("expected a failure"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof KitaruBackendError, `got ${String(error)}`);
    assert.equal(error.message, message);
    assert.equal(error.metadata["runnerUrl"], runnerUrl);

    const env = { KITARU_PLANNER_URL: `http://${planner.address}` };
    const text = await runKitaru(["executions", "replay", "kr-aaaaaaaaaaaaaaaa", "--from", "research"], env);
    assert.equal(text.code, 1);
    assert.equal(text.stderr, `Error: ${message}\n`);
    const json = await runKitaru(["executions", "replay", "kr-aaaaaaaaaaaaaaaa", "--from", "research", "--plan", "-o", "json"], env);
    assert.equal(json.code, 1, json.stderr);
    assert.deepEqual(JSON.parse(json.stderr)["error"], { message, type: "KitaruBackendError" });
    // The start-up warning covers the first minute: the replays did not repeat it.
    assert.equal(planner.stderr().match(/warning: /g)?.length, 1, planner.stderr());
  });
});

describe("kitaru planner whose runner starts after it (issue 19 item 9)", () => {
  it("logs that the runner answers once it does, without waiting for a replay (was: never, though docs/deployment.md said so)", async () => {
    const port = await closedPort();
    const runnerUrl = `http://127.0.0.1:${port}`;
    const dir = mkdtempSync(path.join(tmpdir(), "kitaru-late-runner-"));
    const planner = await startKitaruService(["planner", "--port", "0", "--runner-url", runnerUrl]);
    let runner: ServiceProcess | undefined;
    try {
      await planner.waitFor(/\[kitaru planner\] warning: .*\n/);
      runner = await startKitaruService(["runner", "--flows", "examples/replay/flows.ts", "--port", String(port), "--db-path", path.join(dir, "k.db")]);
      assert.equal(await planner.waitFor(/\[kitaru planner\] the runner .*\n/, 30_000), `[kitaru planner] the runner at ${runnerUrl} answers\n`);
      assert.equal(planner.stderr().match(/the runner at .* answers/g)?.length, 1, "said once");
    } finally {
      await runner?.stop();
      await planner.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("kitaru planner whose runner answers", () => {
  it("says so at start", async () => {
    const env = await createRunnerEnv([]);
    const runnerUrl = `http://${env.runner.address}`;
    const planner = await startKitaruService(["planner", "--port", "0", "--runner-url", runnerUrl]);
    try {
      assert.equal(await planner.waitFor(/\[kitaru planner\] the runner .*\n/), `[kitaru planner] the runner at ${runnerUrl} answers\n`);
    } finally {
      await planner.stop();
      await env.teardown();
    }
  });
});

describe("planner.checkRunner", () => {
  it("rejects with the same KitaruBackendError when nothing listens, and resolves once a runner answers", async () => {
    const env = await createRunnerEnv([]);
    const down = await startPlanner({ runnerUrl: `http://127.0.0.1:${await closedPort()}`, logger: { error: () => undefined, warn: () => undefined } });
    const up = await startPlanner({ runnerUrl: `http://${env.runner.address}`, logger: { error: () => undefined, warn: () => undefined } });
    try {
      await assert.rejects(
        down.checkRunner(),
        (error: unknown) => error instanceof KitaruBackendError && /--runner-url \/ KITARU_RUNNER_URL/.test(error.message),
      );
      assert.equal(await up.checkRunner(), "SERVING");
    } finally {
      await down.stop();
      await up.stop();
      await env.teardown();
    }
  });
});
