#!/usr/bin/env bash
# nellie-backup: an online, verified, timestamped backup of Nellie's database with retention.
#
# Runs beside a live server (`nellie backup` uses SQLite's online backup). Each new backup is
# verified by restoring it into a scratch data directory and opening it with `nellie status`
# before it counts; then old backups are pruned. Installed as <prefix>/bin/nellie-backup and run
# daily by nellie-backup.timer (or cron, see packaging/cron/nellie-backup).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: nellie-backup [options]

Options (each also has an environment variable, which nellie.conf sets):
  --dir DIR            where backups go (NELLIE_BACKUP_DIR; default <data dir>/backups)
  --keep N             keep at most the N newest backups (NELLIE_BACKUP_KEEP; default 14)
  --max-age-days D     delete backups older than D days, 0 for no age limit
                       (NELLIE_BACKUP_MAX_AGE_DAYS; default 30); the newest backup always stays
  --metrics-file FILE  write Prometheus metrics for node_exporter's textfile collector
                       (NELLIE_BACKUP_METRICS_FILE; default none)
  --no-verify          skip the restore check of the new backup
  -h, --help           show this help

The data directory comes from NELLIE_DATA_DIR (as for every nellie command); the nellie program
from NELLIE_BIN, else the one next to this script, else PATH.
EOF
}

log() { printf 'nellie-backup: %s\n' "$*" >&2; }
die() {
  printf 'nellie-backup: error: %s\n' "$*" >&2
  exit 1
}

data_dir=${NELLIE_DATA_DIR:-${STATE_DIRECTORY:-$HOME/.local/share/nellie}}
data_dir=${data_dir%%:*}
backup_dir=${NELLIE_BACKUP_DIR:-$data_dir/backups}
keep=${NELLIE_BACKUP_KEEP:-14}
max_age_days=${NELLIE_BACKUP_MAX_AGE_DAYS:-30}
metrics_file=${NELLIE_BACKUP_METRICS_FILE:-}
verify=true

while [ $# -gt 0 ]; do
  case $1 in
    --dir) backup_dir=${2:?--dir needs a directory}; shift 2 ;;
    --keep) keep=${2:?--keep needs a number}; shift 2 ;;
    --max-age-days) max_age_days=${2:?--max-age-days needs a number}; shift 2 ;;
    --metrics-file) metrics_file=${2:?--metrics-file needs a file}; shift 2 ;;
    --no-verify) verify=false; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
case $keep in '' | *[!0-9]*) die "--keep must be a whole number, got '$keep'" ;; esac
case $max_age_days in '' | *[!0-9]*) die "--max-age-days must be a whole number, got '$max_age_days'" ;; esac
[ "$keep" -ge 1 ] || die "--keep must be at least 1"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
nellie=${NELLIE_BIN:-}
if [ -z "$nellie" ]; then
  if [ -x "$script_dir/nellie" ]; then
    nellie=$script_dir/nellie
  else
    nellie=$(command -v nellie) || die "the nellie program was not found; set NELLIE_BIN"
  fi
fi

export NELLIE_DATA_DIR=$data_dir
# Verification never needs the network or the model.
export NELLIE_OFFLINE=true

sha256() { # sha256 FILE: prints "<hash>  FILE" like sha256sum
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi
}

