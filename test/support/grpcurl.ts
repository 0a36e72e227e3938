import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The grpcurl binary: $GRPCURL, or the one scripts/install-grpcurl.sh
 * installs (it runs here when needed; tests never skip for lack of it).
 */
export async function grpcurlPath(): Promise<string> {
  const fromEnv = process.env["GRPCURL"];
  if (fromEnv) return fromEnv;
  const { stdout } = await run("bash", [`${repoRoot}scripts/install-grpcurl.sh`], { timeout: 600_000 });
  const path = stdout.trim();
  assert.ok(existsSync(path), `install-grpcurl.sh printed ${path}, which does not exist`);
  return path;
}
