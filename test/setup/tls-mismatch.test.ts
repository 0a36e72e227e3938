/**
 * Issue 11: `https://` against a plaintext port, `http://` against a TLS
 * port, and a certificate the caller does not trust. The client (and so the
 * CLI) raises a KitaruUsageError naming the URL and the fix (a setting no
 * retry changes), not OpenSSL's "wrong version number" as a
 * KitaruInternalError or "stream closed with error code CANCEL"; the planner
 * answers a KitaruBackendError naming --runner-url / --runner-ca.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KitaruBackendError, KitaruClient, KitaruUsageError } from "../../clients/ts/src/index.ts";
import { startPlanner } from "../../services/planner/src/planner-server.ts";
import { createRunnerEnv, type RunnerEnv } from "../support/runner-env.ts";
import { startSecuredServices, TEST_TOKENS, type SecuredServices } from "../support/secured-services.ts";
import { runKitaru } from "./kitaru-process.ts";
import { testLogger } from "../support/test-logger.ts";

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => assert.fail("expected a failure"),
    (error: unknown) => error,
  );
}

describe("http:// and https:// mixed up", () => {
  let plain: RunnerEnv;
  let secured: SecuredServices;
  /** host:port of each runner. */
  let plainAddress: string;
  let tlsAddress: string;
  before(async () => {
    plain = await createRunnerEnv([]);
    secured = await startSecuredServices([]);
    plainAddress = plain.runner.address;
    tlsAddress = secured.runner.address;
  });
  after(async () => {
    await secured.teardown();
    await plain.teardown();
  });

  describe("the client", () => {
    it("https:// against a plaintext port: use http://", async () => {
      await using client = new KitaruClient({ runnerUrl: `https://${plainAddress}`, plannerUrl: `https://${plainAddress}` });
      const error = await failure(client.executions.list());
      assert.ok(error instanceof KitaruUsageError, `got ${String(error)}`);
      assert.equal(
        error.message,
        `The service at https://${plainAddress} does not speak TLS: use http://${plainAddress} in KITARU_RUNNER_URL (or runnerUrl) (or give the service a certificate: --tls-cert / --tls-key).`,
      );
    });

    it("http:// against a TLS port: use https:// and KITARU_CA_FILE", async () => {
      await using client = new KitaruClient({ runnerUrl: `http://${tlsAddress}`, plannerUrl: `http://${tlsAddress}`, token: TEST_TOKENS.teamA });
      const error = await failure(client.executions.list());
      assert.ok(error instanceof KitaruUsageError, `got ${String(error)}`);
      assert.equal(
        error.message,
        `The service at http://${tlsAddress} speaks TLS: use https://${tlsAddress} in KITARU_RUNNER_URL (or runnerUrl), with KITARU_CA_FILE (or caFile) if its certificate is not signed by a CA this machine trusts.`,
      );
    });

    it("https:// without the CA of the service's certificate: KITARU_CA_FILE", async () => {
      await using client = new KitaruClient({ runnerUrl: `https://${tlsAddress}`, plannerUrl: `https://${tlsAddress}`, token: TEST_TOKENS.teamA });
      const error = await failure(client.executions.list());
      assert.ok(error instanceof KitaruUsageError, `got ${String(error)}`);
      assert.equal(
        error.message,
        `The certificate of the service at https://${tlsAddress} is not trusted (unable to verify the first certificate): give the CA that signed it with KITARU_CA_FILE (or caFile).`,
      );
    });

    it("the CLI prints both directions, in text and in the JSON envelope", async () => {
      const text = await runKitaru(["executions", "list"], { KITARU_RUNNER_URL: `https://${plainAddress}` });
      assert.equal(text.code, 1);
      assert.match(
        text.stderr,
        new RegExp(`^Error: The service at https://${plainAddress} does not speak TLS: use http://${plainAddress} in KITARU_RUNNER_URL`),
      );
      const json = await runKitaru(["executions", "list", "-o", "json"], { KITARU_RUNNER_URL: `http://${tlsAddress}`, KITARU_TOKEN: TEST_TOKENS.teamA });
      assert.equal(json.code, 1);
      const envelope = JSON.parse(json.stderr) as { command: string; error: { message: string; type: string } };
      assert.equal(envelope.command, "executions.list");
      assert.equal(envelope.error.type, "KitaruUsageError");
      assert.match(envelope.error.message, new RegExp(`^The service at http://${tlsAddress} speaks TLS: use https://${tlsAddress} in KITARU_RUNNER_URL`));
    });
  });

  describe("the planner's --runner-url", () => {
    async function replayThrough(runnerUrl: string): Promise<unknown> {
      const planner = await startPlanner({ runnerUrl, runnerConnection: { token: TEST_TOKENS.service }, ...testLogger() });
      try {
        await using client = new KitaruClient({ plannerUrl: `http://${planner.address}`, runnerUrl: "http://127.0.0.1:9" });
        return await failure(client.executions.replay("kr-aaaaaaaaaaaaaaaa", { from: "research" }));
      } finally {
        await planner.stop();
      }
    }

    it("https:// against a plaintext runner: KitaruBackendError, use http://", async () => {
      const error = await replayThrough(`https://${plainAddress}`);
      assert.ok(error instanceof KitaruBackendError, `got ${String(error)}`);
      assert.equal(
        error.message,
        `The service at https://${plainAddress} does not speak TLS: use http://${plainAddress} in --runner-url / KITARU_RUNNER_URL (or give the service a certificate: --tls-cert / --tls-key).`,
      );
    });

    it("http:// against a TLS runner: KitaruBackendError, use https:// and --runner-ca", async () => {
      const error = await replayThrough(`http://${tlsAddress}`);
      assert.ok(error instanceof KitaruBackendError, `got ${String(error)}`);
      assert.equal(
        error.message,
        `The service at http://${tlsAddress} speaks TLS: use https://${tlsAddress} in --runner-url / KITARU_RUNNER_URL, with --runner-ca / KITARU_RUNNER_CA if its certificate is not signed by a CA this machine trusts.`,
      );
    });
  });
});