write_metrics() { # write_metrics SUCCESS BYTES
  [ -n "$metrics_file" ] || return 0
  local now tmp
  now=$(date +%s)
  tmp=$metrics_file.$$
  {
    echo '# HELP nellie_backup_last_run_timestamp_seconds When the last backup attempt finished.'
    echo '# TYPE nellie_backup_last_run_timestamp_seconds gauge'
    echo "nellie_backup_last_run_timestamp_seconds $now"
    echo '# HELP nellie_backup_last_run_success 1 if the last backup attempt wrote and verified a backup.'
    echo '# TYPE nellie_backup_last_run_success gauge'
    echo "nellie_backup_last_run_success $1"
    if [ "$1" = 1 ]; then
      echo '# HELP nellie_backup_last_success_timestamp_seconds When the last verified backup was written.'
      echo '# TYPE nellie_backup_last_success_timestamp_seconds gauge'
      echo "nellie_backup_last_success_timestamp_seconds $now"
      echo '# HELP nellie_backup_last_size_bytes Size of the last verified backup.'
      echo '# TYPE nellie_backup_last_size_bytes gauge'
      echo "nellie_backup_last_size_bytes $2"
    fi
  } >"$tmp"
  mv "$tmp" "$metrics_file"
}

umask 027
mkdir -p "$backup_dir"
backup_dir=$(cd "$backup_dir" && pwd)

# One backup at a time (a timer run and a manual run may meet).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$backup_dir/.lock"
  flock -n 9 || die "another nellie-backup is running in $backup_dir"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=nellie-$stamp.db
partial=$backup_dir/.$name.partial
scratch=
finish() {
  local code=$?
  rm -f "$partial"
  if [ -n "$scratch" ]; then rm -rf "$scratch"; fi
  if [ "$code" != 0 ]; then write_metrics 0 0 || true; fi
  exit "$code"
}
trap finish EXIT

[ ! -e "$backup_dir/$name" ] || die "$backup_dir/$name already exists"
log "backing up $data_dir/nellie.db to $backup_dir/$name"
"$nellie" backup "$partial" --log-level warn >&2

if [ "$verify" = true ]; then
  # Restore into a scratch data directory on the same disk and open it: proves the file is a
  # complete, consistent Nellie database that this version can read.
  scratch=$(mktemp -d "$backup_dir/.verify.XXXXXX")
  NELLIE_DATA_DIR=$scratch "$nellie" restore "$partial" --log-level warn >&2
  status_json=$(NELLIE_DATA_DIR=$scratch "$nellie" status --json --log-level warn)
  case $status_json in
    *'"chunks"'*) ;;
    *) die "the restored backup did not report its contents: $status_json" ;;
  esac
  rm -rf "$scratch"
  scratch=
  log "verified: the backup restores and opens"
fi

bytes=$(wc -c <"$partial" | tr -d ' ')
mv "$partial" "$backup_dir/$name"
(cd "$backup_dir" && sha256 "$name" >"$name.sha256")
log "wrote $backup_dir/$name ($bytes bytes) and $name.sha256"

# Retention: at most $keep backups, none older than $max_age_days days (0: no age limit); the
# newest backup always stays. Ages come from the UTC timestamps in the names.
cutoff=
if [ "$max_age_days" -gt 0 ]; then
  cutoff_seconds=$(($(date +%s) - max_age_days * 86400))
  cutoff=$(date -u -d "@$cutoff_seconds" +%Y%m%dT%H%M%SZ 2>/dev/null ||
    date -u -r "$cutoff_seconds" +%Y%m%dT%H%M%SZ)
fi
backups=()
for file in "$backup_dir"/nellie-*.db; do
  if [ -f "$file" ]; then backups=("${file##*/}" ${backups[@]+"${backups[@]}"}); fi
done
index=0
for old in ${backups[@]+"${backups[@]}"}; do
  index=$((index + 1))
  [ "$index" -gt 1 ] || continue
  old_stamp=${old#nellie-}
  old_stamp=${old_stamp%.db}
  if [ "$index" -gt "$keep" ]; then
    reason="more than $keep backups"
  elif [ -n "$cutoff" ] && [[ "$old_stamp" < "$cutoff" ]]; then
    reason="older than $max_age_days days"
  else
    continue
  fi
  rm -f "$backup_dir/$old" "$backup_dir/$old.sha256"
  log "deleted $old ($reason)"
done

write_metrics 1 "$bytes"
printf '%s\n' "$backup_dir/$name"
