#!/usr/bin/env bash
# Tests backup.sh (nellie-backup) and restore-drill.sh (nellie-restore-drill): naming, checksums,
# verification, retention by count and age, metrics, locking and failure paths.
#
# By default against a stand-in `nellie` that implements backup, restore, status and maintenance
# on plain files, so the scripts' own logic is tested quickly. The end-to-end drill against the
# real app is packaging/test/drill.test.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=packaging/test/lib.sh
. "$here/lib.sh"

backup_sh=$repo/packaging/scripts/backup.sh
drill_sh=$repo/packaging/scripts/restore-drill.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/nellie-backup-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A stand-in nellie: the "database" is a text file whose first line is "chunks=N".
stub=$work/nellie
cat >"$stub" <<'EOF'
#!/bin/sh
set -eu
db=$NELLIE_DATA_DIR/nellie.db
command=$1
shift
echo "$command $*" >>"${STUB_LOG:-/dev/null}"
case $command in
  backup)
    [ ! -e "$1" ] || { echo "nellie: $1 exists" >&2; exit 1; }
    cp "$db" "$1"
    ;;
  restore)
    if grep -q corrupt "$1"; then echo "nellie: $1 failed its integrity check" >&2; exit 1; fi
    mkdir -p "$NELLIE_DATA_DIR"
    cp "$1" "$db"
    ;;
  status)
    chunks=$(sed -n 's/^chunks=//p' "$db")
    printf '{\n  "version": "0.0.0",\n  "files": 2,\n  "chunks": %s,\n  "lessons": 1,\n  "checkpoints": 0\n}\n' "$chunks"
    ;;
  maintenance)
    if grep -q damaged "$db"; then ok=false; else ok=true; fi
    printf '{"integrity": {"ok": %s, "problems": []}}\n' "$ok"
    ;;
  *) exit 2 ;;
esac
EOF
chmod 0755 "$stub"
export NELLIE_BIN=$stub

data=$work/data
backups=$work/backups
mkdir -p "$data"
echo "chunks=42" >"$data/nellie.db"
export NELLIE_DATA_DIR=$data NELLIE_BACKUP_DIR=$backups
unset NELLIE_BACKUP_KEEP NELLIE_BACKUP_MAX_AGE_DAYS NELLIE_BACKUP_METRICS_FILE

stamp_days_ago() { date -u -d "@$(($(date +%s) - $1 * 86400))" +%Y%m%dT%H%M%SZ; }

# ------------------------------------------------------------------------------------------------
test_case "a backup is written, checksummed and verified"
export STUB_LOG=$work/stub.log
output=$(bash "$backup_sh" --metrics-file "$work/backup.prom" 2>"$work/stderr") && status=0 || status=$?
check_equal "$status" 0 "nellie-backup exits 0"
written=$output
check_contains "$written" "$backups/nellie-" "prints the new backup's path"
check_file "$written" "the backup"
check "the backup holds the database" cmp "$written" "$data/nellie.db"
check_mode "$written" 0640 "the backup"
(cd "$backups" && check "the .sha256 file verifies" sha256sum -c "${written##*/}.sha256")
case ${written##*/} in
  nellie-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.db) pass "the name is nellie-<UTC timestamp>.db" ;;
  *) fail "the name is nellie-<UTC timestamp>.db" "${written##*/}" ;;
esac
check_contains "$(cat "$STUB_LOG")" "restore $backups/.nellie-" "verifies by restoring the new backup"
check_contains "$(cat "$STUB_LOG")" "status --json" "reads the restored copy back"
check_equal "$(find "$backups" -name '.verify.*' | wc -l)" 0 "no scratch directory is left"
check_equal "$(find "$backups" -name '*.partial' | wc -l)" 0 "no partial file is left"
metrics=$(cat "$work/backup.prom")
check_contains "$metrics" "nellie_backup_last_run_success 1" "metrics: success"
check_contains "$metrics" "nellie_backup_last_size_bytes 10" "metrics: size"
check_contains "$metrics" "nellie_backup_last_success_timestamp_seconds " "metrics: timestamp"

# ------------------------------------------------------------------------------------------------
test_case "retention keeps at most --keep backups and none older than --max-age-days"
rm -f "$backups"/nellie-*
declare -A aged=()
for days in 1 2 3 40 50; do
  name=nellie-$(stamp_days_ago "$days").db
  aged[$days]=$name
  echo "chunks=1" >"$backups/$name"
  echo "x  $name" >"$backups/$name.sha256"
done
output=$(bash "$backup_sh" --keep 3 --max-age-days 30 2>&1) && status=0 || status=$?
check_equal "$status" 0 "nellie-backup exits 0"
remaining=$(find "$backups" -maxdepth 1 -name 'nellie-*.db' | wc -l)
check_equal "$remaining" 3 "three backups remain"
check_file "$backups/${aged[1]}" "the 1-day-old backup stays"
check_file "$backups/${aged[2]}" "the 2-day-old backup stays"
check_absent "$backups/${aged[3]}" "the 3-day-old backup (4th newest)"
check_absent "$backups/${aged[50]}.sha256" "the deleted backup's checksum"
check_equal "$(find "$backups" -maxdepth 1 -name 'nellie-*.db.sha256' | wc -l)" 3 "their checksums remain with them"
check_contains "$output" "more than 3 backups" "says why it deleted by count"

