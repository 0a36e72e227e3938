// @tier unit
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { PlannerConfigSchema, plannerSettings } from "../../services/planner/src/config.ts";
import { RunnerConfigSchema, runnerSettings } from "../../services/runner/src/config.ts";
import { parseServiceCommand } from "../../services/transport/src/service-config.ts";

const runner = (argv: string[], env: Record<string, string> = {}) =>
  parseServiceCommand(argv, { schema: RunnerConfigSchema, settings: runnerSettings.sources, help: "HELP", env });

describe("service configuration from flags and environment", () => {
  it("takes flags over environment variables and applies defaults", () => {
    const command = runner(["--flows", "f.ts", "--port", "6000"], { KITARU_RUNNER_PORT: "7000", KITARU_DATABASE: "prod" });
    assert.equal(command.kind, "serve");
    if (command.kind !== "serve") return;
    assert.equal(command.config.port, 6000);
    assert.equal(command.config.database, "prod");
    assert.equal(command.config.leaseTtlMs, 15_000);
    assert.equal(command.config.mongodbUri, undefined);
    assert.equal(command.config.dbPath, ".kitaru/kitaru.db", "no MongoDB URI: the embedded store's default file");
    const fromEnv = runner(["--flows", "f.ts"], { KITARU_DB_PATH: "/var/lib/kitaru/k.db" });
    assert.equal(fromEnv.kind === "serve" && fromEnv.config.dbPath, "/var/lib/kitaru/k.db");
  });

  it("names the flag and the variable of a bad value", () => {
    assert.throws(
      () => runner(["--flows", "f.ts"], { KITARU_RUNNER_PORT: "http" }),
      (e: unknown) => e instanceof KitaruUsageError && /--port \/ KITARU_RUNNER_PORT/.test(e.message),
    );
    assert.throws(
      () => runner(["--flows", "f.ts", "--mongodb-uri", "postgres://x"]),
      (e: unknown) => e instanceof KitaruUsageError && /--mongodb-uri \/ MONGODB_URI: must start with mongodb:\/\//.test(e.message),
    );
  });

  it("requires the flows module and a heartbeat shorter than the lease", () => {
    // Issue 19 item 10: "is required", naming the flag and the variable (was: zod's "expected string, received undefined").
    for (const argv of [[], ["--flows", ""]]) {
      assert.throws(
        () => runner(argv),
        (e: unknown) =>
          e instanceof KitaruUsageError &&
          e.message ===
            "Invalid configuration: --flows / KITARU_FLOWS is required: give the module that exports your flow(...) objects, e.g. --flows ./flows.ts.",
      );
    }
    assert.throws(
      () => runner(["--flows", "f.ts", "--lease-ttl-ms", "1000", "--heartbeat-ms", "1000"]),
      (e: unknown) => e instanceof KitaruUsageError && /heartbeat-ms.*shorter than the lease/.test(e.message),
    );
  });

  it("refuses unknown flags with the help text and answers --help", () => {
    assert.throws(
      () => runner(["--flow", "f.ts"]),
      (e: unknown) => e instanceof KitaruUsageError && /Unknown option '--flow'[\s\S]*HELP/.test(e.message),
    );
    assert.deepEqual(runner(["-h"]), { kind: "help", text: "HELP" });
  });

  it("validates the planner's runner URL", () => {
    assert.throws(
      () => parseServiceCommand(["--runner-url", "runner:50051"], { schema: PlannerConfigSchema, settings: plannerSettings.sources, help: "", env: {} }),
      (e: unknown) => e instanceof KitaruUsageError && /--runner-url \/ KITARU_RUNNER_URL/.test(e.message),
    );
  });
});
