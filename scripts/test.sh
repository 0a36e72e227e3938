#!/usr/bin/env bash
# THE test command of kitaru (README's second set-up command, `npm test`, and
# `.ci/run` on a clean checkout). Works from a fresh clone with no stdin:
#
#   bash scripts/test.sh                      # set up, run every check and every test
#   bash scripts/test.sh test/a.test.ts ...   # set up, run only these test files (no checks)
#
# 1. Set-up, each step idempotent and cached (skipped when already done):
#    - `npm ci` when node_modules is missing or differs from package-lock.json
#      (compared with npm's own record, node_modules/.package-lock.json);
#    - FerretDB (scripts/ferretdb/build.sh), grpcurl (scripts/install-grpcurl.sh),
#      both built with Go into .cache/;
#    - the Python client venv and stubs (scripts/install-python-client.sh);
#    - Debian's chromium for the console's browser tests (scripts/install-chromium.sh).
# 2. Checks (full run only; all run, failures are reported together):
#    - buf lint, buf format;
#    - generated code up to date: `buf generate` must not change proto/ts/gen;
#      under CI=true also `git diff --exit-code` and no untracked files there
#      (locally, uncommitted generated files are only reported);
#    - buf breaking, against a base commit chosen as follows (printed):
#        a. the merge-base with origin/main, if origin/main exists and that
#           merge-base is not HEAD itself (i.e. on a branch ahead of main);
#        b. else HEAD~1, if it exists and has a proto/ directory (on main:
#           the last commit's contract changes must not break the previous ones);
#        c. else skipped with a note (first commit, shallow clone).
#      The working tree (committed or not) is compared with that commit.
#    - tsc -p . (type check, no emit), and tsc -p clients/console (the
#      console's browser page, checked against the DOM library).
#    - Biome (biome.jsonc): formatting and lint of the TypeScript, scripts and
#      JSON configuration; `npm run format` fixes what it can. A finding fails
#      the run.
#    - dead exports: product exports that nothing imports, beyond the known ones
#      in scripts/dead-exports.baseline (scripts/dead-exports.ts).
# 3. Tests: every test/**/*.test.ts (or the files given), with node:test
#    through tsx, on the store KITARU_TEST_STORE names (default sqlite: the
#    embedded store; mongo: MONGODB_URI or a local FerretDB). A full run runs
#    the fault suite (test/faults/) in a section of its own, one file at a
#    time, and prints its summary line `faults: ...` (also printed when fault
#    suite files are given); then it runs the store-heavy integration files
#    again on MongoDB (see below).
#    Fails when a test fails or is cancelled, when no test file is found, or
#    when zero tests passed in a pass (Node 20 exits 0 when it finds nothing).
#    The last line printed is `N passed, N failed` (`, N skipped` if any),
#    summed over the passes.
#
# Concurrency: KITARU_TEST_CONCURRENCY test files at once, default 2. Each file
# uses its own SQLite files (or FerretDB) and servers on port 0, so files do not collide.
# Measured on 2 cores (37 files): 1 → 73 s, 2 → 59 s, 3 → 55 s, 4 → 58 s;
# 2 keeps most of the gain and leaves CPU headroom for the timing-sensitive
# tests (lease takeover, crash recovery).
# Time limits: KITARU_TEST_TIMEOUT_MS per test (default 600000), and
# KITARU_TEST_RUN_TIMEOUT_S for the whole test run (default 2700, well inside
# CI's 90 minutes). Test files are run with --test-force-exit, so a file
# whose failed test leaked a handle still ends.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
cd "$repo_root"

export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
export NPM_CONFIG_PROGRESS=false

concurrency="${KITARU_TEST_CONCURRENCY:-2}"
test_timeout_ms="${KITARU_TEST_TIMEOUT_MS:-600000}"
run_timeout_s="${KITARU_TEST_RUN_TIMEOUT_S:-2700}"

started_at=$SECONDS
section() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
  printf '\nerror: %s\n' "$*" >&2
  exit 1
}
timed() { # timed <label> <command...>: runs it, prints how long it took
  local label="$1" t0=$SECONDS
  shift
  "$@"
  note "$label: $((SECONDS - t0))s"
}

# A clone owned by another user makes git refuse to work ("dubious
# ownership"); trust this one repository for git and for buf's git input.
if command -v git >/dev/null 2>&1 && [[ -e .git ]] && ! git rev-parse --git-dir >/dev/null 2>&1; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$repo_root"
fi
in_git=0
if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then in_git=1; fi

