#!/usr/bin/env bash
# nellie-restore-drill: proves the newest backup can be restored, without touching the live data.
#
# Checks the backup's sha256, restores it with `nellie restore` into a scratch data directory,
# runs the integrity check (`nellie maintenance --vacuum never`) and reads the contents back with
# `nellie status --json`. Exits non-zero when any step fails, so a timer, cron or CI job notices.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: nellie-restore-drill [options]

Options:
  --dir DIR              backups to look in (NELLIE_BACKUP_DIR; default <data dir>/backups)
  --backup FILE          drill this backup instead of the newest one
  --max-age-hours H      fail when the newest backup is older than H hours (default: no limit)
  --min-chunks N         fail when the restored database holds fewer than N chunks (default 0)
  --scratch-dir DIR      where the scratch data directory goes (default: TMPDIR or /tmp)
  --keep-scratch         keep the restored scratch data directory for inspection
  -h, --help             show this help

The nellie program comes from NELLIE_BIN, else the one next to this script, else PATH.
EOF
}

log() { printf 'restore-drill: %s\n' "$*" >&2; }
die() {
  printf 'restore-drill: FAILED: %s\n' "$*" >&2
  exit 1
}

data_dir=${NELLIE_DATA_DIR:-${STATE_DIRECTORY:-$HOME/.local/share/nellie}}
data_dir=${data_dir%%:*}
backup_dir=${NELLIE_BACKUP_DIR:-$data_dir/backups}
backup=
max_age_hours=
min_chunks=0
scratch_parent=${TMPDIR:-/tmp}
keep_scratch=false

while [ $# -gt 0 ]; do
  case $1 in
    --dir) backup_dir=${2:?--dir needs a directory}; shift 2 ;;
    --backup) backup=${2:?--backup needs a file}; shift 2 ;;
    --max-age-hours) max_age_hours=${2:?--max-age-hours needs a number}; shift 2 ;;
    --min-chunks) min_chunks=${2:?--min-chunks needs a number}; shift 2 ;;
    --scratch-dir) scratch_parent=${2:?--scratch-dir needs a directory}; shift 2 ;;
    --keep-scratch) keep_scratch=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case $min_chunks in '' | *[!0-9]*) die "--min-chunks must be a whole number" ;; esac
case $max_age_hours in *[!0-9]*) die "--max-age-hours must be a whole number" ;; esac

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
nellie=${NELLIE_BIN:-}
if [ -z "$nellie" ]; then
  if [ -x "$script_dir/nellie" ]; then
    nellie=$script_dir/nellie
  else
    nellie=$(command -v nellie) || die "the nellie program was not found; set NELLIE_BIN"
  fi
fi
# The drill never downloads anything.
export NELLIE_OFFLINE=true

# --- Which backup -------------------------------------------------------------------------------

if [ -z "$backup" ]; then
  [ -d "$backup_dir" ] || die "no backup directory $backup_dir"
  for file in "$backup_dir"/nellie-*.db; do
    if [ -f "$file" ]; then backup=$file; fi # names sort by time: the last one is the newest
  done
  [ -n "$backup" ] || die "no backups (nellie-*.db) in $backup_dir"
fi
[ -f "$backup" ] || die "$backup: no such file"
log "backup: $backup"

if [ -n "$max_age_hours" ]; then
  stamp=${backup##*/nellie-}
  stamp=${stamp%.db}
  case $stamp in
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
    *) die "cannot tell the age of $backup (expected nellie-YYYYmmddTHHMMSSZ.db)" ;;
  esac
  limit_seconds=$(($(date +%s) - max_age_hours * 3600))
  limit=$(date -u -d "@$limit_seconds" +%Y%m%dT%H%M%SZ 2>/dev/null ||
    date -u -r "$limit_seconds" +%Y%m%dT%H%M%SZ)
  if [[ "$stamp" < "$limit" ]]; then
    die "the newest backup ($stamp) is older than $max_age_hours hours: are backups running?"
  fi
fi

if [ -f "$backup.sha256" ]; then
  expected=$(cut -d ' ' -f 1 <"$backup.sha256")
  if command -v sha256sum >/dev/null 2>&1; then
    actual=$(sha256sum "$backup" | cut -d ' ' -f 1)
  else
    actual=$(shasum -a 256 "$backup" | cut -d ' ' -f 1)
  fi
  [ "$expected" = "$actual" ] || die "sha256 mismatch: $backup changed since it was written"
  log "sha256 ok"
else
  log "no $backup.sha256 to compare with; continuing"
fi

# --- Restore into scratch and check -------------------------------------------------------------

mkdir -p "$scratch_parent"
scratch=$(mktemp -d "$scratch_parent/nellie-restore-drill.XXXXXX")
cleanup() {
  if [ "$keep_scratch" = true ]; then
    log "scratch data directory kept: $scratch"
  else
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
export NELLIE_DATA_DIR=$scratch

"$nellie" restore "$backup" --log-level warn >&2 || die "nellie restore failed"
log "restored into $scratch"

maintenance=$("$nellie" maintenance --vacuum never --json --log-level warn) ||
  die "integrity check failed: $maintenance"
case $maintenance in
  *'"ok": true'* | *'"ok":true'*) log "integrity ok" ;;
  *) die "integrity check reported problems: $maintenance" ;;
esac

status=$("$nellie" status --json --log-level warn) || die "nellie status failed on the restored copy"
number() { # number KEY: the first integer value of "KEY" in $status
  printf '%s' "$status" | tr -d '\n' | sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" | head -n 1
}
chunks=$(number chunks)
files=$(number files)
lessons=$(number lessons)
checkpoints=$(number checkpoints)
[ -n "$chunks" ] || die "nellie status --json did not report chunks: $status"
if [ "$chunks" -lt "$min_chunks" ]; then
  die "the restored database holds $chunks chunks, fewer than --min-chunks $min_chunks"
fi
echo "restore-drill: OK: $backup restores; files=${files:-?} chunks=$chunks lessons=${lessons:-?} checkpoints=${checkpoints:-?}"
