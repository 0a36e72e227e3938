#!/usr/bin/env bash
# Installs grpcurl (gRPC command-line client, used by the reflection tests)
# into the git-ignored cache: ${KITARU_CACHE_DIR:-<repo>/.cache}/bin/grpcurl
# Idempotent: does nothing if the pinned version is already installed.
# Prints the binary path on stdout; progress goes to stderr.
set -euo pipefail

GRPCURL_VERSION="v1.9.3"
GRPCURL_PACKAGE="github.com/fullstorydev/grpcurl/cmd/grpcurl"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
cache_root="${KITARU_CACHE_DIR:-$repo_root/.cache}"
mkdir -p "$cache_root/bin"
cache_root="$(cd "$cache_root" && pwd)"
bin_dir="$cache_root/bin"
dest="$bin_dir/grpcurl"

log() { printf '[grpcurl] %s\n' "$*" >&2; }

# `grpcurl -version` prints "grpcurl v1.9.3" (on stderr in some versions).
is_good() {
  [[ -x "$dest" ]] || return 1
  local out
  out="$("$dest" -version 2>&1)" || return 1
  [[ "$out" == "grpcurl $GRPCURL_VERSION" ]]
}

if is_good; then
  printf '%s\n' "$dest"
  exit 0
fi

# Serialise concurrent installs (parallel test files) when flock exists.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$bin_dir/.grpcurl.lock"
  flock 9
  if is_good; then
    printf '%s\n' "$dest"
    exit 0
  fi
fi

# shellcheck source=lib/go-toolchain.sh
source "$script_dir/lib/go-toolchain.sh"
use_go_toolchain "$cache_root"
export GOFLAGS="-buildvcs=false"

# Build into a temporary GOBIN, then rename: a half-written binary is never on the path.
work="$(mktemp -d "$bin_dir/.grpcurl-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

log "installing $GRPCURL_PACKAGE@$GRPCURL_VERSION (go: $("$GO" env GOVERSION))..."
# `go install` leaves grpcurl's version variable unset; release builds set it the same way.
GOBIN="$work" "$GO" install -ldflags "-X main.version=$GRPCURL_VERSION" "$GRPCURL_PACKAGE@$GRPCURL_VERSION"
mv -f "$work/grpcurl" "$dest"

if ! is_good; then
  log "error: installed binary does not report $GRPCURL_VERSION:"
  "$dest" -version >&2 2>&1 || true
  exit 1
fi
log "installed $dest"
printf '%s\n' "$dest"