# --- test files (validated before the long set-up) ---------------------------
shopt -s globstar nullglob
full_run=1
if [[ $# -gt 0 ]]; then
  full_run=0
  files=()
  for f in "$@"; do
    [[ -f "$f" ]] || die "no such test file: $f"
    files+=("$f")
  done
else
  # The fault suite runs in a section of its own (below), one file at a time.
  files=()
  for f in test/**/*.test.ts; do [[ "$f" == test/faults/* ]] || files+=("$f"); done
  fault_files=(test/faults/*.test.ts)
fi
shopt -u globstar nullglob
[[ ${#files[@]} -gt 0 ]] || die "no test files found (test/**/*.test.ts)"
# Fault suite files given alone run one at a time, as in a full run (they measure timings and CPU).
if [[ $full_run -eq 0 && -z "${KITARU_TEST_CONCURRENCY:-}" ]]; then
  only_faults=1
  for f in "${files[@]}"; do [[ "$f" == test/faults/* ]] || only_faults=0; done
  [[ $only_faults -eq 0 ]] || concurrency=1
fi

# The repository runs its TypeScript sources: the package's own imports
# (`kitaru`, `#gen/*`, `#contract/*`) resolve to them through package.json's
# "kitaru-source" condition, in this process and every node child it starts.
export NODE_OPTIONS="--conditions=kitaru-source${NODE_OPTIONS:+ $NODE_OPTIONS}"

# --- 1. set-up ---------------------------------------------------------------
section "Node dependencies"
command -v node >/dev/null 2>&1 || die "node is not on PATH (need Node >= 20.19)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
note "node $(node --version), npm $(npm --version)"

# Exit 0 when node_modules matches package-lock.json (per npm's hidden lockfile).
timed "npm packages" bash scripts/install-node-deps.sh

section "Tools (cached in ${KITARU_CACHE_DIR:-.cache}/)"
# Each prints its result path on stdout (not needed here) and progress on stderr.
quiet() { "$@" >/dev/null; }
timed "FerretDB" quiet bash scripts/ferretdb/build.sh
timed "grpcurl" quiet bash scripts/install-grpcurl.sh
timed "Python client" quiet bash scripts/install-python-client.sh
timed "Go client" quiet bash scripts/install-go-client.sh
# Debian's chromium, for the console's browser tests (test/console/); apt-get only when missing.
timed "Chromium" quiet bash scripts/install-chromium.sh

# --- 2. checks ---------------------------------------------------------------
failed_checks=()
check() { # check <name> <command...>: runs it, records a failure, never exits
  local name="$1" t0=$SECONDS
  shift
  printf -- '--- %s\n' "$name"
  if "$@"; then
    note "ok ($((SECONDS - t0))s)"
  else
    note "FAILED: $name"
    failed_checks+=("$name")
  fi
}

gen_snapshot() {
  if [[ -d proto/ts/gen ]]; then
    (cd proto/ts/gen && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  fi
}

generated_code_up_to_date() {
  local before after
  before="$(gen_snapshot)"
  npx --no-install buf generate || return 1
  after="$(gen_snapshot)"
  if [[ "$before" != "$after" ]]; then
    echo "    proto/ts/gen was out of date with proto/: 'buf generate' changed it (now regenerated; review and commit):"
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed -n 's/^[<>] [0-9a-f]*  \.\//      /p' | sort -u
    [[ $in_git -eq 1 ]] && git --no-pager diff --stat -- proto/ts/gen
    return 1
  fi
  [[ $in_git -eq 1 ]] || return 0
  local untracked status=0
  untracked="$(git ls-files --others --exclude-standard -- proto/ts/gen)"
  if [[ "${CI:-}" == "true" ]]; then
    git --no-pager diff --exit-code --stat -- proto/ts/gen || status=1
    if [[ -n "$untracked" ]]; then
      printf '    untracked generated files (commit them):\n%s\n' "$untracked"
      status=1
    fi
  elif ! git diff --quiet -- proto/ts/gen || [[ -n "$untracked" ]]; then
    echo "    note: proto/ts/gen matches proto/ but has uncommitted changes (CI checks committed files)"
  fi
  return $status
}

breaking_against() { # prints "<commit> <description>" or nothing
  [[ $in_git -eq 1 ]] || return 0
  local head base
  head="$(git rev-parse HEAD 2>/dev/null)" || return 0
  if git rev-parse --verify -q origin/main >/dev/null; then
    base="$(git merge-base origin/main HEAD 2>/dev/null || true)"
    if [[ -n "$base" && "$base" != "$head" ]]; then
      echo "$base merge-base-with-origin/main"
      return 0
    fi
  fi
  if base="$(git rev-parse --verify -q 'HEAD~1^{commit}')" && [[ "$(git cat-file -t "$base:proto" 2>/dev/null)" == "tree" ]]; then
    echo "$base HEAD~1"
  fi
}

# Formatting and lint (Biome): a finding fails the run.
biome_check() {
  if npx --no-install biome check --error-on-warnings --max-diagnostics=20; then return 0; fi
  echo "    to fix: npm run format (formats the tree and applies the safe fixes; review with git diff),"
  echo "    then fix by hand what it still lists (or add '// biome-ignore lint/<group>/<rule>: <reason>')"
  return 1
}

dead_exports() {
  node --conditions=kitaru-source --import tsx scripts/dead-exports.ts --summary && return 0
  echo "    to see them all: node --conditions=kitaru-source --import tsx scripts/dead-exports.ts"
  return 1
}

no_breaking_changes() {
  local against
  against="$(breaking_against)"
  if [[ -z "$against" ]]; then
    echo "    skipped: no base commit to compare with (no origin/main ahead-of base, no HEAD~1 with proto/;"
    echo "    first commit or shallow clone)"
    return 0
  fi
  echo "    against ${against#* } (${against%% *})"
  npx --no-install buf breaking --against ".git#ref=${against%% *}"
}

if [[ $full_run -eq 1 ]]; then
  section "Checks"
  check "buf lint" npx --no-install buf lint
  check "buf format" npx --no-install buf format --diff --exit-code
  check "generated code up to date" generated_code_up_to_date
  check "buf breaking" no_breaking_changes
  check "tsc" npx --no-install tsc -p .
  check "tsc (console page, DOM)" npx --no-install tsc -p clients/console
  check "biome (format, lint)" biome_check
  check "dead exports" dead_exports
else
  section "Checks skipped (test files given)"
fi

# --- 3. tests ----------------------------------------------------------------
# The spec reporter writes to stdout, which is copied to a log for the counts.
# (A second reporter writing to a file loses its end under --test-force-exit:
# file streams are asynchronous, pipes and terminals are not.)
logs=()
trap 'rm -f "${logs[@]}"' EXIT
color=()
[[ -t 1 ]] && color=(env FORCE_COLOR=1) # keep colors on a terminal despite the pipe

problems=()
[[ ${#failed_checks[@]} -eq 0 ]] || problems+=("checks failed: $(IFS=,; echo "${failed_checks[*]}" | sed 's/,/, /g')")
pass=0 failed_total=0 skipped_total=0

run_tests() { # run_tests <label> <file...>: one test pass; adds its counts and problems to the totals
  local label="$1" log t0 status
  shift
  log="$(mktemp "${TMPDIR:-/tmp}/kitaru-tests.XXXXXX.log")"
  logs+=("$log")
  # --test-force-exit: a test file whose tests are done exits even if a failed
  # test left a handle open (a server, a client, a timer); without it Node
  # waits for that file forever.
  local cmd=(node --conditions=kitaru-source --import tsx --test --test-force-exit
    --test-concurrency="$concurrency" --test-timeout="$test_timeout_ms"
    --test-reporter=spec --test-reporter-destination=stdout "$@")
  if command -v timeout >/dev/null 2>&1; then
    cmd=(timeout --kill-after=30 "$run_timeout_s" "${cmd[@]}")
  fi
  t0=$SECONDS
  set +e
  "${color[@]}" "${cmd[@]}" </dev/null | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  note "$label: $((SECONDS - t0))s (exit $status)"
  [[ $status -eq 124 || $status -eq 137 ]] && note "the test run hit its ${run_timeout_s}s limit (KITARU_TEST_RUN_TIMEOUT_S)"

  count() { # the last "ℹ <name> N" summary line of the spec reporter (column 0), or empty
    sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n "s/^ℹ $1 \([0-9][0-9]*\)\$/\1/p" | tail -n 1
  }
  local tests passed failed cancelled skipped todo
  tests="$(count tests)"
  passed="$(count pass)"
  failed="$(count fail)"
  cancelled="$(count cancelled)"
  skipped="$(count skipped)"
  todo="$(count todo)"
  if [[ -z "$tests" || -z "$passed" ]]; then
    problems+=("$label: the test runner printed no summary (exit $status)")
  else
    [[ "$tests" -gt 0 ]] || problems+=("$label: the test runner found 0 tests")
    [[ "$passed" -gt 0 ]] || problems+=("$label: 0 tests passed")
  fi
  local failures=$(( ${failed:-0} + ${cancelled:-0} ))
  [[ $failures -eq 0 ]] || problems+=("$label: $failures test(s) failed or were cancelled")
  [[ $status -eq 0 ]] || problems+=("$label: the test runner exited with $status")
  pass=$(( pass + ${passed:-0} ))
  failed_total=$(( failed_total + failures ))
  skipped_total=$(( skipped_total + ${skipped:-0} + ${todo:-0} ))
}

# The fault suite's scenarios (test/faults/) append their figures to a
# report file; test/faults/summary.ts prints them as one line.
faults_report="$(mktemp "${TMPDIR:-/tmp}/kitaru-faults.XXXXXX.jsonl")"
logs+=("$faults_report")
export KITARU_FAULTS_REPORT="$faults_report"
faults_line() { # faults_line [--all]: the fault suite's summary line
  node --import tsx test/faults/summary.ts "$faults_report" "$@" || true
}

store="${KITARU_TEST_STORE:-sqlite}"
section "Tests: ${#files[@]} file(s) on the $store store, concurrency $concurrency"
run_tests "tests" "${files[@]}"
fault_lines=()
if [[ $full_run -eq 0 && -s "$faults_report" ]]; then
  fault_lines+=("$(faults_line)")
  printf '\n%s\n' "${fault_lines[0]}"
fi

# The fault suite (docs/chaos.md): real processes killed, the database
# killed and restarted, racing inputs, a fuzzer; its files one at a time,
# since each measures timings and CPU. About 4 minutes on 2 cores; sizes
# from KITARU_FAULTS_* (scripts/faults.sh runs it alone).
if [[ $full_run -eq 1 ]]; then
  section "Fault suite: ${#fault_files[@]} file(s), one at a time"
  : >"$faults_report"
  saved_concurrency=$concurrency
  concurrency=1
  run_tests "fault suite" "${fault_files[@]}"
  concurrency=$saved_concurrency
  fault_lines+=("$(faults_line --all)")
  printf '\n%s\n' "${fault_lines[0]}"
fi

# The default run uses the embedded SQLite store. On a full run, the
# integration tests that exercise the store hardest (durability, waits,
# concurrent input, crash recovery and crash points, replay) run once more on
# the MongoDB store (MONGODB_URI or a local FerretDB), so both stores are
# covered end to end; the store conformance suite (test/store/) covers both
# in the first pass. About 30 s on 2 cores.
mongo_files=(
  test/runner/durable-flow.test.ts
  test/runner/waits.test.ts
  test/runner/concurrent-input.test.ts
  test/runner/crash-recovery.test.ts
  test/chaos/crash-points.test.ts
  test/chaos/missed-input.test.ts
  test/replay/replay-e2e.test.ts
  test/engine/override-wins.test.ts
  test/runner/observability.test.ts
  test/runner/operator-keys.test.ts
  test/runner/odd-keys.test.ts
  test/replay/override-types-e2e.test.ts
)
if [[ $full_run -eq 1 && "$store" != "mongo" ]]; then
  section "Tests again on the MongoDB store: ${#mongo_files[@]} integration file(s)"
  KITARU_TEST_STORE=mongo run_tests "tests on MongoDB" "${mongo_files[@]}"
fi

printf '\n'
[[ ${#fault_lines[@]} -eq 0 ]] || printf '%s\n' "${fault_lines[@]}"
for p in "${problems[@]}"; do printf 'FAILED: %s\n' "$p"; done
[[ ${#problems[@]} -eq 0 ]] && note "all good in $((SECONDS - started_at))s" || note "finished in $((SECONDS - started_at))s"
summary="$pass passed, $failed_total failed"
[[ $skipped_total -eq 0 ]] || summary+=", $skipped_total skipped"
printf '%s\n' "$summary"
[[ ${#problems[@]} -eq 0 ]]
