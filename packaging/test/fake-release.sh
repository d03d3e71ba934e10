# shellcheck shell=bash
# make_fake_release DIR VERSION: a release directory laid out like build-release.sh's output,
# whose bin/nellie is a stand-in that answers --version and records `model import`, so install
# and uninstall can be tested without building the app. The packaging files are the real ones.
make_fake_release() {
  local dir=$1 version=$2 repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  mkdir -p "$dir/bin" "$dir/app/dist" "$dir/packaging/scripts"
  cat >"$dir/bin/nellie" <<EOF
#!/bin/sh
case "\$1" in
  --version) echo "$version" ;;
  model)
    [ "\$2" = import ] || exit 2
    mkdir -p "\$NELLIE_DATA_DIR/models"
    shift 2
    echo "\$*" >"\$NELLIE_DATA_DIR/models/imported-from"
    ;;
  *) echo "stand-in nellie: \$*" >&2; exit 1 ;;
esac
EOF
  chmod 0755 "$dir/bin/nellie"
  cp "$repo/packaging/scripts/backup.sh" "$dir/bin/nellie-backup"
  cp "$repo/packaging/scripts/restore-drill.sh" "$dir/bin/nellie-restore-drill"
  chmod 0755 "$dir/bin/nellie-backup" "$dir/bin/nellie-restore-drill"
  echo "// stand-in" >"$dir/app/dist/cli.js"
  cp "$repo/packaging/nellie.conf" "$dir/packaging/"
  cp -R "$repo/packaging/systemd" "$dir/packaging/"
  cp "$repo/packaging/scripts/nellie-wrapper.sh" "$dir/packaging/scripts/"
  cp "$repo/packaging/scripts/install.sh" "$repo/packaging/scripts/uninstall.sh" "$dir/"
  echo "$version" >"$dir/VERSION"
  printf 'version=%s\nplatform=test\ncommit=test\n' "$version" >"$dir/BUILD_INFO"
}
