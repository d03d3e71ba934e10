#!/usr/bin/env bash
# Installs a Nellie release as a systemd service. Idempotent: running it again with the same
# release changes nothing; with a newer release it switches to it and keeps the previous one
# for rollback. See docs/deployment/systemd.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: install.sh [options] [SOURCE]

Installs a Nellie release: the program under the prefix, the `nellie` system account, the data
and config directories, the default config (never overwriting an edited one), the systemd units
and the /usr/local/bin/nellie command.

SOURCE    a release tarball (nellie-<version>-<platform>.tar.gz) or an unpacked release
          directory; default: the release this script was unpacked with

Options:
  --prefix DIR       where the program goes (default /opt/nellie)
  --data-dir DIR     database, model cache and backups (default /var/lib/nellie)
  --config-dir DIR   nellie.conf (default /etc/nellie)
  --unit-dir DIR     systemd units (default /etc/systemd/system)
  --bin-dir DIR      where the `nellie` command goes (default /usr/local/bin)
  --user NAME        service account (default nellie); in --destdir mode an existing account
                     to give the files to instead of only reporting the ownership
  --group NAME       service group (default: the user's name)
  --model-dir DIR    import this model directory (`nellie model import`) into the data dir
  --trust-model      import it without checking it against the known checksums (for a
                     fine-tuned or converted model; `nellie model import --no-verify`)
  --no-systemd       do not install the systemd units
  --no-bin           do not install the `nellie` command into --bin-dir
  --enable           enable and start nellie.service and the backup and restore-drill timers
  --destdir DIR      stage everything under DIR (also DESTDIR=DIR): no root needed, no account
                     is created and systemctl is not called; ownership that would be applied
                     is printed as "would chown USER:GROUP PATH" unless --user names an account
  -h, --help         show this help
EOF
}

log() { printf 'install: %s\n' "$*"; }
die() {
  printf 'install: error: %s\n' "$*" >&2
  exit 1
}

prefix=/opt/nellie
data_dir=/var/lib/nellie
config_dir=/etc/nellie
unit_dir=/etc/systemd/system
bin_dir=/usr/local/bin
user=nellie
user_given=false
group=
model_dir=
trust_model=false
with_systemd=true
with_bin=true
enable=false
destdir=${DESTDIR:-}
source_path=

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --data-dir) data_dir=${2:?--data-dir needs a directory}; shift 2 ;;
    --config-dir) config_dir=${2:?--config-dir needs a directory}; shift 2 ;;
    --unit-dir) unit_dir=${2:?--unit-dir needs a directory}; shift 2 ;;
    --bin-dir) bin_dir=${2:?--bin-dir needs a directory}; shift 2 ;;
    --user) user=${2:?--user needs a name}; user_given=true; shift 2 ;;
    --group) group=${2:?--group needs a name}; shift 2 ;;
    --model-dir) model_dir=${2:?--model-dir needs a directory}; shift 2 ;;
    --trust-model) trust_model=true; shift ;;
    --no-systemd) with_systemd=false; shift ;;
    --no-bin) with_bin=false; shift ;;
    --enable) enable=true; shift ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *)
      [ -z "$source_path" ] || die "only one SOURCE may be given (got $source_path and $1)"
      source_path=$1
      shift
      ;;
  esac
done
group=${group:-$user}

