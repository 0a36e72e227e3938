/**
 * The health probes of docs/deployment.md, run as written (the block after
 * `<!-- health-probes -->`) against a runner that requires tokens, once in
 * plaintext and once with a certificate: the grpcurl probe the docs gave
 * failed on a tokens-enabled service (reflection needs the token), and
 * scripts/grpc-health-check.mjs had no TLS option and did not mention TLS
 * when it failed on a TLS port (issue 19). Substituted: the runner's address
 * for 127.0.0.1:50051, the test CA for ca.pem, the binaries' paths, and a
 * test token for $KITARU_TOKEN.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { contentPipeline } from "../fixtures/flows/content-pipeline.ts";
import { stopTestServer } from "../support/database.ts";
import { grpcurlPath } from "../support/grpcurl.ts";
import { startSecuredServices, TEST_TOKENS, tlsFile, type SecuredServices } from "../support/secured-services.ts";
import { FlowRegistry } from "../../services/runner/src/engine/flow-registry.ts";
import { startRunner, type RunningRunner } from "../../services/runner/src/runner-server.ts";
import { serverSecurity } from "../../services/transport/src/server-security.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { testDatabase } from "../support/database.ts";
import { testScheduler } from "../support/runner-env.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

/** The commands of the fenced block after `<!-- health-probes -->` in docs/deployment.md, comments removed. */
function documentedProbes(): string[] {
  const doc = readFileSync(path.join(REPO_ROOT, "docs/deployment.md"), "utf8");
  const block = /<!-- health-probes -->\n```bash\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, "docs/deployment.md has the health-probes block");
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
}

/** A command line's words, honouring "double quotes" and expanding $KITARU_TOKEN. */
function words(line: string, token: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2] ?? "").replaceAll("$KITARU_TOKEN", token));
}

describe("the health probes of docs/deployment.md, as written", () => {
  let secured: SecuredServices;
  let plain: RunningRunner;
  let plainStore: ExecutionStore;
  before(async () => {
    secured = await startSecuredServices([contentPipeline]);
    // A plaintext runner that requires tokens too.
    const db = await testDatabase();
    plainStore = await db.open();
    const security = serverSecurity({ tokens: `default=${TEST_TOKENS.teamA}` }, "127.0.0.1");
    plain = await startRunner({
      store: plainStore,
      flows: new FlowRegistry([contentPipeline]),
      scheduler: testScheduler,
      tokens: security.tokens,
      logger: { error: () => undefined, warn: () => undefined },
    });
  });
  after(async () => {
    await plain?.stop();
    await plainStore?.close();
    await secured?.teardown();
    await stopTestServer();
  });

  it("each says SERVING and exits 0, on a service with tokens, in plaintext or with TLS", async () => {
    const grpcurl = await grpcurlPath();
    const probes = documentedProbes();
    assert.equal(probes.length, 4, probes.join("\n"));
    for (const line of probes) {
      const tls = /--ca |-cacert /.test(line);
      const address = tls ? secured.runner.address : plain.address;
      const [command = "", ...args] = words(line.replaceAll("127.0.0.1:50051", address).replaceAll("ca.pem", tlsFile("ca.pem")), TEST_TOKENS.teamA);
      const binary = command === "node" ? process.execPath : command === "grpcurl" ? grpcurl : command;
      const { stdout } = await run(binary, args, { cwd: REPO_ROOT, timeout: 60_000 });
      assert.match(stdout, /SERVING/, `${line}\n${stdout}`);
      assert.doesNotMatch(stdout, /NOT_SERVING/, line);
    }
  });

  it("says what to change when plaintext meets TLS, or the reverse", async () => {
    const script = path.join(REPO_ROOT, "scripts/grpc-health-check.mjs");
    const fail = (args: string[]) =>
      run(process.execPath, [script, ...args], { timeout: 60_000 }).then(
        () => assert.fail(`${args.join(" ")} should fail`),
        (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? "" }),
      );
    const noTls = await fail([secured.runner.address]);
    assert.equal(noTls.code, 1);
    assert.match(noTls.stderr, /probe it with --tls or --ca FILE/);
    const tlsOnPlain = await fail(["--ca", tlsFile("ca.pem"), plain.address]);
    assert.equal(tlsOnPlain.code, 1);
    assert.match(tlsOnPlain.stderr, /speaks plaintext: probe it without --tls/);
    const untrusted = await fail(["--tls", secured.runner.address]);
    assert.match(untrusted.stderr, /give the CA that signed it with --ca FILE/);
    // An https:// target means TLS.
    const { stdout } = await run(process.execPath, [script, "--ca", tlsFile("ca.pem"), `https://${secured.runner.address}`], { timeout: 60_000 });
    assert.match(stdout, /: SERVING$/m);
  });
});
