#!/usr/bin/env bash
# The Python client of kitaru (clients/python, package `kitaru_client`):
#
#   bash scripts/install-python-client.sh           # dev venv; regenerate the stubs if stale
#   bash scripts/install-python-client.sh --check   # are the committed stubs current? (exit 1 if not)
#
#   1. clients/python/.venv (git-ignored): a virtual environment with the exact
#      versions in clients/python/requirements.txt (the runtime dependencies,
#      grpcio-tools, pytest, cryptography for the TLS tests) from PyPI. The
#      tests import kitaru_client from the source tree; users install the
#      package with `pip install ./clients/python` instead (see its README).
#   2. clients/python/kitaru_client/gen/ (COMMITTED): Python messages and gRPC
#      stubs for proto/kitaru/**, generated with `python -m grpc_tools.protoc`.
#      They are committed so that a plain `pip install` of the directory (or of
#      a git URL) needs no code generator and no proto files: a wheel is built
#      from what is there. protoc writes absolute imports (`from kitaru.runner.v1
#      import ...`); they are rewritten to `kitaru_client.gen.kitaru.*`, so the
#      installed package owns no top-level `kitaru` module (that name belongs to
#      Kitaru itself) and never touches sys.path.
#
# Idempotent: the venv is rebuilt only when requirements.txt or the Python
# version changed (or the venv is broken); the stubs only when a .proto file,
# this script or the grpcio-tools version changed (a git-ignored stamp,
# kitaru_client/gen/.kitaru-sources, records what they were made from). After a
# regeneration, commit kitaru_client/gen. `--check` regenerates into a
# temporary directory and compares: it is how test/clients/generated-code.test.ts
# tells that the committed stubs match proto/. Prints the venv's python on
# stdout; progress goes to stderr.
#
# Python: $KITARU_PYTHON, else the first of python3, /usr/bin/python3, ... that
# is 3.9+ and has venv/ensurepip. Only the venv is used afterwards, so a pyenv
# python that cannot see Debian's packages is fine.
#
# Only our own contracts are generated. google.rpc.* comes from
# googleapis-common-protos (a dependency of grpcio-status): generating the
# vendored copies too would register the same proto files twice. The health
# and reflection protos are not generated either (use grpcio-health-checking).
set -euo pipefail

check_only=0
case "${1:-}" in
  "") ;;
  --check) check_only=1 ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
self="$script_dir/$(basename "${BASH_SOURCE[0]}")"
py_dir="$repo_root/clients/python"
venv="$py_dir/.venv"
requirements="$py_dir/requirements.txt"
gen_dir="$py_dir/kitaru_client/gen"
gen_package="kitaru_client.gen"

log() { printf '[python-client] %s\n' "$*" >&2; }

hash_of() { sha256sum | cut -d' ' -f1; }

# Serialise concurrent runs (e.g. two test scripts at once) when flock exists.
cache_root="${KITARU_CACHE_DIR:-$repo_root/.cache}"
mkdir -p "$cache_root"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_root/python-client.lock"
  flock 9
fi

# ---------------------------------------------------------------------------
# 1. the virtual environment

# The first interpreter that is 3.9+ and can create a venv (has ensurepip).
usable() {
  command -v "$1" >/dev/null 2>&1 &&
    "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null
}
if [[ -n "${KITARU_PYTHON:-}" ]]; then
  usable "$KITARU_PYTHON" || { log "error: KITARU_PYTHON=$KITARU_PYTHON is not Python 3.9+ with venv/ensurepip"; exit 1; }
  python="$KITARU_PYTHON"
else
  python=""
  for candidate in python3 /usr/bin/python3 /usr/local/bin/python3 python; do
    if usable "$candidate"; then python="$candidate"; break; fi
  done
  [[ -n "$python" ]] || { log "error: no Python 3.9+ with venv/ensurepip found (apt-get install python3-venv, or set KITARU_PYTHON)"; exit 1; }
fi
py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"

venv_imports='import grpc, grpc_tools.protoc, grpc_status.rpc_status, google.rpc.error_details_pb2, pytest, cryptography'
venv_stamp="$venv/.kitaru-requirements"
want_venv="$( { cat "$requirements"; echo "python $py_version"; } | hash_of)"
venv_ok() {
  [[ -x "$venv/bin/python" && -f "$venv_stamp" && "$(cat "$venv_stamp")" == "$want_venv" ]] || return 1
  "$venv/bin/python" -c "$venv_imports" 2>/dev/null
}

if venv_ok; then
  log "venv up to date ($venv)"
