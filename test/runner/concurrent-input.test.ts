import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { errorFromConnectError, KitaruStateError } from "#contract/errors/index.ts";
import { twinReviewFlow } from "../fixtures/flows/approval.ts";
import { firstAnswerFlow } from "../fixtures/flows/first-answer.ts";
import { stopTestServer } from "../support/database.ts";
import { createRunnerEnv, eventually, type RunnerEnv } from "../support/runner-env.ts";
import { jsonValue } from "./rpc-helpers.ts";

const CALLERS = 50;

describe("concurrent input to one wait", () => {
  let env: RunnerEnv;
  before(async () => {
    env = await createRunnerEnv([firstAnswerFlow, twinReviewFlow]);
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
    const outcomes = await Promise.allSettled(clients.map((client, n) => client.resolveWait({ execId, wait: "answer", value: jsonValue({ n }) })));

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

  it("accepts one input per wait when inputs race for two waits of one execution", async () => {
    const { execution } = await env.client.startExecution({ flowName: "twin_review", input: {} });
    const execId = execution!.execId;
    const pending = await eventually(
      async () => (await env.client.listPendingWaits({ execId })).waits,
      (waits) => waits.length === 2,
      30_000,
    );
    // "review" names both waits; the first one by its wait ID, the second by its numbered name.
    const selectors = [pending.find((w) => w.name === "review")!.waitId, "review_2"];
    const clients = Array.from({ length: 10 }, () => env.newClient());
    await Promise.all(clients.map((client) => client.listPendingWaits({ execId })));
    // Interleaved, so inputs to one wait queue behind inputs to the other.
    const outcomes = await Promise.allSettled(
      clients.map((client, n) => client.resolveWait({ execId, wait: selectors[n % 2]!, value: jsonValue(`answer ${n}`) })),
    );
    const accepted = outcomes.flatMap((o, n) => (o.status === "fulfilled" ? [n] : []));
    assert.deepEqual(accepted.map((n) => n % 2).sort(), [0, 1], `one input accepted per wait; accepted: ${JSON.stringify(accepted)}`);
    for (const o of outcomes) {
      if (o.status === "fulfilled") continue;
      assert.ok(o.reason instanceof ConnectError, String(o.reason));
      assert.equal(Code[o.reason.code], Code[Code.FailedPrecondition], o.reason.rawMessage);
      assert.ok(errorFromConnectError(o.reason) instanceof KitaruStateError);
    }
    const done = await eventually(
      async () => (await env.client.getExecution({ execId })).execution!,
      (e) => e.status === ExecutionStatus.COMPLETED,
      30_000,
    );
    const [first, second] = accepted.sort((x, y) => (x % 2) - (y % 2));
    assert.equal(done.result?.kind.value, `answer ${first} / answer ${second}`, "the flow saw both accepted values");
  });
});
