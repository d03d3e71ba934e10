#!/usr/bin/env bash
# Type checks of the published types: packs every published package that can be imported (all
# but the `nellie` command, which has no `exports`) exactly as it would be published, and runs
# arethetypeswrong on the tarball, so a declaration file that does not resolve, or resolves to
# the wrong module kind, fails CI before it reaches a user. Called from .ci/run after `pnpm test`
# (which builds dist/); runs offline on its own too, after `pnpm install && pnpm build`:
#
#   bash .ci/published-types.sh
#
# The packages are ESM only and need Node >= 20.19 (where require() loads ESM), so the
# `esm-only` profile leaves out the node10 and CommonJS resolutions.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/nellie-published-types.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
checked=0
for manifest in packages/*/package.json apps/*/package.json; do
  directory=$(dirname "$manifest")
  if ! node -e 'const m = require(require("path").resolve(process.argv[1])); process.exit(!m.private && m.exports ? 0 : 1)' "$manifest"; then
    continue
  fi
  if ! tarball=$(cd "$directory" && pnpm pack --pack-destination "$work" | tail -n 1); then
    printf 'FAILED: pnpm pack %s\n' "$directory" >&2
    failures=$((failures + 1))
    continue
  fi
  checked=$((checked + 1))
  if ! pnpm exec attw --profile esm-only --no-definitely-typed --format table-flipped "$tarball"; then
    printf 'FAILED: arethetypeswrong %s\n' "$directory" >&2
    failures=$((failures + 1))
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "published types: $failures of $checked package(s) failed"
  exit 1
fi
echo "published types: $checked packages resolve under node16 (ESM) and bundler resolution"
