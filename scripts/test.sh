#!/usr/bin/env bash
# THE test command of kitaru (README's second set-up command, `npm test`, and
# `.ci/run` on a clean checkout). Works from a fresh clone with no stdin:
#
#   bash scripts/test.sh                      # every stage below, in this order
#   bash scripts/test.sh unit integration     # the stages named, in the order given
#   bash scripts/test.sh test/a.test.ts ...   # set up, run only these test files (no checks)
#
# Stages (each also an npm script: `npm run setup`, `npm run check`,
# `npm run test:unit`, ...; CONTRIBUTING.md, "Test tiers", says which tier a
# test belongs in):
#
#   setup        everything any stage needs, each step idempotent and cached:
#                `npm ci` when node_modules differs from package-lock.json
#                (npm's own record, node_modules/.package-lock.json); FerretDB
#                and grpcurl built with Go into .cache/; the Python client venv;
#                the Go client; Debian's chromium for the browser tests. A test
#                stage runs only the steps it needs (unit: the npm packages).
#   check        buf lint, buf format; generated code up to date (`buf generate`
#                must not change proto/ts/gen; under CI=true also committed, no
#                untracked files there); buf breaking against a base commit (a.
#                the merge-base with origin/main when on a branch ahead of it;
#                b. else HEAD~1 if it has a proto/ directory; c. else skipped
#                with a note); tsc -p . and tsc -p clients/console (the page,
#                against the DOM library); Biome (format and lint; `npm run
#                format` fixes what it can); dead exports beyond
#                scripts/dead-exports.baseline. All run; failures are reported
#                together.
#   unit         test files whose first line is `// @tier unit`: no process
#                started (test/support/unit-tier-preload.ts installs the
#                guard of no-processes.ts: spawn, exec, fork and worker
#                threads throw), on the embedded store, the files dealt into
#                4 test processes (below); about 15 s of CPU in all (the
#                target: 60 s on 2 cores).
#   integration  every other test file outside the directories below (the
#                default tier of a new file): services in-process and in child
#                processes, the CLI, the store conformance suite on both stores;
#                then, on the embedded store, the MongoDB pass: the files that
#                work the store hardest again on MongoDB (MONGODB_URI or a
#                local FerretDB).
#   faults       test/faults/ (docs/chaos.md): runners, planners and the
#                database killed, racing inputs, a fuzzer; one file at a time
#                (they measure timings and CPU), then its crash-point files on
#                MongoDB; prints the line `faults: ...`.
#   release      test/package/ (the packed package installed in a project of
#                its own; `npm pack` runs once for the tier, and the install
#                reuses the repository's better-sqlite3 binary instead of
#                compiling it), test/deploy/ (docker-compose's commands),
#                test/clients/ (the Python and Go clients, their generated
#                code), test/console/ (the page in a browser).
#
# Which files a tier runs is decided by scripts/test-tiers.ts (the `@tier`
# line, else the directory); there is no list to update for a new file.
# Tests run with node:test through tsx on the store KITARU_TEST_STORE names
# (default sqlite: the embedded store; mongo: MONGODB_URI or a local
# FerretDB; the unit tier always uses the embedded store). Given files run as
# their tiers would (a unit file with the guard, fault files one at a time),
# each file in a process of its own.
#
# A stage fails when a check fails, a test fails or is cancelled, no test file
# is found, or zero tests passed in a pass (Node 20 exits 0 when it finds
# nothing); the other stages still run. The end is a table of the passes
# (tests passed, failed, skipped, seconds), a line `WHY: <pass>: <test>: <its
# error>` per failed test (so the last lines of a CI log say why, not only
# what), and one line, prefixed `FAILED: ` when anything failed (the reasons
# are listed above it):
#   `N passed, N failed[, N skipped] (setup ok, checks ok, unit N, integration N, ...) in Ns`.
#
# Concurrency: KITARU_TEST_CONCURRENCY test files at once, default 2 (the
# fault suite: 1; unit files given by name: 4, being short and half timers).
# The unit tier runs KITARU_TEST_UNIT_SHARDS processes at once (default 4),
# each importing a quarter of its files (see unit_shards).
# Each file uses its own SQLite files (or FerretDB) and servers on port 0,
# so files do not collide. Measured on 2 cores (37 files, before the tiers):
# 1 → 73 s, 2 → 59 s, 3 → 55 s, 4 → 58 s; 2 keeps most of the gain and
# leaves CPU headroom for the timing-sensitive tests (lease takeover, crash
# recovery). Time limits: KITARU_TEST_TIMEOUT_MS per test (default 600000),
# and KITARU_TEST_RUN_TIMEOUT_S per pass (default 2700, well inside CI's 90
# minutes). Test files are run with --test-force-exit, so a file whose failed
# test leaked a handle still ends.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
cd "$repo_root"

