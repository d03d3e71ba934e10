#!/usr/bin/env bash
# Tests install.sh and uninstall.sh in --destdir mode: the files, owners and modes they create,
# idempotence, config preservation, upgrades, drop-ins, the nellie wrapper and the error paths.
#
#   bash packaging/test/install.test.sh                 with a stand-in release
#   NELLIE_RELEASE=dist/release/nellie-*.tar.gz bash packaging/test/install.test.sh
#                                                       with a real release (imports the model)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=packaging/test/lib.sh
. "$here/lib.sh"
# shellcheck source=packaging/test/fake-release.sh
. "$here/fake-release.sh"

install_sh=$repo/packaging/scripts/install.sh
uninstall_sh=$repo/packaging/scripts/uninstall.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/nellie-install-test.XXXXXX")
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT

# The release under test: a real tarball when given, else a stand-in.
if [ -n "${NELLIE_RELEASE:-}" ]; then
  source_release=$(cd "$(dirname "$NELLIE_RELEASE")" && pwd)/$(basename "$NELLIE_RELEASE")
  top=$(tar -tzf "$source_release" | sed -n 1p)
  version=$(tar -xzOf "$source_release" "${top%%/*}/VERSION" | tr -d '[:space:]')
  real_release=true
  model_source=$(cd "$repo/.." && pwd)/shared/models/stand-in/all-MiniLM-L6-v2-random-weights
else
  version=0.0.0-test
  make_fake_release "$work/release-$version" "$version"
  tar -C "$work" -czf "$work/nellie-$version-test.tar.gz" "release-$version"
  source_release=$work/nellie-$version-test.tar.gz
  real_release=false
  model_source=$work/model
  mkdir -p "$model_source/onnx"
  echo '{}' >"$model_source/config.json"
fi
me=$(id -un):$(id -gn)

tree_listing() { # every path under $1 with type, mode and link target
  (cd "$1" && find . -printf '%y %m %p %l\n' | sort)
}

