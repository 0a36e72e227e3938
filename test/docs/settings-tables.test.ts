// @tier unit
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DEPLOYMENT_DOC, withSettingsTables } from "../../scripts/settings-tables.ts";
import { runnerSettings } from "../../services/runner/src/config.ts";

describe("docs/deployment.md's settings tables", () => {
  it("are the ones the services' settings tables produce (run scripts/settings-tables.ts after changing a setting)", () => {
    const doc = readFileSync(DEPLOYMENT_DOC, "utf8");
    assert.equal(doc, withSettingsTables(doc));
  });

  it("list every runner setting with its variable and default", () => {
    const doc = readFileSync(DEPLOYMENT_DOC, "utf8");
    for (const setting of Object.values(runnerSettings.table)) {
      assert.ok(doc.includes(`| \`--${setting.flag}\` | \`${setting.env}\` |`), setting.flag);
    }
    assert.ok(doc.includes("| `--lease-ttl-ms` | `KITARU_LEASE_TTL_MS` | `15000` |"));
  });
});
