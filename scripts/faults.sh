#!/usr/bin/env bash
# The fault suite alone (test/faults/, docs/chaos.md): the `faults` stage of
# scripts/test.sh, kept under this name for muscle memory.
#
#   bash scripts/faults.sh          # = npm run test:faults = bash scripts/test.sh faults
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/test.sh" faults "$@"