# ------------------------------------------------------------------------------------------------
test_case "install from a tarball into a staging root"
dest=$work/root
# The stand-in model is not the genuine one, so its checksums do not match: import it as trusted.
output=$(bash "$install_sh" --destdir "$dest" --model-dir "$model_source" --trust-model "$source_release" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "install.sh exits 0"
check_dir "$dest/opt/nellie/releases/$version" "releases/$version"
check_link "$dest/opt/nellie/current" "releases/$version" "current"
check_link "$dest/opt/nellie/bin" "current/bin" "bin"
check_absent "$dest/opt/nellie/previous" "previous (first install)"
check_equal "$("$dest/opt/nellie/bin/nellie" --version 2>&1)" "$version" "the installed bin/nellie --version prints $version"
check_mode "$dest/opt/nellie/releases/$version/bin/nellie" 0755 "bin/nellie"
check_file "$dest/opt/nellie/bin/nellie-backup" "bin/nellie-backup"
check_file "$dest/opt/nellie/bin/nellie-restore-drill" "bin/nellie-restore-drill"

check_mode "$dest/var/lib/nellie" 0750 "data dir /var/lib/nellie"
check_mode "$dest/var/lib/nellie/backups" 0750 "backup dir"
check_mode "$dest/var/log/nellie" 0750 "log dir"
check_mode "$dest/etc/nellie" 0750 "config dir /etc/nellie"
check_mode "$dest/etc/nellie/nellie.conf" 0640 "nellie.conf"
check_contains "$(cat "$dest/etc/nellie/nellie.conf")" "NELLIE_DATA_DIR=/var/lib/nellie" "nellie.conf points at /var/lib/nellie"
check "nellie.conf matches the shipped default" cmp "$dest/etc/nellie/nellie.conf" "$repo/packaging/nellie.conf"

for unit in nellie.service nellie-backup.service nellie-backup.timer nellie-restore-drill.service nellie-restore-drill.timer; do
  check_mode "$dest/etc/systemd/system/$unit" 0644 "$unit"
  check "$unit is installed unchanged" cmp "$dest/etc/systemd/system/$unit" "$repo/packaging/systemd/$unit"
done
check_absent "$dest/etc/systemd/system/nellie.service.d" "a drop-in for default paths"

wrapper=$dest/usr/local/bin/nellie
check_mode "$wrapper" 0755 "/usr/local/bin/nellie"
check_contains "$(cat "$wrapper")" "program=/opt/nellie/bin/nellie" "the wrapper runs /opt/nellie/bin/nellie"
check_contains "$(cat "$wrapper")" "config_file=\${NELLIE_ENV_FILE:-/etc/nellie/nellie.conf}" "the wrapper reads /etc/nellie/nellie.conf"
for placeholder in @USER@ @CONFIG_FILE@ @PREFIX@; do
  check_not_contains "$(cat "$wrapper")" "$placeholder" "the wrapper has no $placeholder left"
done

check_contains "$output" "would chown nellie:nellie /var/lib/nellie" "reports the data dir's owner"
check_contains "$output" "would chown nellie:nellie /var/lib/nellie/backups" "reports the backup dir's owner"
check_contains "$output" "would chown root:nellie /etc/nellie" "reports the config dir's owner"
check_contains "$output" "would chown root:nellie /etc/nellie/nellie.conf" "reports the config file's owner"
check_contains "$output" "would chown root:root /etc/systemd/system/nellie.service" "reports the unit's owner"
check_contains "$output" "would chown -R nellie:nellie /var/lib/nellie/models" "reports the model cache's owner"
check_not_contains "$output" "daemon-reload" "does not call systemctl in staging mode"

if [ "$real_release" = true ]; then
  check_file "$dest/var/lib/nellie/models/Xenova/all-MiniLM-L6-v2/config.json" "imported model config.json"
  # (`nellie model verify` would rightly refuse the stand-in's checksums; status only looks.)
  status_json=$(NELLIE_DATA_DIR=$dest/var/lib/nellie NELLIE_OFFLINE=true "$dest/opt/nellie/bin/nellie" status --json 2>&1) && status=0 || status=$?
  check_equal "$status" 0 "the installed nellie status runs"
  check_contains "$status_json" '"available": true' "nellie status finds the imported model"
  check_contains "$status_json" "$dest/var/lib/nellie/models" "in the data directory's model cache"
else
  check_equal "$(cat "$dest/var/lib/nellie/models/imported-from" 2>/dev/null)" "$model_source --no-verify" "runs nellie model import <dir> --no-verify for --model-dir --trust-model"
fi

# ------------------------------------------------------------------------------------------------
test_case "running install.sh again changes nothing"
before=$(tree_listing "$dest")
output=$(bash "$install_sh" --destdir "$dest" "$source_release" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "second install.sh exits 0"
check_contains "$output" "release $version is already installed" "says the release is already installed"
check_contains "$output" "nellie.conf is up to date" "says the config is up to date"
check_equal "$(tree_listing "$dest")" "$before" "the installed tree is identical"

# ------------------------------------------------------------------------------------------------
test_case "an edited config is never overwritten"
echo "NELLIE_PORT=9090" >>"$dest/etc/nellie/nellie.conf"
edited=$(cat "$dest/etc/nellie/nellie.conf")
output=$(DESTDIR=$dest bash "$install_sh" "$source_release" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "install.sh (DESTDIR from the environment) exits 0"
check_equal "$(cat "$dest/etc/nellie/nellie.conf")" "$edited" "the edited nellie.conf is kept"
check_mode "$dest/etc/nellie/nellie.conf.new" 0640 "nellie.conf.new"
check "nellie.conf.new is the shipped default" cmp "$dest/etc/nellie/nellie.conf.new" "$repo/packaging/nellie.conf"
check_contains "$output" "nellie.conf.new" "says where the new defaults are"

# ------------------------------------------------------------------------------------------------
test_case "an upgrade switches current and keeps the previous release"
new_version=9.9.9-test
make_fake_release "$work/release-$new_version" "$new_version"
output=$(bash "$install_sh" --destdir "$dest" "$work/release-$new_version" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "install.sh of a directory release exits 0"
check_link "$dest/opt/nellie/current" "releases/$new_version" "current after the upgrade"
check_link "$dest/opt/nellie/previous" "releases/$version" "previous after the upgrade"
check_dir "$dest/opt/nellie/releases/$version" "the previous release is kept"
check_equal "$("$dest/opt/nellie/bin/nellie" --version)" "$new_version" "bin/nellie runs the new release"
check_contains "$output" "previous release kept for rollback" "mentions the rollback"

# ------------------------------------------------------------------------------------------------
test_case "a rebuilt release of the same version replaces it"
echo "rebuilt=yes" >>"$work/release-$new_version/BUILD_INFO"
output=$(bash "$install_sh" --destdir "$dest" "$work/release-$new_version" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "install.sh exits 0"
check_contains "$(cat "$dest/opt/nellie/releases/$new_version/BUILD_INFO")" "rebuilt=yes" "the new build is installed"
check_link "$dest/opt/nellie/previous" "releases/$version" "previous is unchanged"
check_absent "$dest/opt/nellie/releases/.$new_version.partial" "the staging directory"

# ------------------------------------------------------------------------------------------------
# The remaining scenarios test ownership, paths and errors, not the payload: a stand-in release
# keeps them fast whatever release is under test.
stand_in_version=0.0.1-test
make_fake_release "$work/release-$stand_in_version" "$stand_in_version"
stand_in=$work/release-$stand_in_version

test_case "--user applies real ownership in staging mode"
owned=$work/owned
if [ "$(id -u)" = 0 ]; then
  service_user=nobody
  service_group=$(id -gn nobody)
  root_owner=root:root
  config_owner=root:$service_group
else
  service_user=$(id -un)
  service_group=$(id -gn)
  root_owner=$me
  config_owner=$(id -un):$service_group
fi
output=$(bash "$install_sh" --destdir "$owned" --user "$service_user" --group "$service_group" "$stand_in" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "install.sh --user $service_user exits 0"
check_not_contains "$output" "would chown" "applies ownership instead of reporting it"
check_owner "$owned/var/lib/nellie" "$service_user:$service_group" "data dir"
check_owner "$owned/var/lib/nellie/backups" "$service_user:$service_group" "backup dir"
check_owner "$owned/etc/nellie" "$config_owner" "config dir"
check_owner "$owned/etc/nellie/nellie.conf" "$config_owner" "nellie.conf"
check_owner "$owned/etc/systemd/system/nellie.service" "$root_owner" "nellie.service"
check_owner "$owned/opt/nellie/releases/$stand_in_version/bin/nellie" "$root_owner" "bin/nellie"
dropin=$owned/etc/systemd/system/nellie.service.d/10-install.conf
if [ "$service_user" != nellie ]; then
  check_contains "$(cat "$dropin" 2>/dev/null)" "User=$service_user" "a drop-in sets User=$service_user"
fi

# ------------------------------------------------------------------------------------------------
test_case "install.sh inside an unpacked release installs that release"
inplace=$work/inplace
output=$(bash "$stand_in/install.sh" --destdir "$inplace" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "the release's own install.sh exits 0 without a SOURCE"
check_link "$inplace/opt/nellie/current" "releases/$stand_in_version" "current"

# ------------------------------------------------------------------------------------------------
test_case "non-default paths go into drop-ins"
custom=$work/custom
output=$(bash "$install_sh" --destdir "$custom" --prefix /usr/local/nellie --data-dir /srv/nellie \
  --config-dir /usr/local/etc/nellie --bin-dir /usr/bin "$stand_in" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "install.sh with custom paths exits 0"
check_link "$custom/usr/local/nellie/bin" "current/bin" "custom prefix bin"
check_mode "$custom/srv/nellie" 0750 "custom data dir"
check_mode "$custom/usr/local/etc/nellie/nellie.conf" 0640 "custom nellie.conf"
check_contains "$(cat "$custom/usr/local/etc/nellie/nellie.conf")" "NELLIE_DATA_DIR=/srv/nellie" "the config names the custom data dir"
check_contains "$(cat "$custom/usr/local/etc/nellie/nellie.conf")" "NELLIE_BACKUP_DIR=/srv/nellie/backups" "the config names the custom backup dir"
service_dropin=$(cat "$custom/etc/systemd/system/nellie.service.d/10-install.conf" 2>/dev/null || true)
check_contains "$service_dropin" "ExecStart=/usr/local/nellie/bin/nellie serve" "the service drop-in sets ExecStart"
check_contains "$service_dropin" "ReadWritePaths=/srv/nellie" "the service drop-in opens the data dir"
check_contains "$service_dropin" "EnvironmentFile=/usr/local/etc/nellie/nellie.conf" "the service drop-in reads the custom config"
backup_dropin=$(cat "$custom/etc/systemd/system/nellie-backup.service.d/10-install.conf" 2>/dev/null || true)
check_contains "$backup_dropin" "ExecStart=/usr/local/nellie/bin/nellie-backup" "the backup drop-in sets ExecStart"
drill_dropin=$(cat "$custom/etc/systemd/system/nellie-restore-drill.service.d/10-install.conf" 2>/dev/null || true)
check_contains "$drill_dropin" "ExecStart=/usr/local/nellie/bin/nellie-restore-drill --max-age-hours 48" "the restore-drill drop-in sets ExecStart"
check_contains "$drill_dropin" "Environment=NELLIE_BACKUP_DIR=/srv/nellie/backups" "the restore-drill drop-in names the backups"
check_contains "$(cat "$custom/usr/bin/nellie")" "program=/usr/local/nellie/bin/nellie" "the wrapper runs the custom prefix"

# ------------------------------------------------------------------------------------------------
test_case "the nellie wrapper"
stub=$work/wrapper-test
mkdir -p "$stub/prefix/bin"
chmod 0755 "$stub" "$stub/prefix" "$stub/prefix/bin"
cat >"$stub/prefix/bin/nellie" <<'EOF'
#!/bin/sh
echo "user=$(id -un) port=${NELLIE_PORT:-} host=${NELLIE_HOST:-} keys=${NELLIE_API_KEYS:-unset} args=$*"
EOF
chmod 0755 "$stub/prefix/bin/nellie"
printf '# comment\nNELLIE_PORT=8181\nNELLIE_HOST="127.0.0.2"\n#NELLIE_API_KEYS=secret\n' >"$stub/nellie.conf"
chmod 0644 "$stub/nellie.conf"
sed -e "s|@USER@|${service_user}|g" -e "s|@CONFIG_FILE@|$stub/nellie.conf|g" -e "s|@PREFIX@|$stub/prefix|g" \
  "$repo/packaging/scripts/nellie-wrapper.sh" >"$stub/nellie"
chmod 0755 "$stub/nellie"
result=$("$stub/nellie" status --json)
check_contains "$result" "user=$service_user " "runs as the service account"
check_contains "$result" "port=8181 " "exports the config file's values"
check_contains "$result" "host=127.0.0.2 " "strips quotes like systemd"
check_contains "$result" "keys=unset " "ignores commented-out settings"
check_contains "$result" "args=status --json" "passes the arguments through"
check_contains "$(NELLIE_PORT=7000 "$stub/nellie")" "port=7000 " "the caller's environment wins over the file"

# ------------------------------------------------------------------------------------------------
test_case "install.sh refuses bad input"
output=$(bash "$install_sh" --destdir "$work/bad" "$work/does-not-exist" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "a missing source exits 1"
check_contains "$output" "no such file or directory" "says the source is missing"
mkdir -p "$work/not-a-release"
output=$(bash "$install_sh" --destdir "$work/bad" "$work/not-a-release" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "a directory that is not a release exits 1"
check_contains "$output" "is not a Nellie release" "says it is not a release"
output=$(bash "$install_sh" --destdir "$work/bad" --prefix relative/path "$stand_in" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "a relative --prefix exits 1"
output=$(bash "$install_sh" --destdir "$work/bad" --frobnicate "$stand_in" 2>&1) && status=0 || status=$?
check_contains "$output" "unknown option --frobnicate" "rejects unknown options"
if [ "$(id -u)" = 0 ]; then
  output=$(runuser -u nobody -- bash "$install_sh" "$stand_in" 2>&1) && status=0 || status=$?
  check_equal "$status" 1 "without --destdir a non-root user is refused"
  check_contains "$output" "run as root" "says to run as root"
fi

# ------------------------------------------------------------------------------------------------
test_case "uninstall.sh keeps data, config and account"
output=$(bash "$uninstall_sh" --destdir "$dest" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "uninstall.sh exits 0"
check_absent "$dest/opt/nellie" "/opt/nellie"
check_absent "$dest/usr/local/bin/nellie" "/usr/local/bin/nellie"
for unit in nellie.service nellie-backup.service nellie-backup.timer nellie-restore-drill.service nellie-restore-drill.timer; do
  check_absent "$dest/etc/systemd/system/$unit" "$unit"
done
check_dir "$dest/var/lib/nellie" "the data dir is kept"
check_file "$dest/etc/nellie/nellie.conf" "the config is kept"
check_contains "$output" "kept /var/lib/nellie /etc/nellie" "says what it kept"
output=$(bash "$uninstall_sh" --destdir "$dest" 2>&1) && status=0 || status=$?
check_equal "$status" 0 "uninstall.sh again exits 0"

test_case "uninstall.sh --purge removes everything"
output=$(bash "$uninstall_sh" --destdir "$dest" --purge 2>&1) && status=0 || status=$?
check_equal "$status" 0 "uninstall.sh --purge exits 0"
check_absent "$dest/var/lib/nellie" "the data dir"
check_absent "$dest/etc/nellie" "the config dir"
check_absent "$dest/var/log/nellie" "the log dir"

test_case "uninstall.sh leaves a prefix it did not create alone"
mkdir -p "$work/foreign/opt/nellie"
echo keep >"$work/foreign/opt/nellie/something"
output=$(bash "$uninstall_sh" --destdir "$work/foreign" 2>&1) && status=0 || status=$?
check_equal "$status" 1 "uninstall.sh refuses"
check_contains "$output" "does not look like a Nellie installation" "says why"
check_file "$work/foreign/opt/nellie/something" "the foreign file is kept"

finish
