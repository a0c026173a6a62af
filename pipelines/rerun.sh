#!/usr/bin/env bash
# Re-runs an experiment from its run directory, with the same arguments and seed.
set -euo pipefail
case ${1:-} in
-h | --help | "") echo "Usage: pipelines/rerun.sh runs/DATE-NAME" >&2; [ -n "${1:-}" ]; exit $? ;;
esac
[ -f "$1/command" ] || { echo "rerun.sh: $1/command not found: not a run directory" >&2; exit 2; }
cd "$(dirname "$0")/.."
echo "rerun.sh: $(cat "$1/command")" >&2
eval "exec $(cat "$1/command")"
