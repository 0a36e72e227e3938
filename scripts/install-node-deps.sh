#!/usr/bin/env bash
# Installs the npm packages exactly as locked (npm ci), unless node_modules
# already matches package-lock.json. Idempotent; safe to run before every command.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.kitaru-lock-stamp
want="$(node -e 'const c=require("crypto");process.stdout.write(c.createHash("sha256").update(require("fs").readFileSync("package-lock.json")).digest("hex")+" "+process.version)')"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "installing npm packages (npm ci)..." >&2
# npm 11 warns that dependency install scripts (buf, esbuild, protobufjs) are not
# approved; the packages work without them, so the warning is harmless.
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" > "$stamp"