else
  log "creating $venv (Python $py_version) with the pinned requirements..."
  start_ts=$SECONDS
  rm -rf "$venv"
  "$python" -m venv "$venv"
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
  "$venv/bin/python" -m pip install --quiet --no-warn-script-location -r "$requirements" >&2
  # The import check above must pass now, or the install is not usable.
  rm -f "$venv_stamp"
  printf '%s\n' "$want_venv" >"$venv_stamp"
  if ! venv_ok; then
    log "error: the venv was installed but its packages do not import:"
    "$venv/bin/python" -c "$venv_imports" >&2 || true
    exit 1
  fi
  log "venv ready in $((SECONDS - start_ts))s"
fi

# ---------------------------------------------------------------------------
# 2. the generated code

cd "$repo_root"
mapfile -t protos < <(find proto/kitaru -name '*.proto' | LC_ALL=C sort)
if [[ ${#protos[@]} -eq 0 ]]; then
  log "error: no .proto files under proto/kitaru"
  exit 1
fi
tools_version="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))')"
gen_stamp="$gen_dir/.kitaru-sources"
want_gen="$( {
  echo "grpcio-tools $tools_version"
  sha256sum <"$self"
  for f in "${protos[@]}"; do printf '%s ' "$f"; sha256sum <"$f"; done
} | hash_of)"

# generate <dir>: the stubs of every proto, as the package kitaru_client.gen, into <dir>.
generate() {
  local out="$1"
  # grpc_tools.protoc adds its bundled google/protobuf/*.proto include by itself.
  "$venv/bin/python" -m grpc_tools.protoc \
    -I proto -I vendor/proto \
    --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
    "${protos[@]}"
  # Absolute imports of our own packages, into this package.
  find "$out" -type f \( -name '*.py' -o -name '*.pyi' \) -print0 |
    xargs -0 sed -i -e "s/^from kitaru\\.\\([a-z0-9_.]*\\) import /from $gen_package.kitaru.\\1 import /"
  if grep -rEn '^(from|import) kitaru[. ]' "$out" >&2; then
    log "error: generated code still imports the top-level package 'kitaru' (lines above)"
    return 1
  fi
  # Regular packages (not namespace packages), so every build backend finds them.
  find "$out" -type d -print0 | while IFS= read -r -d '' dir; do
    printf '# Generated by scripts/install-python-client.sh from proto/kitaru. DO NOT EDIT.\n' >"$dir/__init__.py"
  done
}

# snapshot <dir>: one "sha256  path" line per generated file (the stamp left out).
snapshot() {
  (cd "$1" && find . -type f ! -name .kitaru-sources ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

tmp="$(mktemp -d "$py_dir/kitaru_client/.gen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

if [[ $check_only -eq 1 ]]; then
  generate "$tmp"
  if [[ ! -d "$gen_dir" ]]; then
    log "error: $gen_dir is missing; run scripts/install-python-client.sh and commit it"
    exit 1
  fi
  if ! diff <(snapshot "$gen_dir") <(snapshot "$tmp") >/dev/null; then
    log "error: clients/python/kitaru_client/gen does not match proto/ (grpcio-tools $tools_version); files that differ:"
    diff <(snapshot "$gen_dir") <(snapshot "$tmp") | sed -n 's/^[<>] [0-9a-f]*  \.\//    /p' | sort -u >&2
    log "run scripts/install-python-client.sh and commit clients/python/kitaru_client/gen"
    exit 1
  fi
  log "generated code is current ($gen_dir)"
elif [[ -f "$gen_stamp" && "$(cat "$gen_stamp")" == "$want_gen" ]]; then
  log "generated code up to date ($gen_dir)"
else
  log "generating Python stubs for ${#protos[@]} files with grpcio-tools $tools_version..."
  generate "$tmp"
  printf '%s\n' "$want_gen" >"$tmp/.kitaru-sources"
  # Swap in the new tree; a failed generation above leaves the old one alone.
  rm -rf "$gen_dir.old"
  [[ -d "$gen_dir" ]] && mv "$gen_dir" "$gen_dir.old"
  mv "$tmp" "$gen_dir"
  rm -rf "$gen_dir.old"
  # Smoke test: the stubs import with the pinned protobuf runtime.
  (cd "$py_dir" && "$venv/bin/python" -c 'import kitaru_client') >&2
  log "generated $gen_dir (commit it if it changed: git status clients/python/kitaru_client/gen)"
fi

printf '%s\n' "$venv/bin/python"
