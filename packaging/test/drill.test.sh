#!/usr/bin/env bash
# End to end with the real nellie: the shipped nellie.conf is a valid configuration, a server
# started the way the units start it answers /health, /ready and /metrics with every metric the
# alert rules and the dashboard use, nellie-backup takes a verified online backup while it
# serves, nellie-restore-drill restores it with the same counts, and SIGTERM stops it cleanly.
#
#   NELLIE_RELEASE=dist/release/nellie-<version>-linux-x64.tar.gz bash packaging/test/drill.test.sh
#   bash packaging/test/drill.test.sh      (uses apps/nellie/dist: run `pnpm build` first)
#
# Needs the stand-in model (../shared/models/stand-in/...) next to the repository.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=packaging/test/lib.sh
. "$here/lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/nellie-drill-test.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

model_dir=$(cd "$repo/.." && pwd)/shared/models/stand-in/all-MiniLM-L6-v2-random-weights
if [ ! -f "$model_dir/config.json" ]; then
  echo "the stand-in model is missing: $model_dir" >&2
  exit 1
fi

# The nellie program and the scripts under test.
if [ -n "${NELLIE_RELEASE:-}" ]; then
  mkdir -p "$work/release"
  tar -xzf "$NELLIE_RELEASE" -C "$work/release"
  bin=$(echo "$work"/release/*/bin)
  nellie=$bin/nellie
  backup=$bin/nellie-backup
  drill=$bin/nellie-restore-drill
else
  [ -f "$repo/apps/nellie/dist/cli.js" ] || {
    echo "apps/nellie/dist/cli.js is missing: run pnpm build first, or set NELLIE_RELEASE" >&2
    exit 1
  }
  printf '#!/bin/sh\nexec node %s/apps/nellie/dist/cli.js "$@"\n' "$repo" >"$work/nellie"
  chmod 0755 "$work/nellie"
  nellie=$work/nellie
  backup=$repo/packaging/scripts/backup.sh
  drill=$repo/packaging/scripts/restore-drill.sh
fi
export NELLIE_BIN=$nellie

# Settings: the shipped nellie.conf, pointed at scratch directories.
data=$work/data
mkdir -p "$data" "$work/backups"
load_conf() { # exports every uncommented setting of nellie.conf, with scratch paths
  local line name value
  while IFS= read -r line; do
    case $line in '' | '#'*) continue ;; esac
    name=${line%%=*}
    value=${line#*=}
    export "$name=$value"
  done < <(sed -e "s|/var/lib/nellie/backups|$work/backups|" -e "s|/var/lib/nellie|$data|" \
    "$repo/packaging/nellie.conf")
}
load_conf
export NELLIE_MODEL_DIR=$model_dir NELLIE_LOG_LEVEL=warn

# ------------------------------------------------------------------------------------------------
test_case "the shipped nellie.conf is a valid configuration"
output=$("$nellie" config check --json 2>&1) && status=0 || status=$?
check_equal "$status" 0 "nellie config check accepts nellie.conf"
check_contains "$output" '"valid": true' "the configuration is valid"
# Every variable nellie.conf mentions, commented out or not, must be one Nellie reads.
examples=$work/examples.env
sed -n 's/^#\(NELLIE_[A-Z_]*=.*\)$/\1/p' "$repo/packaging/nellie.conf" |
  grep -v -e '^NELLIE_BACKUP_' -e '^NELLIE_CONFIG=' >"$examples"
output=$(
  while IFS= read -r line; do export "${line?}"; done <"$examples"
  "$nellie" config check --json 2>&1
) && status=0 || status=$?
check_equal "$status" 0 "the commented-out examples in nellie.conf are valid too"
while IFS= read -r line; do
  name=${line%%=*}
  check_contains "$output" "\"$name" "Nellie reads $name"
done < <(grep -v '^#' "$repo/packaging/nellie.conf" | grep '^NELLIE_' | grep -v -e '^NELLIE_BACKUP_'; cat "$examples")

# ------------------------------------------------------------------------------------------------
test_case "index a repository with the model"
src=$work/repo
mkdir -p "$src/src" "$src/docs"
for index in 1 2 3 4 5 6; do
  cat >"$src/src/module-$index.ts" <<EOF
/** Computes the checksum of block $index for the storage layer. */
export function checksum$index(data: Uint8Array): number {
  let sum = $index;
  for (const byte of data) sum = (sum * 31 + byte) >>> 0;
  return sum;
}
EOF
done
printf '# Design\n\nThe storage layer keeps every block with a checksum.\n' >"$src/docs/design.md"
output=$("$nellie" index "$src" --json 2>&1) && status=0 || status=$?
check_equal "$status" 0 "nellie index exits 0"
live=$("$nellie" status --json 2>&1)
number() { printf '%s' "$1" | tr -d '\n' | sed -n "s/.*\"$2\": *\([0-9][0-9]*\).*/\1/p" | head -n 1; }
chunks=$(number "$live" chunks)
check "chunks were indexed ($chunks)" test "${chunks:-0}" -gt 0
check_equal "$(number "$live" chunksPendingEmbedding)" 0 "every chunk has its vector"

# ------------------------------------------------------------------------------------------------
test_case "the server starts as the unit starts it and answers"
NELLIE_PORT=0 NELLIE_LOG_LEVEL=info "$nellie" serve 2>"$work/serve.log" &
server_pid=$!
url=
for _ in $(seq 1 150); do
  url=$(cat "$data"/run/*.json 2>/dev/null | sed -n 's/.*"url":"\([^"]*\)".*/\1/p' | head -n 1 || true)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$url" ]; then
  fail "the server did not start" "$(tail -n 20 "$work/serve.log")"
  finish
  exit 1
fi
pass "nellie serve listens at $url"
health=$(curl -fsS "$url/health") && status=0 || status=$?
check_equal "$status" 0 "/health answers 200"
check_contains "$health" '"status":"healthy"' "/health says healthy"
ready_status=$(curl -s -o "$work/ready.json" -w '%{http_code}' "$url/ready")
check_equal "$ready_status" 200 "/ready answers 200"
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"query":"checksum of a block"}' \
  "$url/api/v1/search/code" >"$work/search.json" && status=0 || status=$?
check_equal "$status" 0 "a code search answers"
metrics=$(curl -fsS "$url/metrics")
used=$(cat "$repo/packaging/monitoring/prometheus-rules.yml" "$repo/packaging/monitoring/grafana/dashboards/nellie.json" |
  grep -o -E '\b(nellie|process|nodejs)_[a-z0-9_]+' | sed -E 's/_(bucket|sum|count)$//' | grep -v '^nellie_backup_' | sort -u)
for name in $used; do
  check_contains "$metrics" "$name" "/metrics exports $name"
done

# ------------------------------------------------------------------------------------------------
test_case "online backup while the server runs, then the restore drill"
output=$("$backup" --metrics-file "$work/backup.prom" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "nellie-backup exits 0 while the server runs"
newest=$(find "$work/backups" -maxdepth 1 -name 'nellie-*.db' | sort | tail -n 1)
check_file "$newest" "the backup"
check_contains "$output" "verified: the backup restores and opens" "the backup is verified"
check_contains "$(cat "$work/backup.prom")" "nellie_backup_last_run_success 1" "backup metrics are written"
output=$("$drill" --max-age-hours 1 --min-chunks "$chunks" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "nellie-restore-drill exits 0"
check_contains "$output" "restore-drill: OK: $newest restores;" "the drill restores the newest backup"
check_contains "$output" "chunks=$chunks " "the restored copy has the live chunk count"
output=$("$nellie" restore "$newest" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "nellie restore into the live data directory is refused while serving"
check_contains "$output" "Stop it before restoring" "and says to stop the server first"

# ------------------------------------------------------------------------------------------------
test_case "SIGTERM stops the server cleanly"
kill -TERM "$server_pid"
stopped=false
for _ in $(seq 1 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    stopped=true
    break
  fi
  sleep 0.2
done
check_equal "$stopped" true "the server exits within 30 s (TimeoutStopSec)"
wait "$server_pid" && status=0 || status=$?
server_pid=
check_equal "$status" 0 "the server exits 0 after SIGTERM"
check_contains "$(cat "$work/serve.log")" "Shutdown complete" "the log says the shutdown completed"

finish