export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
export NPM_CONFIG_PROGRESS=false

default_concurrency="${KITARU_TEST_CONCURRENCY:-2}"
# Unit files are short, and the engine's spend half their time in timers: 4 at once keep 2 cores busy.
unit_concurrency="${KITARU_TEST_CONCURRENCY:-4}"
test_timeout_ms="${KITARU_TEST_TIMEOUT_MS:-600000}"
run_timeout_s="${KITARU_TEST_RUN_TIMEOUT_S:-2700}"
store="${KITARU_TEST_STORE:-sqlite}"
STAGES=(setup check unit integration faults release)

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

# --- arguments (validated before the long set-up) ---------------------------
stages=()
given_files=()
if [[ $# -eq 0 ]]; then
  stages=("${STAGES[@]}")
else
  for arg in "$@"; do
    if [[ " ${STAGES[*]} " == *" $arg "* ]]; then
      stages+=("$arg")
    elif [[ -f "$arg" ]]; then
      given_files+=("$arg")
    else
      die "neither a stage (${STAGES[*]}) nor a test file: $arg"
    fi
  done
  [[ ${#stages[@]} -eq 0 || ${#given_files[@]} -eq 0 ]] || die "give stages or test files, not both"
fi

# The repository runs its TypeScript sources: the package's own imports
# (`kitaru`, `#gen/*`, `#contract/*`) resolve to them through package.json's
# "kitaru-source" condition, in this process and every node child it starts.
export NODE_OPTIONS="--conditions=kitaru-source${NODE_OPTIONS:+ $NODE_OPTIONS}"

# --- set-up steps (each at most once per run) --------------------------------
done_steps=" "
need() { # need <step>...: runs the set-up steps not yet done in this run
  local step new=()
  for step in "$@"; do [[ "$done_steps" == *" $step "* ]] || new+=("$step"); done
  [[ ${#new[@]} -gt 0 ]] || return 0
  section "Set-up: ${new[*]} (each step cached: quick when already done)"
  for step in "${new[@]}"; do
    done_steps+="$step "
    case "$step" in
      node)
        command -v node >/dev/null 2>&1 || die "node is not on PATH (need Node >= 20.19)"
        command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
        note "node $(node --version), npm $(npm --version)"
        # Exit 0 when node_modules matches package-lock.json (per npm's hidden lockfile).
        timed "npm packages" bash scripts/install-node-deps.sh
        ;;
      # Each prints its result path on stdout (not needed here) and progress on stderr.
      ferretdb) timed "FerretDB (${KITARU_CACHE_DIR:-.cache}/)" quiet bash scripts/ferretdb/build.sh ;;
      grpcurl) timed "grpcurl (${KITARU_CACHE_DIR:-.cache}/)" quiet bash scripts/install-grpcurl.sh ;;
      python) timed "Python client" quiet bash scripts/install-python-client.sh ;;
      go) timed "Go client" quiet bash scripts/install-go-client.sh ;;
      # Debian's chromium, for the console's browser tests (test/console/); apt-get only when missing.
      chromium) timed "Chromium" quiet bash scripts/install-chromium.sh ;;
      # The npm package, packed once for the release tier's files (test/support/installed-package.ts installs it).
      package) timed "npm pack" pack_once ;;
      *) die "unknown set-up step $step" ;;
    esac
  done
}
quiet() { "$@" >/dev/null; }
pack_once() {
  local dir log
  dir="$(mktemp -d "${TMPDIR:-/tmp}/kitaru-pack.XXXXXX")" log="$dir/pack.log"
  temp_dirs+=("$dir")
  # As a user's shell would (no kitaru-source condition); prepack builds dist/ first.
  if ! env -u NODE_OPTIONS npm pack --pack-destination "$dir" >"$log" 2>&1; then
    cat "$log"
    note "npm pack failed: the release tier's tests pack themselves (and report it)"
    return 0
  fi
  export KITARU_TEST_PACKAGE_TARBALL
  KITARU_TEST_PACKAGE_TARBALL="$(find "$dir" -name 'kitaru-*.tgz' | head -n 1)"
  note "$(basename "$KITARU_TEST_PACKAGE_TARBALL") ($(du -k "$KITARU_TEST_PACKAGE_TARBALL" | cut -f1) KiB)"
}
temp_dirs=()
ALL_STEPS=(node ferretdb grpcurl python go chromium)
steps_for_tier() { # the set-up steps a tier's tests need
  case "$1" in
    unit) echo node ;;
    integration) echo node ferretdb grpcurl ;;
    faults) echo node ferretdb ;;
    release) echo node ferretdb python go chromium package ;;
  esac
}

