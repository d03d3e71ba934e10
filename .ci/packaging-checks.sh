#!/usr/bin/env bash
# Packaging checks: lints and validates everything under packaging/ and runs the packaging
# tests. Called from .ci/run after `pnpm install`; runs on its own too:
#
#   bash .ci/packaging-checks.sh            everything, including a real release build
#   NELLIE_SKIP_RELEASE=1 bash .ci/packaging-checks.sh    without building the release
#
# Tools come from Debian packages (installed here when missing): shellcheck, promtool
# (prometheus), systemd-analyze (systemd), yamllint, docker-compose (config validation only;
# no Docker engine is needed). kubectl (for `kubectl kustomize`) is used when present.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$(date +%s)

section() { printf '\n== %s (at %ss)\n' "$*" "$(($(date +%s) - started))"; }
failures=0
fail() {
  printf 'FAILED: %s\n' "$*" >&2
  failures=$((failures + 1))
}

work=$(mktemp -d "${TMPDIR:-/tmp}/nellie-packaging-checks.XXXXXX")
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT

# --- Tools --------------------------------------------------------------------------------------
section "tools"
declare -A tool_package=(
  [shellcheck]=shellcheck
  [promtool]=prometheus
  [systemd-analyze]=systemd
  [yamllint]=yamllint
  [docker-compose]=docker-compose
)
missing=()
for tool in "${!tool_package[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${tool_package[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1 || {
    cat "$work/apt.log" >&2
    exit 1
  }
fi
shellcheck --version | sed -n 2p
promtool --version 2>&1 | head -n 1
systemd-analyze --version | head -n 1
yamllint --version

# --- Shell scripts ------------------------------------------------------------------------------
section "shellcheck"
mapfile -t scripts < <(find packaging .ci -type f -name '*.sh' | sort)
if shellcheck -x "${scripts[@]}"; then
  echo "shellcheck: ${#scripts[@]} scripts clean"
else
  fail "shellcheck"
fi

