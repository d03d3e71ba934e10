#!/bin/sh
# Container entry point: `docker run nellie [command] [flags]` runs `nellie [command] [flags]`
# (default `serve`). A model found in /models (baked with --build-arg MODEL_DIR or mounted) is
# used unless NELLIE_MODEL_DIR says otherwise.
set -eu

if [ -z "${NELLIE_MODEL_DIR:-}" ] && [ -f /models/config.json ]; then
  NELLIE_MODEL_DIR=/models
  export NELLIE_MODEL_DIR
fi

if [ $# -eq 0 ]; then
  set -- serve
fi
# Flags alone go to `serve` (docker run nellie --port 9000), except the program's own.
case $1 in
  -v | --version | -h | --help) ;;
  -*) set -- serve "$@" ;;
esac
exec nellie "$@"
