#!/usr/bin/env bash
# The main job: runs the replay example end to end on the runner's default
# store (the embedded SQLite file .kitaru/kitaru.db, or MongoDB when
# MONGODB_URI is set). Installs the npm packages first (no Go needed); see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-node-deps.sh
# Run from the sources: the package's own imports resolve to them (package.json "kitaru-source").
exec node --conditions=kitaru-source --import tsx examples/replay/run-end-to-end.ts
