#!/usr/bin/env bash
# The Go client of kitaru (clients/go, module github.com/kitaru-dev/kitaru/clients/go):
#
#   bash scripts/install-go-client.sh           # plugins; regenerate gen/ if stale; build and vet
#   bash scripts/install-go-client.sh --check   # is the committed gen/ current? (exit 1 if not)
#
#   1. protoc-gen-go (same version as google.golang.org/protobuf in
#      clients/go/go.mod) and protoc-gen-go-grpc (pinned below), with
#      `go install` into ${KITARU_CACHE_DIR:-<repo>/.cache}/bin;
#   2. clients/go/gen/ (COMMITTED): Go messages and gRPC clients for
#      proto/kitaru/**, generated with
#      `npx buf generate --template buf.gen.go.yaml --path proto/kitaru`.
#      Committed because Go builds modules from source: a user's
#      `go mod tidy` / `go build` against this module (through a `replace`
#      or, once published, the module proxy) never runs a generator, so the
#      code must be in the tree. After a regeneration, commit clients/go/gen.
#      `--check` regenerates into a temporary directory and compares: it is
#      how test/clients/generated-code.test.ts tells that gen/ matches proto/.
#   3. `go build ./...` and `go vet ./...` in clients/go.
#
# Idempotent: a plugin is installed only when missing or at another version;
# the code is generated only when a .proto file, buf.gen.go.yaml, this script,
# a plugin version or the buf version changed (a git-ignored stamp,
# clients/go/gen/.kitaru-sources, records what it was made from).
# Prints clients/go on stdout; progress goes to stderr.
#
# Works from a fresh clone with an empty Go cache: modules come from the Go
# module proxy (GOPROXY as configured), checked against clients/go/go.sum.
# GOPATH/GOMODCACHE/GOCACHE keep Go's defaults (under the cache root only when
# HOME is unusable). GOTOOLCHAIN=local: the installed Go is used, never a
# downloaded one (clients/go/go.mod needs Go 1.26+).
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

PROTOC_GEN_GO_GRPC_VERSION="v1.6.2"
PROTOC_GEN_GO_GRPC_PACKAGE="google.golang.org/grpc/cmd/protoc-gen-go-grpc"
PROTOC_GEN_GO_PACKAGE="google.golang.org/protobuf/cmd/protoc-gen-go"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
self="$script_dir/$(basename "${BASH_SOURCE[0]}")"
go_dir="$repo_root/clients/go"
gen_dir="$go_dir/gen"
template="buf.gen.go.yaml"

log() { printf '[go-client] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
hash_of() { sha256sum | cut -d' ' -f1; }

cache_root="${KITARU_CACHE_DIR:-$repo_root/.cache}"
mkdir -p "$cache_root/bin"
cache_root="$(cd "$cache_root" && pwd)"
bin_dir="$cache_root/bin"

# Serialise concurrent runs (e.g. two test files at once) when flock exists.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_root/go-client.lock"
  flock 9
fi

# ---------------------------------------------------------------------------
# Go

# shellcheck source=lib/go-toolchain.sh
source "$script_dir/lib/go-toolchain.sh"
use_go_toolchain "$cache_root" || die "cannot build the Go client without Go"
export GOTOOLCHAIN=local
go_version="$("$GO" env GOVERSION)"

# protoc-gen-go must match the protobuf runtime the module builds with.
protobuf_version="$(awk '$1 == "google.golang.org/protobuf" && $2 ~ /^v/ { print $2; exit }' "$go_dir/go.mod")"
[[ -n "$protobuf_version" ]] || die "google.golang.org/protobuf is not required in $go_dir/go.mod"

# ---------------------------------------------------------------------------
# 1. the plugins

# `protoc-gen-go --version` prints "protoc-gen-go v1.36.12";
# `protoc-gen-go-grpc --version` prints "protoc-gen-go-grpc 1.6.2".
plugin_ok() { # plugin_ok <name> <expected --version output>
  [[ -x "$bin_dir/$1" ]] || return 1
  local out
  out="$("$bin_dir/$1" --version 2>&1)" || return 1
  [[ "$out" == "$2" ]]
}

install_plugin() { # install_plugin <name> <package> <version> <expected --version output>
  local name="$1" package="$2" version="$3" expected="$4"
  if plugin_ok "$name" "$expected"; then
    log "$name $version up to date"
    return 0
  fi
  log "installing $package@$version ($go_version)..."
  local t0=$SECONDS work
  # Build into a temporary GOBIN, then rename: a half-written binary is never on the path.
  work="$(mktemp -d "$bin_dir/.$name-build.XXXXXX")"
  if ! GOBIN="$work" CGO_ENABLED=0 "$GO" install "$package@$version"; then
    rm -rf "$work"
    die "go install $package@$version failed"
  fi
  mv -f "$work/$name" "$bin_dir/$name"
  rm -rf "$work"
  plugin_ok "$name" "$expected" || die "$bin_dir/$name does not report '$expected'"
  log "installed $bin_dir/$name in $((SECONDS - t0))s"
}

install_plugin protoc-gen-go "$PROTOC_GEN_GO_PACKAGE" "$protobuf_version" "protoc-gen-go $protobuf_version"
install_plugin protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_PACKAGE" "$PROTOC_GEN_GO_GRPC_VERSION" \
  "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}"

