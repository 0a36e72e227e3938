#!/usr/bin/env bash
# Installs the npm packages exactly as locked (npm ci), unless node_modules
# already matches package-lock.json (compared against npm's own record of
# the install, node_modules/.package-lock.json). Idempotent; used by
# scripts/example.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

node_modules_fresh() {
  [[ -f node_modules/.package-lock.json ]] || return 1
  node - <<'JS'
const fs = require("node:fs");
const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages ?? {};
const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages ?? {};
const problems = [];
for (const [key, entry] of Object.entries(want)) {
  if (key === "" || !key.startsWith("node_modules/")) continue;
  const got = have[key];
  if (!got) {
    if (!entry.optional) problems.push(`missing ${key}`); // optional: other platforms' binaries
  } else if (got.version !== entry.version) {
    problems.push(`${key} ${got.version} != ${entry.version}`);
  } else if (!fs.existsSync(`${key}/package.json`)) {
    problems.push(`missing on disk ${key}`);
  }
}
for (const key of Object.keys(have)) if (!(key in want)) problems.push(`extra ${key}`);
if (problems.length) {
  console.error(`node_modules is stale: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? "; ..." : ""}`);
  process.exit(1);
}
JS
}

if node_modules_fresh; then
  echo "node_modules matches package-lock.json" >&2
  exit 0
fi
echo "installing npm packages (npm ci)..." >&2
# npm 11 may warn that install scripts (buf, esbuild, protobufjs) were not
# approved; the project does not need them, and warnings do not fail npm ci.
npm ci --no-audit --no-fund </dev/null >&2
node_modules_fresh || { echo "node_modules still differs from package-lock.json after npm ci" >&2; exit 1; }
