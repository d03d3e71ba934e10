#!/bin/sh
# nellie-wrapper: installed as /usr/local/bin/nellie by install.sh.
#
# Runs the installed Nellie with the service's settings (@CONFIG_FILE@) and as the service
# account (@USER@), so `nellie status`, `nellie backup`, `nellie index` and friends see the same
# data directory as the server and never leave root-owned files in it. Variables already set in
# the caller's environment win over the file. NELLIE_AS_ROOT=1 skips the switch of user.
set -eu

user=@USER@
config_file=${NELLIE_ENV_FILE:-@CONFIG_FILE@}
program=@PREFIX@/bin/nellie

if [ "$(id -u)" = 0 ] && [ "${NELLIE_AS_ROOT:-}" != 1 ] && id "$user" >/dev/null 2>&1; then
  if command -v runuser >/dev/null 2>&1; then
    exec runuser -u "$user" -- "$0" "$@"
  fi
  echo "nellie: run this as the $user account (sudo -u $user $0 ...), or set NELLIE_AS_ROOT=1" >&2
  exit 2
fi

if [ -r "$config_file" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      '' | '#'*) continue ;;
      *=*) ;;
      *) continue ;;
    esac
    name=${line%%=*}
    value=${line#*=}
    case $name in
      *[!A-Za-z0-9_]* | [0-9]* | '') continue ;;
    esac
    # Surrounding quotes are removed, as systemd's EnvironmentFile= does.
    case $value in
      \"*\") value=${value#\"}; value=${value%\"} ;;
      \'*\') value=${value#\'}; value=${value%\'} ;;
    esac
    # Keep a value the caller set; export the file's value otherwise.
    if eval "[ -z \"\${$name+set}\" ]"; then
      export "$name=$value"
    fi
  done <"$config_file"
fi

exec "$program" "$@"
