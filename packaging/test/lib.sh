# shellcheck shell=bash
# A small assertion library for the packaging tests. Each test script sources it, calls the
# check_* functions and ends with `finish`, which prints "N passed, N failed" and sets the exit
# status.

passed=0
failed=0
current_test=

test_case() {
  current_test=$1
  printf '\n# %s\n' "$1"
}

pass() {
  passed=$((passed + 1))
  printf 'ok - %s\n' "$1"
}

fail() {
  failed=$((failed + 1))
  printf 'not ok - %s%s\n' "${current_test:+$current_test: }" "$1"
  if [ $# -gt 1 ]; then printf '    %s\n' "${@:2}"; fi
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local description=$1
  shift
  if "$@" >/dev/null 2>&1; then pass "$description"; else fail "$description" "command failed: $*"; fi
}

# check_not DESCRIPTION COMMAND...: passes when the command fails.
check_not() {
  local description=$1
  shift
  if "$@" >/dev/null 2>&1; then fail "$description" "command succeeded: $*"; else pass "$description"; fi
}

check_file() { if [ -f "$1" ]; then pass "file $2"; else fail "file $2" "missing: $1"; fi; }
check_dir() { if [ -d "$1" ]; then pass "directory $2"; else fail "directory $2" "missing: $1"; fi; }
check_absent() { if [ ! -e "$1" ] && [ ! -L "$1" ]; then pass "$2 is absent"; else fail "$2 is absent" "still there: $1"; fi; }

# check_mode PATH MODE LABEL
check_mode() {
  local actual
  actual=$(stat -c %a "$1" 2>/dev/null || echo missing)
  if [ "$actual" = "${2#0}" ]; then pass "$3 has mode $2"; else fail "$3 has mode $2" "actual: $actual ($1)"; fi
}

# check_owner PATH USER:GROUP LABEL
check_owner() {
  local actual
  actual=$(stat -c %U:%G "$1" 2>/dev/null || echo missing)
  if [ "$actual" = "$2" ]; then pass "$3 is owned by $2"; else fail "$3 is owned by $2" "actual: $actual ($1)"; fi
}

# check_link PATH TARGET LABEL
check_link() {
  local actual
  actual=$(readlink "$1" 2>/dev/null || echo "not a symlink")
  if [ "$actual" = "$2" ]; then pass "$3 -> $2"; else fail "$3 -> $2" "actual: $actual"; fi
}

# check_contains TEXT NEEDLE LABEL
check_contains() {
  case $1 in
    *"$2"*) pass "$3" ;;
    *) fail "$3" "expected to find: $2" "in: $(printf '%s' "$1" | head -c 2000)" ;;
  esac
}

check_not_contains() {
  case $1 in
    *"$2"*) fail "$3" "did not expect: $2" ;;
    *) pass "$3" ;;
  esac
}

check_equal() {
  if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "expected: $2" "actual:   $1"; fi
}

finish() {
  printf '\n%d passed, %d failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ]
}
