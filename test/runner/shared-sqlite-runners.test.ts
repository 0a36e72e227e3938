/**
 * Several runner processes on one embedded store file (issue 8): concurrent
 * starts and racing inputs through all of them never surface a busy/locked
 * error to a caller, and nothing is lost. Runs on SQLite whatever
 * KITARU_TEST_STORE says: that is the store it is about.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ConnectError } from "@connectrpc/connect";
import { ExecutionStatus, ExecutionView } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { errorFromConnectError, KitaruStateError } from "#contract/errors/index.ts";
import { freshDatabaseName, testDatabase, type TestDatabase } from "../support/database.ts";
import { eventually } from "../support/runner-env.ts";
import { type ChildRunner, KillableRunners } from "../support/killable-runners.ts";
import { jsonValue } from "./rpc-helpers.ts";

const FLOWS = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/flows/approval.ts");
const EXECUTIONS = 45;

describe("three runner processes sharing one SQLite file", () => {
  let db: TestDatabase;
  const processes = new KillableRunners({ flowsModule: FLOWS });
  const runners: ChildRunner[] = [];
  before(async () => {
    const previous = process.env["KITARU_TEST_STORE"];
    process.env["KITARU_TEST_STORE"] = "sqlite";
    try {
      db = await testDatabase(freshDatabaseName("kitaru_shared"));
    } finally {
      if (previous === undefined) delete process.env["KITARU_TEST_STORE"];
      else process.env["KITARU_TEST_STORE"] = previous;
    }
    for (let i = 0; i < 3; i++) runners.push(await processes.startChild(db));
  });
  after(async () => {
    await processes.teardown("SIGTERM");
    db.remove();
  });

  it("answers every concurrent start and input without a busy error, and every execution completes exactly once", async () => {
    const unexpected: string[] = [];
    const note = (error: unknown) => {
      const text = error instanceof ConnectError ? `${error.code}: ${error.rawMessage}` : String(error);
      unexpected.push(text);
    };
    // Starts spread over the three runners, all at once.
    const started = await Promise.all(
      Array.from({ length: EXECUTIONS }, (_, i) =>
        runners[i % 3]!.client.startExecution({ flowName: "approval", input: { topic: `t${i}` }, requestId: `shared-${i}` }).then((r) => r.execution!.execId),
      ),
    );
    assert.equal(new Set(started).size, EXECUTIONS);
    const reader = runners[0]!.client;
    await eventually(
      async () => (await Promise.all(started.map((execId) => reader.getExecution({ execId })))).map((r) => r.execution!.status),
      (statuses) => statuses.every((s) => s === ExecutionStatus.WAITING),
      60_000,
    );
    // Three racing inputs per wait, one through each runner.
    let accepted = 0;
    let refused = 0;
    await Promise.all(
      started.flatMap((execId) =>
        runners.map((runner, r) =>
          runner.client
            .resolveWait({ execId, wait: "approve", value: jsonValue({ approved: true, reviewer: `r${r}` }) })
            .then(() => (accepted += 1))
            .catch((error: unknown) => {
              const typed = error instanceof ConnectError ? errorFromConnectError(error) : undefined;
              if (typed instanceof KitaruStateError)
                refused += 1; // lost the race: expected
              else note(error);
            }),
        ),
      ),
    );
    assert.deepEqual(unexpected, [], "no caller saw anything but success or a lost race");
    assert.equal(accepted, EXECUTIONS, "exactly one input accepted per wait");
    assert.equal(refused, EXECUTIONS * 2);
    const done = await eventually(
      async () => (await Promise.all(started.map((execId) => reader.getExecution({ execId, view: ExecutionView.FULL })))).map((r) => r.execution!),
      (executions) => executions.every((e) => e.status === ExecutionStatus.COMPLETED),
      60_000,
    );
    for (const execution of done) {
      assert.deepEqual(
        execution.checkpoints.map((c) => c.invocationId),
        ["draft", "publish"],
        execution.execId,
      );
      assert.match(String(execution.result?.kind.value), /^published 'draft about t\d+', approved by r[012]$/);
    }
    for (const runner of runners) assert.doesNotMatch(runner.stderr(), /SQLITE_BUSY|database is locked/i);
  });
});
