#!/usr/bin/env bash
# Removes a Nellie installation made by install.sh. Keeps the data directory, the configuration
# and the service account unless --purge is given. Idempotent: safe to run again.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: uninstall.sh [options]

Stops and removes the Nellie service, its units, the program under the prefix and the
/usr/local/bin/nellie command. The data directory (database, model cache, backups), the
configuration and the `nellie` account stay unless --purge is given.

Options:
  --prefix DIR       where the program is (default /opt/nellie)
  --data-dir DIR     default /var/lib/nellie (removed only with --purge)
  --config-dir DIR   default /etc/nellie (removed only with --purge)
  --unit-dir DIR     default /etc/systemd/system
  --bin-dir DIR      default /usr/local/bin
  --user NAME        service account (default nellie; deleted only with --purge)
  --group NAME       service group (default: the user's name)
  --purge            also delete the data directory, backups, configuration, logs and account
  --destdir DIR      act on a tree staged with install.sh --destdir (also DESTDIR=DIR)
  -h, --help         show this help
EOF
}

log() { printf 'uninstall: %s\n' "$*"; }
die() {
  printf 'uninstall: error: %s\n' "$*" >&2
  exit 1
}

prefix=/opt/nellie
data_dir=/var/lib/nellie
config_dir=/etc/nellie
unit_dir=/etc/systemd/system
bin_dir=/usr/local/bin
user=nellie
group=
purge=false
destdir=${DESTDIR:-}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --data-dir) data_dir=${2:?--data-dir needs a directory}; shift 2 ;;
    --config-dir) config_dir=${2:?--config-dir needs a directory}; shift 2 ;;
    --unit-dir) unit_dir=${2:?--unit-dir needs a directory}; shift 2 ;;
    --bin-dir) bin_dir=${2:?--bin-dir needs a directory}; shift 2 ;;
    --user) user=${2:?--user needs a name}; shift 2 ;;
    --group) group=${2:?--group needs a name}; shift 2 ;;
    --purge) purge=true; shift ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done
group=${group:-$user}

for dir in "$prefix" "$data_dir" "$config_dir" "$unit_dir" "$bin_dir"; do
  case $dir in
    / | /usr | /etc | /var | /var/lib | /opt | /home) die "refusing to operate on $dir" ;;
    /*) ;;
    *) die "paths must be absolute: $dir" ;;
  esac
done

staged=false
if [ -n "$destdir" ]; then
  staged=true
  [ -d "$destdir" ] || die "--destdir $destdir: no such directory"
  destdir=$(cd "$destdir" && pwd)
  [ "$destdir" != / ] || destdir=
fi
if [ "$staged" = false ] && [ "$(id -u)" != 0 ]; then
  die "run as root (sudo $0 ...), or act on a staged tree with --destdir DIR"
fi

systemd_running=false
if [ "$staged" = false ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemd_running=true
fi

# --- Service ------------------------------------------------------------------------------------

units=(nellie.service nellie-backup.service nellie-backup.timer nellie-restore-drill.service nellie-restore-drill.timer)
if [ "$systemd_running" = true ]; then
  for unit in nellie-restore-drill.timer nellie-restore-drill.service nellie-backup.timer \
    nellie-backup.service nellie.service; do
    if systemctl cat "$unit" >/dev/null 2>&1; then
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
      log "stopped and disabled $unit"
    fi
  done
fi
for unit in "${units[@]}"; do
  if [ -e "$destdir$unit_dir/$unit" ]; then
    rm -f "$destdir$unit_dir/$unit"
    log "removed $unit_dir/$unit"
  fi
  dropin_dir=$destdir$unit_dir/$unit.d
  if [ -d "$dropin_dir" ]; then
    rm -f "$dropin_dir/10-install.conf"
    if [ "$purge" = true ]; then
      rm -rf "$dropin_dir"
    elif ! rmdir "$dropin_dir" 2>/dev/null; then
      log "kept your drop-ins in $unit_dir/$unit.d"
    fi
  fi
done
if [ "$systemd_running" = true ]; then
  systemctl daemon-reload
  systemctl reset-failed nellie.service nellie-backup.service nellie-restore-drill.service >/dev/null 2>&1 || true
fi

# --- Program ------------------------------------------------------------------------------------

root=$destdir$prefix
if [ -d "$root" ]; then
  if [ -d "$root/releases" ] || [ -L "$root/current" ]; then
    rm -rf "${root:?}/releases" "${root:?}/current" "${root:?}/previous" "${root:?}/bin"
    rmdir "$root" 2>/dev/null || log "left $prefix in place: it holds files Nellie did not install"
    log "removed the program in $prefix"
  else
    die "$prefix does not look like a Nellie installation (no releases/ or current); not touching it"
  fi
fi

wrapper=$destdir$bin_dir/nellie
if [ -e "$wrapper" ]; then
  if grep -q '^# nellie-wrapper:' "$wrapper" 2>/dev/null; then
    rm -f "$wrapper"
    log "removed $bin_dir/nellie"
  else
    log "left $bin_dir/nellie alone: it is not Nellie's wrapper"
  fi
fi

# --- Data, configuration, account ---------------------------------------------------------------

if [ "$purge" = true ]; then
  for dir in "$data_dir" "$config_dir" /var/log/nellie; do
    if [ -e "$destdir$dir" ]; then
      rm -rf -- "$destdir$dir"
      log "purged $dir"
    fi
  done
  if [ "$staged" = false ]; then
    if id -u "$user" >/dev/null 2>&1; then
      userdel "$user"
      log "deleted user $user"
    fi
    if getent group "$group" >/dev/null; then
      groupdel "$group" 2>/dev/null || log "kept group $group (it still has members)"
    fi
  fi
else
  kept=()
  for dir in "$data_dir" "$config_dir"; do
    if [ -e "$destdir$dir" ]; then kept+=("$dir"); fi
  done
  if [ ${#kept[@]} -gt 0 ]; then
    log "kept ${kept[*]} (data and configuration; --purge deletes them)"
  fi
  if [ "$staged" = false ] && id -u "$user" >/dev/null 2>&1; then
    log "kept the $user account (--purge deletes it)"
  fi
fi
log "done"
