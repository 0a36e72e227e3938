#!/usr/bin/env bash
# Builds the npm package's dist/: the product code (proto/ts, services,
# clients/ts, clients/cli) compiled to ES modules with declaration files.
# `npm pack` runs it (prepack); the repository itself runs the TypeScript
# sources (package.json "source" conditions) and never needs dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npx --no-install tsc -p tsconfig.build.json
# The compiled tree must not reach back into sources: a relative `.ts`
# specifier left in emitted JavaScript would only load under tsx. (`#gen/*.ts`
# and `#contract/*.ts` are fine: package.json "imports" maps them to dist/*.js.)
relative_ts='^(import|export) .*"\.{1,2}/[^"]*\.ts"|import\("\.{1,2}/[^"]*\.ts"\)'
if grep -rEq --include='*.js' "$relative_ts" dist; then
  echo "build-package: emitted JavaScript still imports .ts files:" >&2
  grep -rEn --include='*.js' "$relative_ts" dist | head -5 >&2
  exit 1
fi
echo "built dist/ ($(find dist -name '*.js' | wc -l | tr -d ' ') modules)" >&2
