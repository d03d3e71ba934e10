#!/usr/bin/env bash
# Builds a self-contained Nellie release for the platform it runs on:
#
#   dist/release/nellie-<version>-<os>-<arch>.tar.gz   the release
#   dist/release/SHA256SUMS                            sha256 of every tarball in that directory
#
# The release holds the built app with its production dependencies and native addons
# (better-sqlite3, sqlite-vec, usearch, onnxruntime-node, @parcel/watcher, sharp), the Node.js
# runtime it was built with (unless --no-node), a bin/nellie launcher that checks the Node
# version, the backup and restore-drill scripts, install.sh/uninstall.sh and the packaging files
# (systemd units, nellie.conf, launchd plist, cron, monitoring, Litestream).
#
# Native addons are compiled for one OS, CPU and Node major version, so a release is built on
# the platform it is for: run this script on a linux-arm64 machine for linux-arm64, on a Mac for
# darwin-arm64 (see docs/RELEASING.md). Cross-building is not supported.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: packaging/scripts/build-release.sh [options]

Options:
  --out DIR        output directory (default dist/release in the repository)
  --skip-install   do not run `pnpm install --frozen-lockfile` first
  --skip-build     do not build the packages first (they must already be built)
  --no-node        do not bundle the Node.js runtime; the target then needs Node.js of the
                   same major version on PATH (or NELLIE_NODE)
  --no-tarball     only stage the release directory (used by the Dockerfile)
  -h, --help       show this help
EOF
}

log() { printf 'build-release: %s\n' "$*" >&2; }
die() {
  printf 'build-release: error: %s\n' "$*" >&2
  exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$repo/dist/release
install=true
build=true
bundle_node=true
tarball=true
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --skip-install) install=false; shift ;;
    --skip-build) build=false; shift ;;
    --no-node) bundle_node=false; shift ;;
    --no-tarball) tarball=false; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done

cd "$repo"
command -v node >/dev/null || die "Node.js >= 20.19 is required"
command -v pnpm >/dev/null || die "pnpm 10 is required (npm install -g pnpm@10)"
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`build-release: error: Node.js >= 20.19 is required, this is ${process.version}`);
    process.exit(1);
  }'

version=$(node -p 'require("./apps/nellie/package.json").version')
platform=$(node -p 'process.platform + "-" + process.arch')
node_major=$(node -p 'process.versions.node.split(".")[0]')
name=nellie-$version-$platform
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$out/$name
log "building $name (Node.js $(node --version))"

if [ "$install" = true ]; then
  pnpm install --frozen-lockfile
fi
if [ "$build" = true ]; then
  pnpm exec turbo run build --filter=nellie... --output-logs=errors-only
fi
[ -f apps/nellie/dist/cli.js ] || die "apps/nellie/dist/cli.js is missing: build first (drop --skip-build)"

rm -rf "$stage"
mkdir -p "$stage/bin"

# --- The app with production dependencies ------------------------------------------------------
# pnpm 10 deploys from a shared lockfile only with inject-workspace-packages=true; --legacy
# deploys workspace packages as copies without that setting, still with the lockfile's versions.
log "deploying apps/nellie with production dependencies"
pnpm --filter nellie deploy --prod --legacy --prefer-offline "$stage/app" >"$out/.deploy.log" 2>&1 ||
  {
    cat "$out/.deploy.log" >&2
    die "pnpm deploy failed"
  }
rm -f "$out/.deploy.log"

# Drop what cannot run here: other platforms' prebuilt binaries and native build leftovers.
log "pruning binaries of other platforms"
os=$(node -p 'process.platform')
arch=$(node -p 'process.arch')
for dir in "$stage"/app/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*; do
  [ -d "$dir" ] || continue
  for platform_dir in "$dir"/*; do
    if [ "${platform_dir##*/}" != "$os" ]; then rm -rf "$platform_dir"; fi
  done
  for arch_dir in "$dir/$os"/*; do
    if [ "${arch_dir##*/}" != "$arch" ]; then rm -rf "$arch_dir"; fi
  done
done
for dir in "$stage"/app/node_modules/.pnpm/usearch@*/node_modules/usearch/prebuilds; do
  [ -d "$dir" ] || continue
  for prebuild in "$dir"/*; do
    case ${prebuild##*/} in
      "$os-$arch" | "$os-"*"$arch"*) ;;
      *) rm -rf "$prebuild" ;;
    esac
  done