# ---------------------------------------------------------------------------
# 2. the generated code

cd "$repo_root"
[[ -x node_modules/.bin/buf ]] || die "buf is not installed (node_modules/.bin/buf); run npm ci first"
buf_version="$(npx --no-install buf --version)"
mapfile -t protos < <(find proto/kitaru -name '*.proto' | LC_ALL=C sort)
[[ ${#protos[@]} -gt 0 ]] || die "no .proto files under proto/kitaru"

gen_stamp="$gen_dir/.kitaru-sources"
want_gen="$( {
  echo "buf $buf_version"
  echo "protoc-gen-go $protobuf_version"
  echo "protoc-gen-go-grpc $PROTOC_GEN_GO_GRPC_VERSION"
  sha256sum <"$self"
  sha256sum <"$template"
  sha256sum <buf.yaml
  for f in "${protos[@]}"; do printf '%s ' "$f"; sha256sum <"$f"; done
} | hash_of)"

# generate <dir>: the Go code of every proto into <dir> (which must not exist yet).
generate() {
  local out="$1" tmp
  # A dot-directory: invisible to `go build ./...` while it exists.
  tmp="$(mktemp -d "$go_dir/.gen.XXXXXX")"
  # --output prefixes the template's `out` (clients/go/gen); the plugins
  # from the cache come first on PATH.
  if ! PATH="$bin_dir:$PATH" npx --no-install buf generate --template "$template" --path proto/kitaru --output "$tmp"; then
    rm -rf "$tmp"
    return 1
  fi
  if [[ ! -d "$tmp/clients/go/gen/kitaru" ]]; then
    rm -rf "$tmp"
    die "buf generate wrote nothing under clients/go/gen/kitaru"
  fi
  mv "$tmp/clients/go/gen" "$out"
  rm -rf "$tmp"
}

# snapshot <dir>: one "sha256  path" line per generated file (the stamp left out).
snapshot() {
  (cd "$1" && find . -type f ! -name .kitaru-sources -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

fresh="$go_dir/.gen.fresh.$$"
trap 'rm -rf "$fresh"' EXIT
if [[ $check_only -eq 1 ]]; then
  generate "$fresh"
  [[ -d "$gen_dir" ]] || die "$gen_dir is missing; run scripts/install-go-client.sh and commit it"
  if ! diff <(snapshot "$gen_dir") <(snapshot "$fresh") >/dev/null; then
    log "error: clients/go/gen does not match proto/; files that differ:"
    diff <(snapshot "$gen_dir") <(snapshot "$fresh") | sed -n 's/^[<>] [0-9a-f]*  \.\//    /p' | sort -u >&2
    die "run scripts/install-go-client.sh and commit clients/go/gen"
  fi
  log "generated code is current ($gen_dir)"
  printf '%s\n' "$go_dir"
  exit 0
fi

if [[ -f "$gen_stamp" && "$(cat "$gen_stamp")" == "$want_gen" ]]; then
  log "generated code up to date ($gen_dir)"
else
  log "generating Go code for ${#protos[@]} files (buf $buf_version, protoc-gen-go $protobuf_version, protoc-gen-go-grpc $PROTOC_GEN_GO_GRPC_VERSION)..."
  generate "$fresh"
  printf '%s\n' "$want_gen" >"$fresh/.kitaru-sources"
  # Swap in the new tree; a failed generation above leaves the old one alone.
  rm -rf "$gen_dir.old"
  [[ -d "$gen_dir" ]] && mv "$gen_dir" "$gen_dir.old"
  mv "$fresh" "$gen_dir"
  rm -rf "$gen_dir.old"
  log "generated $gen_dir (commit it if it changed: git status clients/go/gen)"
fi

# ---------------------------------------------------------------------------
# 3. build and vet (modules from the proxy on first use, checked by go.sum)

cd "$go_dir"
t0=$SECONDS
log "go build ./... && go vet ./... in clients/go..."
"$GO" build ./...
"$GO" vet ./...
log "build and vet ok in $((SECONDS - t0))s"

printf '%s\n' "$go_dir"
