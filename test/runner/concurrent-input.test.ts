import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { errorFromConnectError, KitaruStateError } from "#contract/errors/index.ts";
import { firstAnswerFlow } from "../fixtures/flows/first-answer.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { jsonValue } from "./rpc-helpers.ts";

const CALLERS = 50;

describe("concurrent input to one wait", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([firstAnswerFlow]);
  });
  after(async () => {
    await env?.teardown();
    await stopTestServer();
  });

  it(`accepts exactly one of ${CALLERS} simultaneous inputs from separate connections`, async () => {
    const { execution } = await env.client.startExecution({ flowName: "first_answer", input: {} });
    const execId = execution!.execId;
    await eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.WAITING,
      30_000,
    );

    const clients = Array.from({ length: CALLERS }, () => env.newClient());
    // Open every connection first, so the inputs race on the server rather than on connection setup.
    await Promise.all(clients.map((client) => client.listPendingWaits({ execId })));
    const outcomes = await Promise.allSettled(
      clients.map((client, n) => client.resolveWait({ execId, wait: "answer", value: jsonValue({ n }) })),
    );

    const winners = outcomes.flatMap((o, n) => (o.status === "fulfilled" ? [n] : []));
    assert.equal(winners.length, 1, `exactly one input is accepted; accepted: ${JSON.stringify(winners)}`);
    const losers = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
    assert.equal(losers.length, CALLERS - 1);
    for (const reason of losers) {
      assert.ok(reason instanceof ConnectError, String(reason));
      assert.equal(Code[reason.code], Code[Code.FailedPrecondition], reason.rawMessage);
      const decoded = errorFromConnectError(reason);
      assert.ok(decoded instanceof KitaruStateError, `${decoded.name}: ${decoded.message}`);
    }

    const done = await eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      30_000,
    );
    assert.equal(done.status, ExecutionStatus.COMPLETED);
    assert.equal(done.result?.kind.value, `accepted answer ${winners[0]}`, "the flow saw the accepted value");
    assert.deepEqual((await env.client.listPendingWaits({ execId })).waits, []);
  });
});