rm -f "$backups"/nellie-*
for days in 1 40 50; do
  echo "chunks=1" >"$backups/nellie-$(stamp_days_ago "$days").db"
done
output=$(NELLIE_BACKUP_KEEP=10 NELLIE_BACKUP_MAX_AGE_DAYS=30 bash "$backup_sh" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "nellie-backup (settings from the environment) exits 0"
check_equal "$(find "$backups" -maxdepth 1 -name 'nellie-*.db' | wc -l)" 2 "backups older than 30 days are deleted"
check_contains "$output" "older than 30 days" "says why it deleted by age"

rm -f "$backups"/nellie-*
echo "chunks=1" >"$backups/nellie-$(stamp_days_ago 90).db"
output=$(bash "$backup_sh" --keep 1 --max-age-days 0 2>&1) && status=0 || status=$?
check_equal "$(find "$backups" -maxdepth 1 -name 'nellie-*.db' | wc -l)" 1 "with --keep 1 only the new backup stays"

# ------------------------------------------------------------------------------------------------
test_case "a backup that fails verification does not count"
rm -f "$backups"/nellie-*
echo "chunks=5 corrupt" >"$data/nellie.db"
output=$(bash "$backup_sh" --metrics-file "$work/backup.prom" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "nellie-backup fails"
check_contains "$output" "failed its integrity check" "shows nellie's message"
check_equal "$(find "$backups" -maxdepth 1 -name 'nellie-*' | wc -l)" 0 "no backup is kept"
check_equal "$(find "$backups" -name '.verify.*' -o -name '*.partial' | wc -l)" 0 "nothing is left behind"
check_contains "$(cat "$work/backup.prom")" "nellie_backup_last_run_success 0" "metrics: failure"
echo "chunks=42" >"$data/nellie.db"

test_case "bad arguments"
output=$(bash "$backup_sh" --keep 0 2>&1) && status=0 || status=$?
check_equal "$status" 1 "--keep 0 exits 1"
output=$(bash "$backup_sh" --max-age-days soon 2>&1) && status=0 || status=$?
check_contains "$output" "must be a whole number" "--max-age-days must be a number"
output=$(bash "$backup_sh" --what 2>&1) && status=0 || status=$?
check_equal "$status" 2 "an unknown option exits 2"

test_case "only one backup runs at a time"
exec 8>"$backups/.lock"
flock -n 8
output=$(bash "$backup_sh" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "a second run exits 1"
check_contains "$output" "another nellie-backup is running" "says why"
exec 8>&-

# ------------------------------------------------------------------------------------------------
test_case "the restore drill restores the newest backup into scratch"
rm -f "$backups"/nellie-*
echo "chunks=7" >"$data/nellie.db"
older=$(bash "$backup_sh" 2>/dev/null)
three_days_old=$backups/nellie-$(stamp_days_ago 3).db
mv "$older" "$three_days_old"
mv "$older.sha256" "$three_days_old.sha256"
echo "chunks=42" >"$data/nellie.db"
newest=$(bash "$backup_sh" 2>/dev/null)
: >"$STUB_LOG"
output=$(bash "$drill_sh" --scratch-dir "$work/scratch" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "nellie-restore-drill exits 0"
check_contains "$output" "restore-drill: OK: $newest restores; files=2 chunks=42 lessons=1 checkpoints=0" "reports the newest backup's contents"
check_contains "$(cat "$STUB_LOG")" "maintenance --vacuum never --json" "runs the integrity check"
check_contains "$output" "sha256 ok" "checks the sha256"
check_equal "$(find "$work/scratch" -mindepth 1 | wc -l)" 0 "the scratch directory is removed"
check_equal "$(cat "$data/nellie.db")" "chunks=42" "the live database is untouched"

output=$(bash "$drill_sh" --min-chunks 43 2>&1) && status=0 || status=$?
check_equal "$status" 1 "--min-chunks above the contents fails"
check_contains "$output" "fewer than --min-chunks 43" "says why"

output=$(bash "$drill_sh" --backup "$three_days_old" --max-age-hours 48 2>&1) && status=0 || status=$?
check_equal "$status" 1 "--max-age-hours fails on an old backup"
check_contains "$output" "older than 48 hours" "says the backup is too old"

echo "tampered" >>"$newest"
output=$(bash "$drill_sh" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "a changed backup fails"
check_contains "$output" "sha256 mismatch" "says the checksum does not match"

echo "chunks=3 damaged" >"$newest"
sha256sum "$newest" | sed "s|  .*/|  |" >"$newest.sha256"
output=$(bash "$drill_sh" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "a backup failing the integrity check fails"
check_contains "$output" "integrity check reported problems" "says the integrity check failed"

output=$(bash "$drill_sh" --dir "$work/empty" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "no backup directory fails"
mkdir -p "$work/empty"
output=$(bash "$drill_sh" --dir "$work/empty" 2>&1) && status=0 || status=$?
check_contains "$output" "no backups (nellie-*.db)" "an empty backup directory fails with a message"

finish