done
# transformers.js bundles the ONNX web runtime into its Node build and runs on onnxruntime-node;
# the separate onnxruntime-web package (~140 MB of browser/WASM builds) is never loaded.
for dir in "$stage"/app/node_modules/.pnpm/onnxruntime-web@*/node_modules/onnxruntime-web/dist; do
  if [ -d "$dir" ]; then rm -rf "$dir"; fi
done
for dir in "$stage"/app/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do
  [ -d "$dir" ] || continue
  rm -rf "$dir/deps" "$dir/src" "$dir/build/Release/obj.target" "$dir/build/Release/obj" \
    "$dir/build/Release/.deps" "$dir/build/Release/test_extension.node" "$dir/build/deps"
done

# After pruning, every native addon must load on this platform, and every workspace package
# from its built files.
log "checking the native addons and packages"
node packaging/scripts/check-addons.mjs "$stage/app" || die "a native addon or a workspace package's built files are missing or do not load"

# --- Node.js runtime ----------------------------------------------------------------------------
if [ "$bundle_node" = true ]; then
  node_bin=$(node -p 'process.execPath')
  node_license=
  for candidate in "$(dirname "$node_bin")/../share/doc/node/LICENSE" \
    "$(dirname "$node_bin")/../LICENSE" /usr/share/doc/nodejs/LICENSE /usr/local/share/doc/node/LICENSE; do
    if [ -f "$candidate" ]; then
      node_license=$candidate
      break
    fi
  done
  [ -n "$node_license" ] || die "cannot find the Node.js LICENSE to ship with the runtime; use --no-node"
  mkdir -p "$stage/node/bin"
  cp "$node_bin" "$stage/node/bin/node"
  cp "$node_license" "$stage/node/LICENSE"
  log "bundled Node.js $(node --version) from $node_bin"
fi

# --- Launcher, scripts and packaging files -----------------------------------------------------
sed "s/@NODE_MAJOR@/$node_major/" packaging/scripts/nellie-launcher.sh >"$stage/bin/nellie"
cp packaging/scripts/backup.sh "$stage/bin/nellie-backup"
cp packaging/scripts/restore-drill.sh "$stage/bin/nellie-restore-drill"
chmod 0755 "$stage/bin/nellie" "$stage/bin/nellie-backup" "$stage/bin/nellie-restore-drill"
cp packaging/scripts/install.sh packaging/scripts/uninstall.sh "$stage/"
chmod 0755 "$stage/install.sh" "$stage/uninstall.sh"

mkdir -p "$stage/packaging/scripts"
cp packaging/nellie.conf "$stage/packaging/"
cp -R packaging/systemd packaging/launchd packaging/cron packaging/monitoring packaging/litestream \
  "$stage/packaging/"
cp packaging/scripts/nellie-wrapper.sh "$stage/packaging/scripts/"
for file in LICENSE NOTICE; do
  if [ -f "$file" ]; then cp "$file" "$stage/"; fi
done

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit=$commit-dirty
fi
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '%s\n' "$version" >"$stage/VERSION"
{
  echo "version=$version"
  echo "platform=$platform"
  echo "commit=$commit"
  echo "built=$build_date"
  echo "node=$(node --version)"
  echo "node_bundled=$bundle_node"
  echo "pnpm=$(pnpm --version)"
} >"$stage/BUILD_INFO"
cat >"$stage/README.txt" <<EOF
Nellie $version for $platform

  sudo ./install.sh                  install as a systemd service (see ./install.sh --help)
  bin/nellie --help                  run it in place
  bin/nellie serve                   start the server on http://127.0.0.1:8080

Documentation: docs/OPERATOR_GUIDE.md in the Nellie repository.
EOF

# --- Smoke test ---------------------------------------------------------------------------------
reported=$("$stage/bin/nellie" --version)
[ "$reported" = "$version" ] || [ "$reported" = "nellie $version" ] ||
  die "bin/nellie --version printed '$reported', expected $version"
log "bin/nellie --version: $reported"

if [ "$tarball" = false ]; then
  log "staged $stage"
  printf '%s\n' "$stage"
  exit 0
fi

# --- Tarball and checksums ----------------------------------------------------------------------
archive=$out/$name.tar.gz
rm -f "$archive"
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  # Stable order, owners and times: the same tree gives the same bytes.
  epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    -C "$out" -cf - "$name" | gzip -n >"$archive"
else
  tar -C "$out" -czf "$archive" "$name"
fi
rm -rf "$stage"
(
  cd "$out"
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum nellie-*.tar.gz >SHA256SUMS
  else
    shasum -a 256 nellie-*.tar.gz >SHA256SUMS
  fi
)
log "wrote $archive ($(du -h "$archive" | cut -f 1)) and $out/SHA256SUMS"
printf '%s\n' "$archive"
