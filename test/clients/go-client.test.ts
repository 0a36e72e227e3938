/**
 * The Go client (clients/go) against a live runner and planner, started here
 * on a fresh test database with the flows of CLIENT_FLOWS:
 *
 * - `go test -count=1 -v ./...` in clients/go with KITARU_RUNNER_URL,
 *   KITARU_PLANNER_URL and KITARU_RUNNER_ADDR set: the offline tests
 *   (clients/go/kitaru) and the live ones (clients/go/livetest, every test
 *   named TestLive*, listed below), which must have run and passed, not skipped;
 * - the README's replay example as a user runs it: a new module outside the
 *   repository, the one `replace` line, `go mod tidy`, `go run .`.
 *
 * The plugins and the module cache come from scripts/install-go-client.sh;
 * this test runs it when its build cache stamp is missing (scripts/test.sh
 * normally has run it already).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { stopTestServer } from "../support/database.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";
import { startSecuredServices, type SecuredServices } from "../support/secured-services.ts";
import { CLIENT_FLOWS, CLIENT_FLOW_VERSION, REPO_ROOT, completedExecution, readmeCode, run, securedEnv } from "./client-process.ts";

const GO_DIR = path.join(REPO_ROOT, "clients/go");
const MODULE = "github.com/kitaru-dev/kitaru/clients/go";

/** The live tests in clients/go/livetest; each must pass. */
const LIVE_TESTS = [
  "TestLiveGeneratedStubRunsContentPipeline",
  "TestLiveStartExecutionIsIdempotentOnRequestID",
  "TestLiveUnknownExecutionIsNotFoundWithResourceFromDetails",
  "TestLiveUnknownFlowIsNotFoundNamingTheFlow",
  "TestLiveInvalidInputIsUsageErrorWithFieldViolations",
  "TestLiveResolveWaitWithoutPendingWaitsIsStateError",
  "TestLiveMetadataAndLogsOfAChattyExecution",
  "TestLiveFailureCarriesItsStackTraceAndEveryAttempt",
  "TestLiveClientRunGetAndPlainResults",
  "TestLiveClientReplayJobReplaysEachSourceReportsRefusedOnesAndCompares",
  "TestLiveClientReplayJobPlanCreatesNothing",
  "TestLiveClientReplayJobCancelStopsStartingReplays",
  "TestLiveClientReplayJobErrorsAreTyped",
  "TestLiveClientRunIsIdempotentOnItsRequestID",
  "TestLiveClientExecuteRunsToTheEndInOneCall",
  "TestLiveClientFlowsList",
  "TestLiveClientGetReadsEveryCallOfALongExecution",
  "TestLiveClientGetReadsTheValuesAResponseLeftOut",
  "TestLiveClientLineageAndCompare",
  "TestLiveClientListLatestPagingAndFilters",
  "TestLiveClientReplayWithOverridesAndPlan",
  "TestLiveClientReplayAnswersOptedInWaitsFromItsSource",
  "TestLiveClientWaitsInputValidationAndAbort",
  "TestLiveClientWatchEventsAndFollowWaits",
  "TestLiveClientLogsAndFollowLogs",
  "TestLiveClientRetryAFailedExecution",
  "TestLiveClientCancelAndResultDeadline",
  "TestLiveClientDivergingReplayIsADivergenceError",
  "TestLiveClientTypedErrorsForUnknownIDsAndBadInput",
  "TestLiveClientLowerLayerPlannerCalls",
  "TestLiveClientTokenAndTLS",
  "TestLiveClientFlowVersionsEveryWaitAndVerify",
  "TestLiveClientReplayPlansLineageAndDiffsCarryFlowVersions",
];

function goBinary(): string {
  const onPath = (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, "go")));
  return onPath ? "go" : "/usr/local/go/bin/go";
}

describe("Go client (clients/go) against a live runner and planner", () => {
  let env: ServicesEnv;
  let secured: SecuredServices;
  let goEnv: NodeJS.ProcessEnv;

  before(async () => {
    if (!existsSync(path.join(GO_DIR, "gen/.kitaru-sources"))) {
      // First run on a fresh clone: plugins, module download, build.
      const { code, output } = await run("bash", ["scripts/install-go-client.sh"], { timeoutMs: 600_000 });
      assert.equal(code, 0, `scripts/install-go-client.sh failed:\n${output}`);
    }
    env = await createServicesEnv(CLIENT_FLOWS, { flowVersion: CLIENT_FLOW_VERSION });
    secured = await startSecuredServices(CLIENT_FLOWS);
    goEnv = {
      ...process.env,
      ...securedEnv(secured),
      KITARU_RUNNER_ADDR: env.runner.address,
      KITARU_RUNNER_URL: `http://${env.runner.address}`,
      KITARU_PLANNER_URL: `http://${env.planner.address}`,
      KITARU_TEST_FLOW_VERSION: CLIENT_FLOW_VERSION,
      GOTOOLCHAIN: "local",
    };
  });
  after(async () => {
    await secured?.teardown();
    await env?.teardown();
    await stopTestServer();
  });

  it("passes go test: offline decoding, options, TLS and retries, and every method live", async () => {
    const { code, output } = await run(goBinary(), ["test", "-count=1", "-v", "./..."], {
      cwd: GO_DIR,
      env: goEnv,
      timeoutMs: 300_000,
    });
    assert.equal(code, 0, `go test failed:\n${output}`);
    for (const name of LIVE_TESTS) {
      assert.match(output, new RegExp(`^\\s*--- PASS: ${name} `, "m"), `${name} did not pass:\n${output}`);
    }
    assert.doesNotMatch(output, /--- (SKIP|FAIL)/, `go test skipped or failed tests:\n${output}`);
    // Every TestLive* in the output is in LIVE_TESTS (a new live test is listed here too).
    const ran = [...output.matchAll(/^=== RUN\s+(TestLive\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(ran)].sort(), [...LIVE_TESTS].sort());
    assert.match(output, /^ok\s+github\.com\/kitaru-dev\/kitaru\/clients\/go\/kitaru\s/m, `the offline tests did not pass:\n${output}`);
    assert.match(output, /^ok\s+github\.com\/kitaru-dev\/kitaru\/clients\/go\/livetest\s/m, `the live tests did not pass:\n${output}`);
  });

  it("runs the README's example from a module outside the repository with one replace line", async () => {
    await completedExecution(env, "content_pipeline", { topic: "the README" }); // something to replay

    const dir = mkdtempSync(path.join(os.tmpdir(), "kitaru-go-user-"));
    try {
      const go = async (...args: string[]) => {
        const result = await run(goBinary(), args, { cwd: dir, env: goEnv, timeoutMs: 300_000 });
        assert.equal(result.code, 0, `go ${args.join(" ")} failed:\n${result.output}`);
        return result.output;
      };
      await go("mod", "init", "example.com/replay");
      writeFileSync(path.join(dir, "main.go"), readmeCode("clients/go/README.md", "go"));
      await go("mod", "edit", `-replace=${MODULE}=${GO_DIR}`);
      await go("mod", "tidy");
      const output = await go("run", ".");
      assert.match(output, /^kr-[a-z2-7]+ replays kr-[a-z2-7]+$/m);
      assert.match(output, /^published: draft about New topic from \[Edited notes\]$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
