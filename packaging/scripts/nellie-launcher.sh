#!/bin/sh
# bin/nellie of a Nellie release: runs the app with the Node.js runtime it was built for.
#
# Node is taken from NELLIE_NODE, else the runtime bundled in <release>/node, else `node` on
# PATH. The native addons (better-sqlite3 above all) are compiled for one Node major version,
# so the launcher refuses any other major with a message saying what to install.
set -eu

# Resolve symlinks (/opt/nellie/bin -> current/bin -> releases/<version>/bin).
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=$(dirname "$self")/$link ;;
  esac
done
release=$(cd -P "$(dirname "$self")/.." && pwd)

required_major=@NODE_MAJOR@

node=${NELLIE_NODE:-}
if [ -z "$node" ]; then
  if [ -x "$release/node/bin/node" ]; then
    node=$release/node/bin/node
  elif command -v node >/dev/null 2>&1; then
    node=$(command -v node)
  else
    echo "nellie: Node.js $required_major is required but was not found. Install Node.js $required_major, or set NELLIE_NODE to its node binary." >&2
    exit 2
  fi
fi

version=$("$node" --version 2>/dev/null || true)
major=${version#v}
major=${major%%.*}
if [ "$major" != "$required_major" ]; then
  echo "nellie: this release was built for Node.js $required_major.x but $node is ${version:-not runnable}. Install Node.js $required_major or set NELLIE_NODE to one; or use a release built for your Node version (packaging/scripts/build-release.sh)." >&2
  exit 2
fi
minor=${version#v*.}
minor=${minor%%.*}
if [ "$major" = 20 ] && [ "$minor" -lt 19 ] 2>/dev/null; then
  echo "nellie: Node.js >= 20.19 is required but $node is $version. Upgrade Node.js 20, or set NELLIE_NODE to a newer node binary." >&2
  exit 2
fi

exec "$node" "$release/app/dist/cli.js" "$@"
