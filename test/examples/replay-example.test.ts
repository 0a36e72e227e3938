import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { stopTestServer, testDatabase } from "../support/database.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function run(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=kitaru-source", "--import", "tsx", "examples/replay/run-end-to-end.ts"], { cwd: root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the replay example (README's first command)", () => {
  after(async () => {
    await stopTestServer();
  });

  it("runs the pipeline, replays it from write_draft with an override, and prints what was reused", async () => {
    const db = await testDatabase();
    const env = { ...process.env, ...db.runnerEnv };
    const { code, stdout, stderr } = await run(env);
    assert.equal(code, 0, `example failed:\n${stdout}\n${stderr}`);
    const original = /Original execution: (kr-[a-z2-7]+)/.exec(stdout)?.[1];
    const replayed = /Replayed execution: (kr-[a-z2-7]+)/.exec(stdout)?.[1];
    assert.ok(original && replayed && original !== replayed, stdout);
    assert.match(stdout, new RegExp(`original_exec_id: ${original}`));
    assert.match(stdout, /research: reused from call-[a-z2-7]+ \(output overridden\)/);
    assert.match(stdout, /write_draft: completed/);
    assert.match(stdout, /publish: completed/);
    assert.match(stdout, /"title":"New topic","body":"Edited notes In short: New topic deserves a closer look\."/);
  });
});