# --- systemd units ------------------------------------------------------------------------------
section "systemd-analyze verify"
# verify needs the units' ExecStart binaries and the units they refer to: a scratch root holds
# the system's own units, stand-in binaries and ours.
verify_root() { # verify_root ROOT UNIT...
  local root=$1 output
  shift
  output=$(systemd-analyze verify --man=no --root="$root" "$@" 2>&1) || true
  if [ -n "$output" ]; then
    printf '%s\n' "$output"
    return 1
  fi
}
make_root() { # make_root ROOT PREFIX
  local root=$1 prefix=$2 program
  mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system" "$root$prefix/bin"
  cp -r /lib/systemd/system "$root/usr/lib/systemd/"
  for program in nellie nellie-backup nellie-restore-drill; do
    printf '#!/bin/sh\n' >"$root$prefix/bin/$program"
    chmod 0755 "$root$prefix/bin/$program"
  done
  cp packaging/systemd/*.service packaging/systemd/*.timer "$root/etc/systemd/system/"
}
make_root "$work/systemd" /opt/nellie
units=(nellie.service nellie-backup.service nellie-backup.timer nellie-restore-drill.service nellie-restore-drill.timer)
if verify_root "$work/systemd" "${units[@]}"; then
  echo "${units[*]}: verified"
else
  fail "systemd-analyze verify"
fi
# The drop-ins install.sh writes for non-default paths must verify too.
# shellcheck source=packaging/test/fake-release.sh
. packaging/test/fake-release.sh
make_fake_release "$work/fake-release" 0.0.0-ci
make_root "$work/systemd-custom" /usr/local/nellie
bash packaging/scripts/install.sh --destdir "$work/systemd-custom-stage" --no-bin \
  --prefix /usr/local/nellie --data-dir /srv/nellie --config-dir /usr/local/etc/nellie \
  "$work/fake-release" >/dev/null
cp -r "$work/systemd-custom-stage/etc/systemd/system/." "$work/systemd-custom/etc/systemd/system/"
if verify_root "$work/systemd-custom" nellie.service nellie-backup.service nellie-restore-drill.service; then
  echo "units with install.sh's drop-ins for custom paths: verified"
else
  fail "systemd-analyze verify (drop-ins)"
fi
# Exposure score of the hardening, for the log.
systemd-analyze security --offline=true --root="$work/systemd" nellie.service 2>/dev/null |
  tail -n 1 || true

# --- Prometheus ---------------------------------------------------------------------------------
section "promtool"
promtool check rules packaging/monitoring/prometheus-rules.yml || fail "promtool check rules"
(cd packaging/test && promtool test rules prometheus-rules.test.yml) || fail "promtool test rules"
mkdir -p "$work/prometheus"
sed "s|/etc/prometheus/rules/nellie.yml|$repo/packaging/monitoring/prometheus-rules.yml|" \
  packaging/monitoring/prometheus.yml >"$work/prometheus/prometheus.yml"
promtool check config "$work/prometheus/prometheus.yml" || fail "promtool check config"

# --- YAML, Compose, Kubernetes, launchd ---------------------------------------------------------
section "yaml, compose, kubernetes, launchd"
mapfile -t yaml_files < <(find packaging -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
if yamllint -c packaging/test/yamllint.yml "${yaml_files[@]}"; then
  echo "yamllint: ${#yaml_files[@]} files clean"
else
  fail "yamllint"
fi
if docker-compose -f packaging/docker/docker-compose.yml --profile monitoring config -q; then
  echo "docker-compose.yml: valid"
else
  fail "docker-compose config"
fi
if NELLIE_POSTGRES_PASSWORD=check docker-compose -f packaging/docker/docker-compose.yml \
  -f packaging/docker/docker-compose.postgres.yml config -q; then
  echo "docker-compose.postgres.yml: valid"
else
  fail "docker-compose config (postgres)"
fi
cmp packaging/litestream/litestream.yml packaging/kubernetes/components/litestream/litestream.yml ||
  fail "packaging/kubernetes/components/litestream/litestream.yml differs from packaging/litestream/litestream.yml"
cmp packaging/kubernetes/api-keys.env.example packaging/kubernetes/postgres/api-keys.env.example ||
  fail "packaging/kubernetes/postgres/api-keys.env.example differs from packaging/kubernetes/api-keys.env.example"
if command -v kubectl >/dev/null 2>&1; then
  mkdir -p "$work/k8s/packaging" "$work/k8s/overlay"
  cp -r packaging/kubernetes packaging/litestream "$work/k8s/packaging/"
  cp "$work/k8s/packaging/kubernetes/api-keys.env.example" "$work/k8s/packaging/kubernetes/api-keys.env"
  cp "$work/k8s/packaging/kubernetes/components/litestream/litestream.env.example" \
    "$work/k8s/packaging/kubernetes/components/litestream/litestream.env"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../packaging/kubernetes\ncomponents:\n  - ../packaging/kubernetes/components/litestream\n' \
    >"$work/k8s/overlay/kustomization.yaml"
  cp "$work/k8s/packaging/kubernetes/postgres/api-keys.env.example" "$work/k8s/packaging/kubernetes/postgres/api-keys.env"
  cp "$work/k8s/packaging/kubernetes/postgres/database.env.example" "$work/k8s/packaging/kubernetes/postgres/database.env"
  if kubectl kustomize "$work/k8s/packaging/kubernetes" >"$work/k8s/base.yaml" &&
    kubectl kustomize "$work/k8s/overlay" >"$work/k8s/overlay.yaml" &&
    kubectl kustomize "$work/k8s/packaging/kubernetes/postgres" >"$work/k8s/postgres.yaml"; then
    echo "kustomize: base, litestream overlay and PostgreSQL deployment build"
  else
    fail "kubectl kustomize"
  fi
else
  echo "kubectl not installed: kustomize builds not checked"
fi
if python3 -c 'import plistlib, sys; plistlib.load(open(sys.argv[1], "rb"))' \
  packaging/launchd/dev.nellie.server.plist; then
  echo "launchd plist: valid"
else
  fail "launchd plist"
fi

# --- Tests ---------------------------------------------------------------------------------------
section "packaging tests"
bash packaging/test/install.test.sh || fail "packaging/test/install.test.sh"
bash packaging/test/backup.test.sh || fail "packaging/test/backup.test.sh"
node --test packaging/test/metrics.test.mjs packaging/test/package-metadata.test.mjs ||
  fail "packaging/test/*.test.mjs"

# --- Build, publint, release, end-to-end drill ------------------------------------------------
if [ "${NELLIE_SKIP_RELEASE:-}" != 1 ]; then
  section "build and publint"
  if pnpm exec turbo run build --filter=nellie... --output-logs=errors-only; then
    node --test packaging/test/docs.test.mjs || fail "packaging/test/docs.test.mjs"
    for manifest in packages/*/package.json apps/*/package.json; do
      if node -e 'process.exit(require(require("path").resolve(process.argv[1])).private ? 1 : 0)' "$manifest"; then
        pnpm exec publint run "$(dirname "$manifest")" --strict || fail "publint $(dirname "$manifest")"
      fi
    done

    section "release build"
    if release=$(bash packaging/scripts/build-release.sh --skip-install --skip-build --out "$work/release" | tail -n 1); then
      (cd "$work/release" && sha256sum -c SHA256SUMS) || fail "SHA256SUMS"
      section "install test with the real release"
      NELLIE_RELEASE=$release bash packaging/test/install.test.sh || fail "install.test.sh with the release"
      section "backup and restore drill with the real release"
      NELLIE_RELEASE=$release bash packaging/test/drill.test.sh || fail "packaging/test/drill.test.sh"
    else
      fail "build-release.sh"
    fi
  else
    fail "pnpm build"
  fi
fi

section "done in $(($(date +%s) - started)) s"
if [ "$failures" -gt 0 ]; then
  echo "$failures packaging check(s) failed"
  exit 1
fi
echo "all packaging checks passed"