# --- the passes' bookkeeping -------------------------------------------------
# The spec reporter writes to stdout, which is copied to a log for the counts.
# (A second reporter writing to a file loses its end under --test-force-exit:
# file streams are asynchronous, pipes and terminals are not.)
logs=()
trap 'rm -rf "${logs[@]}" "${temp_dirs[@]}"' EXIT
color=()
[[ -t 1 ]] && color=(env FORCE_COLOR=1) # keep colors on a terminal despite the pipe

problems=()
failure_reasons=() # "<pass>: <test>: <first lines of its error>" per failed test, repeated in the summary
pass_rows=()     # "label|passed|failed|skipped|seconds" per pass, for the table
stage_notes=()   # "setup ok", "checks ok", "unit N", ... in the order the stages ran, for the last line
passed_total=0 failed_total=0 skipped_total=0
fault_lines=()
tests_ran=0

failure_reasons_in() { # failure_reasons_in <log> <label>: one line per failed test of the spec reporter's "failing tests" list
  # The test's name, then its error's lines up to the stack trace (at most
  # three), so the summary's tail says why and not only what failed.
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk -v label="$2" '
    /^✖ failing tests:/ { listing = 1; next }
    !listing { next }
    /^✖ / { flush(); name = substr($0, 5); sub(/ \([0-9.]+m?s\)$/, "", name); lines = 0; why = ""; next }
    name != "" && /^ +at / { flush(); next }
    name != "" && lines < 3 && /[^ ]/ { line = $0; sub(/^ +/, "", line); why = why (lines ? " / " : "") line; lines++ }
    function flush() { if (name != "") print label ": " name ": " substr(why, 1, 400); name = "" }
    END { flush() }'
}

tiers_of() { node --import tsx scripts/test-tiers.ts "$@"; }

run_tests() { # run_tests <label> <concurrency> <guard 0|1> <file...>: one test pass; adds its counts to the totals
  local label="$1" concurrency="$2" guard="$3" log t0 status
  shift 3
  tests_ran=1
  log="$(mktemp "${TMPDIR:-/tmp}/kitaru-tests.XXXXXX.log")"
  logs+=("$log")
  local preload=() tier_env=()
  # The guard, and KITARU_TEST_TIER=unit so test/architecture/no-processes.test.ts can check it was preloaded.
  [[ $guard -eq 1 ]] && preload=(--import ./test/support/unit-tier-preload.ts) tier_env=(env KITARU_TEST_TIER=unit)
  # --test-force-exit: a test file whose tests are done exits even if a failed
  # test left a handle open (a server, a client, a timer); without it Node
  # waits for that file forever.
  local cmd=(node --conditions=kitaru-source --import tsx "${preload[@]}" --test --test-force-exit
    --test-concurrency="$concurrency" --test-timeout="$test_timeout_ms"
    --test-reporter=spec --test-reporter-destination=stdout "$@")
  if command -v timeout >/dev/null 2>&1; then
    cmd=(timeout --kill-after=30 "$run_timeout_s" "${cmd[@]}")
  fi
  t0=$SECONDS
  set +e
  "${color[@]}" "${tier_env[@]}" "${cmd[@]}" </dev/null | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  local seconds=$((SECONDS - t0))
  note "$label: ${seconds}s (exit $status)"
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
  local failures=$((${failed:-0} + ${cancelled:-0}))
  [[ $failures -eq 0 ]] || problems+=("$label: $failures test(s) failed or were cancelled")
  [[ $failures -eq 0 ]] || mapfile -t -O "${#failure_reasons[@]}" failure_reasons < <(failure_reasons_in "$log" "$label")
  [[ $status -eq 0 ]] || problems+=("$label: the test runner exited with $status")
  passed_total=$((passed_total + ${passed:-0}))
  failed_total=$((failed_total + failures))
  skipped_total=$((skipped_total + ${skipped:-0} + ${todo:-0}))
  pass_rows+=("$label|${passed:-0}|$failures|$((${skipped:-0} + ${todo:-0}))|$seconds")
  last_passed=${passed:-0}
}

