#!/usr/bin/env bash
# Creates (or reuses) a Python venv with pinned requirements. Prints nothing on a warm venv.
#   bash scripts/venv.sh [extra.txt ...]          .venv: scripts/requirements-tools.txt + the extras
#   bash scripts/venv.sh --venv DIR req.txt ...   DIR (relative to the repo): only the files given
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
reqs=("$root/scripts/requirements-tools.txt")
if [ "${1:-}" = "--venv" ]; then
  venv="$root/$2"
  shift 2
  reqs=()
fi
reqs+=("$@")
stamp="$venv/.installed"
want="$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
"$venv/bin/python" -m pip install --quiet "${args[@]}"
echo "$want" > "$stamp"
