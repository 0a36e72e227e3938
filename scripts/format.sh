#!/usr/bin/env bash
# Formats the tree and applies Biome's safe lint fixes, in place (biome.jsonc says which
# files: hand-written TypeScript, scripts and JSON configuration; never generated code).
#
#   bash scripts/format.sh            # the whole tree (npm run format)
#   bash scripts/format.sh path ...   # only these files or folders
#
# Review the result with `git diff` and commit it. Findings without a safe fix are printed
# at the end and make it exit 1; fix them by hand (or, where the code is right, add a
# `// biome-ignore lint/<group>/<rule>: <reason>` comment), then `npm run lint` is clean.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -gt 0 ]] || set -- .
exec npx --no-install biome check --write --error-on-warnings --max-diagnostics=none "$@"
