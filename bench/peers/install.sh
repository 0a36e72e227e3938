#!/usr/bin/env bash
# Installs what bench/peers needs, apart from kitaru itself (the repository's
# own node_modules): PostgreSQL 15 from Debian's packages (DBOS's system
# database; the bench runs a cluster of its own in a temporary directory, on a
# loopback port, and never touches a system cluster), and this directory's
# node_modules (DBOS Transact, the Restate SDK and the Restate server, whose
# binary ships inside its npm package). Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
PG_BIN=/usr/lib/postgresql/15/bin
if [[ ! -x "$PG_BIN/initdb" ]]; then
  echo "[peers] installing postgresql-15 from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
# The Debian package starts a cluster of its own; the bench does not use it.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
  pg_ctlcluster 15 main stop 2>/dev/null || true
fi
if [[ ! -d node_modules/@dbos-inc/dbos-sdk || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[peers] npm ci in bench/peers" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
"$PG_BIN/postgres" --version >&2
for pkg in @dbos-inc/dbos-sdk @restatedev/restate-sdk @restatedev/restate-server; do
  echo "[peers] $pkg $(node -p "require('./node_modules/$pkg/package.json').version")" >&2
done
