/**
 * A runner and a planner that require bearer tokens and serve TLS (the test
 * certificates of test/fixtures/tls), on a fresh test database: what the
 * clients of every language are checked against.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startPlanner, type RunningPlanner } from "../../services/planner/src/planner-server.ts";
import { FlowRegistry, type RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import { startRunner, type RunningRunner } from "../../services/runner/src/runner-server.ts";
import type { ExecutionStore } from "../../services/runner/src/store/execution-store.ts";
import { serverSecurity } from "../../services/transport/src/server-security.ts";
import { testDatabase, type TestDatabase } from "./database.ts";
import { testScheduler } from "./runner-env.ts";
import { testLogger } from "./test-logger.ts";

const TLS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/tls");

/** A file of the test TLS material: ca.pem, server.pem/.key, client.pem/.key. */
export function tlsFile(name: string): string {
  return path.join(TLS_DIR, name);
}

/** Tokens the secured services accept: two namespaces, and the planner's service token. */
export const TEST_TOKENS = {
  teamA: "team-a-token-0123456789",
  teamB: "team-b-token-0123456789",
  service: "planner-service-token-0123456789",
} as const;

/** The secured services and how to reach them. */
export interface SecuredServices {
  readonly db: TestDatabase;
  readonly store: ExecutionStore;
  readonly runner: RunningRunner;
  readonly planner: RunningPlanner;
  /** https:// URLs of both services. */
  readonly runnerUrl: string;
  readonly plannerUrl: string;
  teardown(): Promise<void>;
}

/** Starts both services with tokens (team-a, team-b, a service token for the planner) and TLS. */
export async function startSecuredServices(flows: readonly RegisteredFlow[]): Promise<SecuredServices> {
  const db = await testDatabase();
  const store = await db.open();
  const security = (tokens: string) => serverSecurity({ tokens, tlsCert: tlsFile("server.pem"), tlsKey: tlsFile("server.key") }, "127.0.0.1");
  const runnerSecurity = security(`team-a=${TEST_TOKENS.teamA},team-b=${TEST_TOKENS.teamB},*=${TEST_TOKENS.service}`);
  const runner = await startRunner({
    store,
    flows: new FlowRegistry(flows),
    scheduler: testScheduler,
    tokens: runnerSecurity.tokens,
    credentials: runnerSecurity.credentials,
    ...testLogger(),
  });
  const plannerSecurity = security(`team-a=${TEST_TOKENS.teamA},team-b=${TEST_TOKENS.teamB}`);
  const planner = await startPlanner({
    runnerUrl: `https://${runner.address}`,
    tokens: plannerSecurity.tokens,
    credentials: plannerSecurity.credentials,
    runnerConnection: { token: TEST_TOKENS.service, ca: readFileSync(tlsFile("ca.pem"), "utf8") },
    ...testLogger(),
  });
  return {
    db,
    store,
    runner,
    planner,
    runnerUrl: `https://${runner.address}`,
    plannerUrl: `https://${planner.address}`,
    async teardown() {
      await planner.stop();
      await runner.stop();
      await store.close();
      db.remove();
    },
  };
}
