# Sourced by the scripts that build Go tools into the cache (FerretDB, grpcurl,
# the Go client). Defines `use_go_toolchain <cache_root>`, which sets GO to the
# go binary (PATH, then /usr/local/go/bin/go) and, when HOME is unusable,
# points Go's module and build caches into <cache_root>. Requires `log`.

use_go_toolchain() {
  local cache_root="$1"
  if command -v go >/dev/null 2>&1; then
    GO="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    log "error: Go toolchain not found (need go >= 1.24 on PATH or at /usr/local/go/bin/go)"
    return 1
  fi
  # Go keeps its module cache (GOPATH) and build cache under HOME by default.
  if [[ -z "${HOME:-}" || ! -d "$HOME" || ! -w "$HOME" ]]; then
    [[ -n "${GOPATH:-}" || -n "${GOMODCACHE:-}" ]] || export GOPATH="$cache_root/go"
    [[ -n "${GOCACHE:-}" || -n "${XDG_CACHE_HOME:-}" ]] || export GOCACHE="$cache_root/go-build"
  fi
  export CGO_ENABLED=0 # everything built here is pure Go
}