for dir in "$prefix" "$data_dir" "$config_dir" "$unit_dir" "$bin_dir"; do
  case $dir in
    /*) ;;
    *) die "paths must be absolute: $dir" ;;
  esac
done

staged=false
if [ -n "$destdir" ]; then
  staged=true
  mkdir -p "$destdir"
  destdir=$(cd "$destdir" && pwd)
  [ "$destdir" != / ] || destdir=
fi
if [ "$staged" = false ] && [ "$(id -u)" != 0 ]; then
  die "run as root (sudo $0 ...), or stage into a directory with --destdir DIR"
fi
if [ "$enable" = true ] && [ "$staged" = true ]; then
  die "--enable cannot be combined with --destdir"
fi

# Ownership: applied for real outside --destdir mode, and in --destdir mode when --user names an
# existing account; otherwise reported so a packager can apply it.
apply_owner=true
if [ "$staged" = true ]; then
  if [ "$user_given" = true ]; then
    id -u "$user" >/dev/null 2>&1 || die "--user $user: no such account"
    getent group "$group" >/dev/null 2>&1 || die "--group $group: no such group"
  else
    apply_owner=false
  fi
fi
own() { # own OWNER:GROUP PATH
  if [ "$apply_owner" = true ]; then
    chown -h "$1" "$2"
  else
    printf 'would chown %s %s\n' "$1" "${2#"$destdir"}"
  fi
}
root_owner=root:root
root_group_owner=root:$group
if [ "$staged" = true ] && [ "$(id -u)" != 0 ]; then
  # A non-root packager cannot give files to root; they stay the packager's own.
  root_owner=$(id -un):$(id -gn)
  if [ "$apply_owner" = true ]; then root_group_owner=$(id -un):$group; fi
fi

# --- The release ------------------------------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/nellie-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "$source_path" ]; then
  if [ -x "$script_dir/bin/nellie" ] && [ -d "$script_dir/app" ]; then
    source_path=$script_dir
  elif [ -x "$script_dir/../../bin/nellie" ] && [ -d "$script_dir/../../app" ]; then
    source_path=$(cd "$script_dir/../.." && pwd)
  else
    usage >&2
    die "no release given: pass a release tarball or directory (build one with packaging/scripts/build-release.sh)"
  fi
fi

if [ -f "$source_path" ]; then
  log "unpacking $source_path"
  mkdir "$work/unpacked"
  tar -xzf "$source_path" -C "$work/unpacked"
  release_src=
  for entry in "$work/unpacked"/*; do
    if [ -d "$entry" ] && [ -z "$release_src" ]; then
      release_src=$entry
    else
      die "$source_path is not a Nellie release tarball (expected one top-level directory)"
    fi
  done
  [ -n "$release_src" ] || die "$source_path is empty"
elif [ -d "$source_path" ]; then
  release_src=$(cd "$source_path" && pwd)
else
  die "$source_path: no such file or directory"
fi
for required in bin/nellie app/dist/cli.js packaging/nellie.conf packaging/systemd/nellie.service VERSION BUILD_INFO; do
  [ -e "$release_src/$required" ] || die "$source_path is not a Nellie release: $required is missing"
done
version=$(tr -d '[:space:]' <"$release_src/VERSION")
case $version in
  '' | */* | .*) die "$release_src/VERSION holds no usable version" ;;
esac

root=$destdir$prefix
releases=$root/releases
target=$releases/$version
mkdir -p "$releases"
own "$root_owner" "$root"
own "$root_owner" "$releases"

if [ -d "$target" ] && cmp -s "$target/BUILD_INFO" "$release_src/BUILD_INFO"; then
  log "release $version is already installed in $prefix/releases/$version"
else
  log "installing release $version into $prefix/releases/$version"
  staging=$releases/.$version.partial
  rm -rf "$staging"
  cp -a "$release_src/." "$staging/"
  if [ "$(id -u)" = 0 ]; then
    chown -R root:root "$staging"
  fi
  chmod -R u+rwX,go+rX,go-w "$staging"
  if [ -d "$target" ]; then
    # Same version, different build: replace it.
    rm -rf "$releases/.$version.old"
    mv "$target" "$releases/.$version.old"
    mv "$staging" "$target"
    rm -rf "$releases/.$version.old"
  else
    mv "$staging" "$target"
  fi
fi
if [ "$apply_owner" = false ]; then
  printf 'would chown -R %s %s\n' "$root_owner" "$prefix/releases/$version"
fi

# current -> releases/<version>, previous -> the release that was current before, bin -> current/bin
previous_target=
if [ -L "$root/current" ]; then
  previous_target=$(readlink "$root/current")
fi
if [ "$previous_target" != "releases/$version" ]; then
  if [ -n "$previous_target" ]; then
    ln -sfn "$previous_target" "$root/previous"
    log "previous release kept for rollback: $prefix/$previous_target"
  fi
  ln -sfn "releases/$version" "$root/current"