# The fault suite's scenarios (test/faults/) append their figures to a
# report file; test/faults/summary.ts prints them as one line.
faults_report="$(mktemp "${TMPDIR:-/tmp}/kitaru-faults.XXXXXX.jsonl")"
logs+=("$faults_report")
export KITARU_FAULTS_REPORT="$faults_report"
faults_line() { # faults_line [--all]: the fault suite's summary line
  node --import tsx test/faults/summary.ts "$faults_report" "$@" || true
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


run_checks() {
  local failed_checks=() t0=$SECONDS
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
  section "Checks"
  check "buf lint" npx --no-install buf lint
  check "buf format" npx --no-install buf format --diff --exit-code
  check "generated code up to date" generated_code_up_to_date
  check "buf breaking" no_breaking_changes
  check "tsc" npx --no-install tsc -p .
  check "tsc (console page, DOM)" npx --no-install tsc -p clients/console
  check "biome (format, lint)" biome_check
  check "dead exports" dead_exports
  if [[ ${#failed_checks[@]} -eq 0 ]]; then
    stage_notes+=("checks ok")
    pass_rows+=("checks|ok|||$((SECONDS - t0))")
  else
    problems+=("checks failed: $(IFS=,; echo "${failed_checks[*]}" | sed 's/,/, /g')")
    stage_notes+=("checks FAILED")
    pass_rows+=("checks|FAILED|||$((SECONDS - t0))")
  fi
}

# --- the tiers ----------------------------------------------------------------
run_tier() { # run_tier <tier>: its set-up, its files, and its MongoDB pass
  local tier="$1" files=() mongo_files=() t0=$SECONDS tier_passed=0
  # shellcheck disable=SC2046
  need $(steps_for_tier "$tier")
  mapfile -t files < <(tiers_of files "$tier")
  if [[ ${#files[@]} -eq 0 ]]; then
    problems+=("$tier: no test files found")
    return
  fi
  case "$tier" in
    unit)
      local shards
      mapfile -t shards < <(unit_shards "${files[@]}")
      section "Unit tier: ${#files[@]} file(s) in ${#shards[@]} processes, no process started"
      [[ "$store" == "sqlite" ]] || note "(on the embedded store: a unit test starts no database; KITARU_TEST_STORE=$store applies to the other tiers)"
      KITARU_TEST_STORE=sqlite run_tests "unit" "${#shards[@]}" 1 "${shards[@]}"
      tier_passed=$last_passed
      ;;
    faults)
      # The fault suite (docs/chaos.md): real processes killed, the database
      # killed and restarted, racing inputs, a fuzzer; one file at a time,
      # since each measures timings and CPU. Sizes from KITARU_FAULTS_*.
      section "Fault suite: ${#files[@]} file(s) on the $store store, one at a time"
      : >"$faults_report"
      run_tests "faults" 1 0 "${files[@]}"
      tier_passed=$last_passed
      fault_lines+=("$(faults_line --all)")
      printf '\n%s\n' "${fault_lines[-1]}"
      ;;
    *)
      section "${tier^} tier: ${#files[@]} file(s) on the $store store, concurrency $default_concurrency"
      run_tests "$tier" "$default_concurrency" 0 "${files[@]}"
      tier_passed=$last_passed
      ;;
  esac
  mapfile -t mongo_files < <(tiers_of mongodb "$tier")
  if [[ ${#mongo_files[@]} -gt 0 && "$store" != "mongo" ]]; then
    local concurrency=$default_concurrency
    [[ "$tier" == "faults" ]] && concurrency=1
    section "${tier^} tier again on the MongoDB store: ${#mongo_files[@]} file(s)"
    KITARU_TEST_STORE=mongo run_tests "$tier on MongoDB" "$concurrency" 0 "${mongo_files[@]}"
    tier_passed=$((tier_passed + last_passed))
  fi
  stage_notes+=("$tier $tier_passed")
  note "$tier tier: $((SECONDS - t0))s"
}

# The unit tier's files, dealt round-robin into KITARU_TEST_UNIT_SHARDS
# (default 4) entry modules, each run as one test process: a process per
# file would cost about 0.5 s of CPU for Node, tsx and the module graph,
# three times what the unit tests themselves use (measured: 43 s of CPU per
# file, 13 s in 4 shards). Prints the entry modules' paths.
unit_shards() {
  local dir count="${KITARU_TEST_UNIT_SHARDS:-4}" i=0 file
  dir="$(mktemp -d "${TMPDIR:-/tmp}/kitaru-unit.XXXXXX")"
  temp_dirs+=("$dir")
  (( count > $# )) && count=$#
  for file in "$@"; do
    printf 'import "%s/%s";\n' "$repo_root" "$file" >>"$dir/unit-shard-$((i % count + 1)).test.mts"
    i=$((i + 1))
  done
  find "$dir" -name 'unit-shard-*.test.mts' | sort
}

run_given_files() { # the files given on the command line, each group as its tier runs it
  local unit=() faults=() others=() tier file line tiers=()
  need node
  mapfile -t tiers < <(tiers_of of "${given_files[@]}")
  [[ ${#tiers[@]} -eq ${#given_files[@]} ]] || die "could not tell the tiers of the files given"
  for line in "${tiers[@]}"; do
    tier="${line%% *}" file="${line#* }"
    # shellcheck disable=SC2046
    need $(steps_for_tier "$tier")
    case "$tier" in
      unit) unit+=("$file") ;;
      faults) faults+=("$file") ;;
      *) others+=("$file") ;;
    esac
  done
  # A unit file on MongoDB needs its server.
  [[ ${#unit[@]} -eq 0 || "$store" != "mongo" ]] || need ferretdb
  section "Checks skipped (test files given)"
  if [[ ${#unit[@]} -gt 0 ]]; then
    # A unit test starts no process: guarded, unless the store is a database server.
    local guard=1
    [[ "$store" == "sqlite" ]] || guard=0
    section "Unit tier files: ${#unit[@]} on the $store store$([[ $guard -eq 1 ]] && echo ", no process started")"
    run_tests "unit" "$unit_concurrency" "$guard" "${unit[@]}"
  fi
  if [[ ${#others[@]} -gt 0 ]]; then
    section "Tests: ${#others[@]} file(s) on the $store store, concurrency $default_concurrency"
    run_tests "tests" "$default_concurrency" 0 "${others[@]}"
  fi
  if [[ ${#faults[@]} -gt 0 ]]; then
    # Fault suite files run one at a time, as in the faults stage (they measure timings and CPU).
    section "Fault suite files: ${#faults[@]} on the $store store, one at a time"
    run_tests "faults" "${KITARU_TEST_CONCURRENCY:-1}" 0 "${faults[@]}"
    if [[ -s "$faults_report" ]]; then
      fault_lines+=("$(faults_line)")
      printf '\n%s\n' "${fault_lines[-1]}"
    fi
  fi
}

# --- run -----------------------------------------------------------------------
if [[ ${#given_files[@]} -gt 0 ]]; then
  run_given_files
else
  for stage in "${stages[@]}"; do
    case "$stage" in
      setup)
        t0=$SECONDS
        need "${ALL_STEPS[@]}"
        pass_rows+=("setup|ok|||$((SECONDS - t0))")
        stage_notes+=("setup ok")
        ;;
      check) need node; run_checks ;;
      *) run_tier "$stage" ;;
    esac
  done
fi

# --- summary -------------------------------------------------------------------
section "Summary"
printf '    %-26s %8s %8s %8s %8s\n' "" passed failed skipped seconds
for row in "${pass_rows[@]}"; do
  IFS='|' read -r label passed failed skipped seconds <<<"$row"
  printf '    %-26s %8s %8s %8s %8s\n' "$label" "$passed" "$failed" "$skipped" "$seconds"
done
[[ ${#fault_lines[@]} -eq 0 ]] || printf '%s\n' "${fault_lines[@]}"
for r in "${failure_reasons[@]}"; do printf 'WHY: %s\n' "$r"; done
for p in "${problems[@]}"; do printf 'FAILED: %s\n' "$p"; done
details=("${stage_notes[@]}")
if [[ $tests_ran -eq 1 ]]; then
  summary="$passed_total passed, $failed_total failed"
  [[ $skipped_total -eq 0 ]] || summary+=", $skipped_total skipped"
  [[ ${#details[@]} -eq 0 ]] || summary+=" ($(IFS=,; echo "${details[*]}" | sed 's/,/, /g'))"
else
  summary="${details[*]:-nothing run}"
fi
summary+=" in $((SECONDS - started_at))s"
[[ ${#problems[@]} -eq 0 ]] || summary="FAILED: $summary"
printf '%s\n' "$summary"
[[ ${#problems[@]} -eq 0 ]]
