#!/usr/bin/env bash
# Builds FerretDB (MongoDB wire protocol server, SQLite backend) into the
# git-ignored cache: ${KITARU_CACHE_DIR:-<repo>/.cache}/ferretdb/<version>/ferretdb
# Idempotent: does nothing if a working binary is already cached.
# Prints the binary path on stdout; progress goes to stderr.
set -euo pipefail

FDB_VERSION="v1.24.2"
FDB_MODULE="github.com/FerretDB/FerretDB"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
cache_root="${KITARU_CACHE_DIR:-$repo_root/.cache}"
mkdir -p "$cache_root"
cache_root="$(cd "$cache_root" && pwd)"
dest_dir="$cache_root/ferretdb/$FDB_VERSION"
dest="$dest_dir/ferretdb"

log() { printf '[ferretdb] %s\n' "$*" >&2; }

# FerretDB reads FERRETDB_* env vars as flags; don't let stray ones interfere.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^FERRETDB_' || true)

is_good() {
  [[ -x "$dest" ]] || return 1
  local out
  out="$("$dest" --version 2>/dev/null)" || return 1
  grep -q "version: $FDB_VERSION\$" <<<"$out"
}

if is_good; then
  printf '%s\n' "$dest"
  exit 0
fi

mkdir -p "$dest_dir"

# Serialise concurrent builds (e.g. parallel test workers) when flock exists.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest_dir/.build.lock"
  flock 9
  if is_good; then
    printf '%s\n' "$dest"
    exit 0
  fi
fi

# shellcheck source=../lib/go-toolchain.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/go-toolchain.sh"
use_go_toolchain "$cache_root"   # modernc.org/sqlite is pure Go; no C compiler needed
export GOFLAGS="-mod=mod -buildvcs=false"

work="$(mktemp -d "$dest_dir/.build.XXXXXX")"
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

log "building FerretDB $FDB_VERSION (first time, a few minutes)..."
log "downloading module $FDB_MODULE@$FDB_VERSION"
mod_dir="$(cd "$work" && "$GO" mod download -json "$FDB_MODULE@$FDB_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [[ -z "$mod_dir" || ! -d "$mod_dir" ]]; then
  log "error: could not locate downloaded module directory"
  exit 1
fi

# The module zip lacks build/version/version.txt, which FerretDB requires
# when it is the main module (otherwise the binary panics at start).
cp -R "$mod_dir" "$work/src"
chmod -R u+w "$work/src"
printf '%s\n' "$FDB_VERSION" >"$work/src/build/version/version.txt"

log "compiling (go: $("$GO" env GOVERSION))..."
start_ts=$SECONDS
(cd "$work/src" && "$GO" build -trimpath -o "$work/ferretdb" ./cmd/ferretdb)
log "compiled in $((SECONDS - start_ts))s"

out="$("$work/ferretdb" --version 2>&1)" || {
  log "error: built binary fails to run --version:"
  printf '%s\n' "$out" >&2
  exit 1
}
if ! grep -q "version: $FDB_VERSION\$" <<<"$out"; then
  log "error: built binary reports an unexpected version:"
  printf '%s\n' "$out" >&2
  exit 1
fi

# Atomic replace: rename within the same directory.
mv -f "$work/ferretdb" "$dest_dir/.ferretdb.new.$$"
mv -f "$dest_dir/.ferretdb.new.$$" "$dest"
log "installed $dest"
printf '%s\n' "$dest"
