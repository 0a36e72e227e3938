#!/usr/bin/env bash
# Builds the npm package's dist/: the product code (proto/ts, services,
# clients/ts, clients/cli) compiled to ES modules with declaration files, and
# the console's page (clients/console) bundled into dist/console/.
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
# The console's page: static assets bundled by esbuild (a devDependency), served by `kitaru console`.
node --conditions=kitaru-source --import tsx scripts/build-console-page.ts dist/console
[[ -f dist/console/index.html && -f dist/console/console.js ]] || { echo "build-package: the console page was not built" >&2; exit 1; }
echo "built dist/ ($(find dist -name '*.js' | wc -l | tr -d ' ') modules, and the console page in dist/console/)" >&2
