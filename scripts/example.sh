#!/usr/bin/env bash
# The main job: runs the replay example end to end on the local default
# database (a FerretDB kept in .cache/kitaru-data, or MONGODB_URI when set).
# Installs what it needs first; see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-node-deps.sh
bash scripts/ferretdb/build.sh >/dev/null
exec node --import tsx examples/replay/run-end-to-end.ts
