#!/usr/bin/env bash
# Installs the generated Python client of kitaru:
#   1. clients/python/.venv (git-ignored): a virtual environment with the exact
#      versions in clients/python/requirements.txt (grpcio, grpcio-tools,
#      grpcio-status, protobuf, pytest) from PyPI;
#   2. clients/python/kitaru_client/gen/ (git-ignored): Python messages and
#      gRPC stubs for proto/kitaru/**, generated with `python -m grpc_tools.protoc`.
#
# Idempotent: the venv is rebuilt only when requirements.txt or the Python
# version changed (or the venv is broken); the stubs only when a .proto file,
# this script or the grpcio-tools version changed. Prints the venv's python on
# stdout; progress goes to stderr.
#
# Python: $KITARU_PYTHON, else the first of python3, /usr/bin/python3, ... that
# is 3.9+ and has venv/ensurepip. Only the venv is used afterwards, so a pyenv
# python that cannot see Debian's packages is fine.
#
# Only our own contracts are generated. google.rpc.* comes from
# googleapis-common-protos (a dependency of grpcio-status): generating the
# vendored copies too would register the same proto files twice. The health
# and reflection protos are not generated either (their package `grpc` would
# shadow grpcio's module of the same name; use grpcio-health-checking).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
self="$script_dir/$(basename "${BASH_SOURCE[0]}")"
py_dir="$repo_root/clients/python"
venv="$py_dir/.venv"
requirements="$py_dir/requirements.txt"
gen_dir="$py_dir/kitaru_client/gen"

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

venv_stamp="$venv/.kitaru-requirements"
want_venv="$( { cat "$requirements"; echo "python $py_version"; } | hash_of)"
venv_ok() {
  [[ -x "$venv/bin/python" && -f "$venv_stamp" && "$(cat "$venv_stamp")" == "$want_venv" ]] || return 1
  "$venv/bin/python" -c 'import grpc, grpc_tools.protoc, grpc_status.rpc_status, google.rpc.error_details_pb2, pytest' 2>/dev/null
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
    "$venv/bin/python" -c 'import grpc, grpc_tools.protoc, grpc_status.rpc_status, pytest' >&2 || true
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

if [[ -f "$gen_stamp" && "$(cat "$gen_stamp")" == "$want_gen" ]]; then
  log "generated code up to date ($gen_dir)"
else
  log "generating Python stubs for ${#protos[@]} files with grpcio-tools $tools_version..."
  tmp="$(mktemp -d "$py_dir/kitaru_client/.gen.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # grpc_tools.protoc adds its bundled google/protobuf/*.proto include by itself.
  "$venv/bin/python" -m grpc_tools.protoc \
    -I proto -I vendor/proto \
    --python_out="$tmp" --pyi_out="$tmp" --grpc_python_out="$tmp" \
    "${protos[@]}"
  printf '%s\n' "$want_gen" >"$tmp/.kitaru-sources"
  # Swap in the new tree; a failed generation above leaves the old one alone.
  rm -rf "$gen_dir.old"
  [[ -d "$gen_dir" ]] && mv "$gen_dir" "$gen_dir.old"
  mv "$tmp" "$gen_dir"
  rm -rf "$gen_dir.old"
  trap - EXIT
  # Smoke test: the stubs import with the pinned protobuf runtime.
  "$venv/bin/python" -c "import sys; sys.path.insert(0, '$py_dir'); import kitaru_client" >&2
  log "generated $gen_dir"
fi

printf '%s\n' "$venv/bin/python"
