#!/usr/bin/env bash
# The fault suite (test/faults/, docs/chaos.md), alone, printing its figures in
# one summary line:
#
#   bash scripts/faults.sh          # or: npm run test:faults
#
# Runs the suite's files one at a time (their timings must not share the
# CPU) with node:test through tsx, the spec reporter's output going to a log
# that is printed only when a test fails, then prints the line
# `faults: runner kills ...; db kills ...; ...`. Exits non-zero when a test
# failed. Sizes (defaults in brackets): KITARU_FAULTS_RUNNER_KILLS [10],
# KITARU_FAULTS_DB_KILLS [3], KITARU_FAULTS_DB_DOWN_MS [4000],
# KITARU_FAULTS_BACKGROUND [300], KITARU_FAULTS_RACERS [1000],
# KITARU_FAULTS_FUZZ_REQUESTS [10000], KITARU_FAULTS_FUZZ_SEED [time],
# KITARU_FAULTS_WATCHERS [500]; KITARU_FAULTS_VERBOSE=1 streams the test
# output instead of keeping it for failures. Needs the npm packages and
# FerretDB (built into .cache/ by scripts/ferretdb/build.sh if missing).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
cd "$repo_root"

bash scripts/install-node-deps.sh >&2
bash scripts/ferretdb/build.sh >/dev/null

report="$(mktemp "${TMPDIR:-/tmp}/kitaru-faults.XXXXXX.jsonl")"
log="$(mktemp "${TMPDIR:-/tmp}/kitaru-faults.XXXXXX.log")"
trap 'rm -f "$report" "$log"' EXIT

shopt -s nullglob
files=(test/faults/*.test.ts)
shopt -u nullglob
[[ ${#files[@]} -gt 0 ]] || { echo "error: no test/faults/*.test.ts" >&2; exit 1; }

started=$SECONDS
set +e
if [[ "${KITARU_FAULTS_VERBOSE:-}" == "1" ]]; then
  KITARU_FAULTS_REPORT="$report" node --import tsx --test --test-force-exit --test-concurrency=1 \
    --test-timeout="${KITARU_TEST_TIMEOUT_MS:-600000}" --test-reporter=spec "${files[@]}" </dev/null 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
else
  KITARU_FAULTS_REPORT="$report" node --import tsx --test --test-force-exit --test-concurrency=1 \
    --test-timeout="${KITARU_TEST_TIMEOUT_MS:-600000}" --test-reporter=spec "${files[@]}" </dev/null >"$log" 2>&1
  status=$?
fi
set -e
if [[ $status -ne 0 && "${KITARU_FAULTS_VERBOSE:-}" != "1" ]]; then
  cat "$log" >&2
fi
# node --test exits 0 when it ran nothing: the summary says which scenarios reported.
node --import tsx test/faults/summary.ts "$report" --all --seconds $((SECONDS - started))
[[ $status -eq 0 ]] || { echo "FAILED: the fault suite (exit $status)" >&2; exit "$status"; }
[[ $(wc -l <"$report") -gt 0 ]] || { echo "FAILED: no scenario reported figures" >&2; exit 1; }