fi
if [ -e "$root/bin" ] && [ ! -L "$root/bin" ]; then
  die "$prefix/bin exists and is not a symlink; move it away first"
fi
ln -sfn current/bin "$root/bin"
for link in current previous bin; do
  if [ -L "$root/$link" ]; then own "$root_owner" "$root/$link"; fi
done

# --- Account and directories --------------------------------------------------------------------

if [ "$staged" = false ]; then
  if ! getent group "$group" >/dev/null; then
    log "creating system group $group"
    groupadd --system "$group"
  fi
  if ! id -u "$user" >/dev/null 2>&1; then
    log "creating system user $user"
    nologin=/usr/sbin/nologin
    [ -x "$nologin" ] || nologin=/sbin/nologin
    [ -x "$nologin" ] || nologin=/bin/false
    useradd --system --gid "$group" --home-dir "$data_dir" --no-create-home \
      --shell "$nologin" --comment "Nellie code memory server" "$user"
  fi
fi

make_dir() { # make_dir MODE OWNER PATH
  mkdir -p "$destdir$3"
  chmod "$1" "$destdir$3"
  own "$2" "$destdir$3"
}
make_dir 0750 "$user:$group" "$data_dir"
make_dir 0750 "$user:$group" "$data_dir/backups"
make_dir 0750 "$user:$group" /var/log/nellie
make_dir 0750 "$root_group_owner" "$config_dir"

# --- Configuration ------------------------------------------------------------------------------

conf_new=$work/nellie.conf
sed -e "s|^NELLIE_DATA_DIR=.*|NELLIE_DATA_DIR=$data_dir|" \
  -e "s|^NELLIE_BACKUP_DIR=.*|NELLIE_BACKUP_DIR=$data_dir/backups|" \
  "$release_src/packaging/nellie.conf" >"$conf_new"
conf=$destdir$config_dir/nellie.conf
if [ ! -e "$conf" ]; then
  install -m 0640 "$conf_new" "$conf"
  own "$root_group_owner" "$conf"
  log "installed the default configuration $config_dir/nellie.conf"
elif cmp -s "$conf_new" "$conf"; then
  log "configuration $config_dir/nellie.conf is up to date"
else
  install -m 0640 "$conf_new" "$conf.new"
  own "$root_group_owner" "$conf.new"
  log "kept your edited $config_dir/nellie.conf; this release's defaults are in $config_dir/nellie.conf.new (compare: diff -u $config_dir/nellie.conf $config_dir/nellie.conf.new)"
fi

# --- systemd ------------------------------------------------------------------------------------

systemd_running=false
if [ "$staged" = false ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemd_running=true
fi
if [ "$with_systemd" = true ]; then
  mkdir -p "$destdir$unit_dir"
  for unit in nellie.service nellie-backup.service nellie-backup.timer \
    nellie-restore-drill.service nellie-restore-drill.timer; do
    install -m 0644 "$release_src/packaging/systemd/$unit" "$destdir$unit_dir/$unit"
    own "$root_owner" "$destdir$unit_dir/$unit"
  done
  log "installed nellie.service and the nellie-backup and nellie-restore-drill services and timers into $unit_dir"

  # Paths or account other than the units' defaults go into a drop-in, so the unit files stay
  # exactly as shipped.
  dropin_body=
  if [ "$user" != nellie ] || [ "$group" != nellie ]; then
    dropin_body+=$'User='"$user"$'\nGroup='"$group"$'\n'
  fi
  if [ "$config_dir" != /etc/nellie ]; then
    dropin_body+=$'EnvironmentFile=\nEnvironmentFile='"$config_dir"$'/nellie.conf\n'
  fi
  if [ "$data_dir" != /var/lib/nellie ]; then
    dropin_body+=$'Environment=NELLIE_DATA_DIR='"$data_dir"$'\nEnvironment=NELLIE_BACKUP_DIR='"$data_dir"$'/backups\nWorkingDirectory='"$data_dir"$'\nReadWritePaths='"$data_dir"$'\n'
  fi
  for unit in nellie.service nellie-backup.service nellie-restore-drill.service; do
    dropin_dir=$destdir$unit_dir/$unit.d
    body=$dropin_body
    if [ "$prefix" != /opt/nellie ]; then
      case $unit in
        nellie.service) body+=$'ExecStart=\nExecStart='"$prefix"$'/bin/nellie serve\n' ;;
        nellie-backup.service) body+=$'ExecStart=\nExecStart='"$prefix"$'/bin/nellie-backup\n' ;;
        *) body+=$'ExecStart=\nExecStart='"$prefix"$'/bin/nellie-restore-drill --max-age-hours 48\n' ;;
      esac
    fi
    if [ -n "$body" ]; then
      mkdir -p "$dropin_dir"
      printf '# Written by install.sh for this installation; re-run install.sh to change it.\n[Service]\n%s' "$body" >"$dropin_dir/10-install.conf"
      chmod 0644 "$dropin_dir/10-install.conf"
      own "$root_owner" "$dropin_dir/10-install.conf"
      log "wrote $unit_dir/$unit.d/10-install.conf for the non-default paths or account"
    elif [ -f "$dropin_dir/10-install.conf" ]; then
      rm -f "$dropin_dir/10-install.conf"
      rmdir "$dropin_dir" 2>/dev/null || true
    fi
  done

  if [ "$systemd_running" = true ]; then
    systemctl daemon-reload
  fi
fi

# --- The nellie command -------------------------------------------------------------------------

if [ "$with_bin" = true ]; then
  wrapper=$destdir$bin_dir/nellie
  if [ -e "$wrapper" ] && ! grep -q '^# nellie-wrapper:' "$wrapper" 2>/dev/null; then
    log "left $bin_dir/nellie alone: it is not Nellie's wrapper (run $prefix/bin/nellie directly)"
  else
    mkdir -p "$destdir$bin_dir"
    sed -e "s|@USER@|$user|g" -e "s|@CONFIG_FILE@|$config_dir/nellie.conf|g" -e "s|@PREFIX@|$prefix|g" \
      "$release_src/packaging/scripts/nellie-wrapper.sh" >"$work/nellie-wrapper"
    install -m 0755 "$work/nellie-wrapper" "$wrapper"
    own "$root_owner" "$wrapper"
    log "installed the nellie command as $bin_dir/nellie (runs as $user with $config_dir/nellie.conf)"
  fi
fi

# --- Model --------------------------------------------------------------------------------------

if [ -n "$model_dir" ]; then
  [ -d "$model_dir" ] || die "--model-dir $model_dir: no such directory"
  model_dir=$(cd "$model_dir" && pwd)
  log "importing the model in $model_dir into $data_dir/models"
  import_flags=()
  if [ "$trust_model" = true ]; then import_flags+=(--no-verify); fi
  NELLIE_DATA_DIR=$destdir$data_dir "$root/bin/nellie" model import "$model_dir" ${import_flags[@]+"${import_flags[@]}"}
  if [ -d "$destdir$data_dir/models" ]; then
    if [ "$apply_owner" = true ]; then
      chown -R "$user:$group" "$destdir$data_dir/models"
    else
      printf 'would chown -R %s %s\n' "$user:$group" "$data_dir/models"
    fi
  fi
fi

# --- Done ---------------------------------------------------------------------------------------

if [ "$enable" = true ]; then
  if [ "$systemd_running" = true ]; then
    systemctl enable --now nellie.service nellie-backup.timer nellie-restore-drill.timer
    log "nellie.service, nellie-backup.timer and nellie-restore-drill.timer are enabled and started"
  else
    log "systemd is not running here; start $prefix/bin/nellie serve another way"
  fi
fi

"$root/bin/nellie" --version >/dev/null 2>&1 || log "warning: $prefix/bin/nellie --version failed; run it to see why"
log "done: Nellie $version in $prefix"
if [ "$staged" = false ] && [ "$enable" = false ] && [ "$with_systemd" = true ]; then
  if [ "$systemd_running" = true ] && systemctl is-active --quiet nellie.service; then
    log "restart to run the new release: systemctl restart nellie"
  else
    log "next: edit $config_dir/nellie.conf, then: systemctl enable --now nellie nellie-backup.timer nellie-restore-drill.timer"
  fi
fi
